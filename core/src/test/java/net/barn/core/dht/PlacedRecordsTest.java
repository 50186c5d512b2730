package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import net.barn.core.ProtocolException;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import net.barn.core.trust.beacon.Sortition;
import org.junit.jupiter.api.Test;

/**
 * Records of placed types (PROTOCOL 11.8) on one Dht core driven by hand: they are looked up at
 * their point of the placement period, only answers with a ticket for that period count, and a
 * node without a ticket holds none.
 */
class PlacedRecordsTest {
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long OFFSET = NOW_MS * 1_000_000L;
    private static final byte[] SALT = "salt of period 7".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OLD_SALT = "salt of period 6".getBytes(StandardCharsets.US_ASCII);
    private final Random r = new Random(11);
    private final Identity alice = Identity.generate(new SeededEntropy(1), PowParams.TEST);
    /** Owned records (type 1), placed and read from every replica as names are: the rules under test without the name rules' weight. */
    private final RecordRules placedOwned = new RecordRules() {
        @Override
        public String problem(Record rec, long nowMillis, DhtConfig config, SignatureVerifier verifier) {
            return RecordTypes.problem(rec, nowMillis, config, verifier);
        }

        @Override
        public boolean placed(int type) {
            return type == RecordTypes.OWNED;
        }

        @Override
        public boolean readsAllReplicas(int type) {
            return type == RecordTypes.OWNED;
        }
    };
    /** A ticket for (period, id) is "ticket:period:id"; the check accepts exactly that. */
    private final Placement.TicketCheck check = (period, id, ticket) ->
            Arrays.equals(ticket, ticket(period, id)) ? null : "not its ticket";

    private static byte[] ticket(long period, NodeId id) {
        return ("ticket:" + period + ":" + id).getBytes(StandardCharsets.US_ASCII);
    }

    private Contact contact() {
        byte[] id = new byte[32];
        r.nextBytes(id);
        return new Contact(NodeId.of(id), new PeerAddress(
                (1 + r.nextInt(223)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254)), 7345));
    }

    private Placement placement(NodeId self, boolean ticketed) {
        return new Placement(7, SALT, OLD_SALT, ticketed ? ticket(7, self) : null, ticketed ? ticket(6, self) : null, check);
    }

    private Dht dht(Contact self) {
        return new Dht(DhtConfig.DEFAULT, placedOwned, null, self, new SplittableRandom(3), SignatureVerifier.ED25519, 0, OFFSET);
    }

    private Record record() {
        return RecordTypes.owned(alice, "status", "hello".getBytes(StandardCharsets.UTF_8), 1, NOW_MS + 3_600_000);
    }

    /** Bootstraps {@code dht} through {@code peers}, each answering with no further contacts. */
    private void join(Dht dht, List<Contact> peers) {
        dht.bootstrap(0, peers);
        answerAll(dht, peers, (to, m) -> m instanceof DhtMessage.Ping p ? new DhtMessage.Pong(p.id(), to, null)
                : new DhtMessage.Nodes(m.id(), to, List.of()));
        assertThat(dht.isBootstrapped()).isTrue();
    }

    private void answerAll(Dht dht, List<Contact> peers, java.util.function.BiFunction<Contact, DhtMessage, DhtMessage> answer) {
        answerAll(dht, peers, 0, answer);
    }

    /** Answers every request {@code dht} sends, round by round, at {@code at} plus a nanosecond a round. */
    private void answerAll(Dht dht, List<Contact> peers, long at,
            java.util.function.BiFunction<Contact, DhtMessage, DhtMessage> answer) {
        Map<NodeId, Contact> byId = new HashMap<>();
        peers.forEach(p -> byId.put(p.id(), p));
        for (int round = 0; round < 50; round++) {
            List<Dht.Transmit> out = new ArrayList<>();
            for (Dht.Transmit t; (t = dht.pollTransmit()) != null;) {
                out.add(t);
            }
            if (out.isEmpty()) {
                return;
            }
            for (Dht.Transmit t : out) {
                DhtMessage reply = answer.apply(byId.get(t.to().id()), t.message());
                if (reply != null) {
                    dht.handleMessage(at + 1 + round, t.to().id(), reply);
                }
            }
        }
    }

    private List<Contact> peers(int count) {
        List<Contact> peers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            peers.add(contact());
        }
        return peers;
    }

    /** A node with a ticket for period 7, joined through {@code peers}, placing records at time 100. */
    private Dht ticketedReplicaAmong(List<Contact> peers) {
        Contact self = contact();
        Dht dht = dht(self);
        join(dht, peers);
        dht.placeWith(100, placement(self.id(), true));
        return dht;
    }

    private DhtEvent.GetResult resultOf(Dht dht, long query) {
        for (DhtEvent e; (e = dht.pollEvent()) != null;) {
            if (e instanceof DhtEvent.QueryDone d && d.query() == query) {
                return (DhtEvent.GetResult) d.result();
            }
        }
        throw new AssertionError("query " + query + " did not finish");
    }

    @Test
    void aReadLooksUpTheRecordsPointAndCountsOnlyAnswersWithATicketForThePeriod() {
        List<Contact> peers = peers(10);
        Dht dht = ticketedReplicaAmong(peers);
        Record rec = record();
        Key point = Sortition.placement(rec.key(), SALT);
        Key oldPoint = Sortition.placement(rec.key(), OLD_SALT);
        long q = dht.get(100, rec.key(), RecordTypes.OWNED);
        List<DhtMessage.FindValue> asked = new ArrayList<>();
        // At this period's point the four ticketed peers hold nothing; the six others answer with the record but show
        // no valid ticket (none, another node's, another period's). At the last period's point nobody holds it.
        answerAll(dht, peers, (to, m) -> {
            DhtMessage.FindValue f = (DhtMessage.FindValue) m;
            asked.add(f);
            int i = peers.indexOf(to);
            if (f.target().equals(oldPoint)) {
                return new DhtMessage.Value(f.id(), to, null, List.of(), List.of(), ticket(6, to.id()));
            }
            if (i < 4) {
                return new DhtMessage.Value(f.id(), to, null, List.of(), List.of(), ticket(7, to.id()));
            }
            byte[] shown = switch (i % 3) {
                case 0 -> new byte[0];
                case 1 -> ticket(7, peers.get(0).id());
                default -> ticket(6, to.id());
            };
            return new DhtMessage.Value(f.id(), to, rec, List.of(), List.of(), shown);
        });
        assertThat(asked).extracting(DhtMessage.FindValue::key).containsOnly(rec.key());
        // This period's point first; with no majority of ticketed replicas holding anything there, last period's.
        assertThat(asked.subList(0, peers.size())).extracting(DhtMessage.FindValue::target).containsOnly(point);
        assertThat(asked.subList(peers.size(), asked.size())).extracting(DhtMessage.FindValue::target).containsOnly(oldPoint);
        DhtEvent.GetResult nothing = resultOf(dht, q);
        assertThat(nothing.record()).as("six unticketed answers against four ticketed replicas holding nothing").isNull();

        // A minute on, every peer shows a valid ticket and the four ticketed peers hold the record. The two that showed
        // none are believed again; the four that showed a wrong one are not, for the period: the record has 4 of 6 votes.
        List<Contact> holders = peers.subList(0, 4);
        long q2 = dht.get(61_000_000_100L, rec.key(), RecordTypes.OWNED);
        answerAll(dht, peers, 61_000_000_100L, (to, m) -> new DhtMessage.Value(m.id(), to, holders.contains(to) ? rec : null, List.of(),
                List.of(), ticket(7, to.id())));
        DhtEvent.GetResult found = resultOf(dht, q2);
        assertThat(found.record()).isEqualTo(rec);
        assertThat(found.agreeing()).isEqualTo(4);
    }

    @Test
    void earlyInAPeriodAReadFindsTheRecordWhereTheLastPeriodsTicketedReplicasHoldIt() {
        List<Contact> peers = peers(10);
        Dht dht = ticketedReplicaAmong(peers);
        Record rec = record();
        Key oldPoint = Sortition.placement(rec.key(), OLD_SALT);
        long q = dht.get(100, rec.key(), RecordTypes.OWNED);
        // New replicas hold nothing yet; the last period's (tickets of period 6) hold it.
        answerAll(dht, peers, (to, m) -> {
            DhtMessage.FindValue f = (DhtMessage.FindValue) m;
            boolean old = f.target().equals(oldPoint);
            return new DhtMessage.Value(f.id(), to, old ? rec : null, List.of(), List.of(), ticket(old ? 6 : 7, to.id()));
        });
        DhtEvent.GetResult found = resultOf(dht, q);
        assertThat(found.record()).isEqualTo(rec);
        assertThat(found.agreeing()).isEqualTo(peers.size());
    }

    @Test
    void aReplicaShowsTheTicketOfThePeriodWhosePointIsAskedAndNamesContactsNearThatPoint() {
        Contact self = contact();
        Dht dht = dht(self);
        List<Contact> peers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            peers.add(contact());
        }
        join(dht, peers);
        dht.placeWith(100, placement(self.id(), true));
        Key key = record().key();
        Contact asker = contact();
        Map<Key, byte[]> shown = new HashMap<>();
        for (Key target : List.of(Sortition.placement(key, SALT), Sortition.placement(key, OLD_SALT), key)) {
            dht.handleMessage(200, asker.id(), new DhtMessage.FindValue(9, asker, key, RecordTypes.OWNED, target));
            Dht.Transmit t = dht.pollTransmit();
            DhtMessage.Value v = (DhtMessage.Value) t.message();
            shown.put(target, v.ticket());
            List<Contact> nearest = new ArrayList<>(peers);
            nearest.sort((a, b) -> target.compareDistance(a.key(), b.key()));
            assertThat(v.contacts()).containsExactlyElementsOf(nearest.subList(0, DhtConfig.DEFAULT.k()));
        }
        assertThat(shown.get(Sortition.placement(key, SALT))).isEqualTo(ticket(7, self.id()));
        assertThat(shown.get(Sortition.placement(key, OLD_SALT))).isEqualTo(ticket(6, self.id()));
        assertThat(shown.get(key)).isEmpty();
    }

    @Test
    void aNodeWithoutATicketForThePeriodHoldsNoPlacedRecord() {
        Contact self = contact();
        Dht dht = dht(self);
        dht.placeWith(0, placement(self.id(), false));
        Contact pusher = contact();
        dht.handleMessage(1, pusher.id(), new DhtMessage.Store(5, pusher, record()));
        DhtMessage.Stored s = (DhtMessage.Stored) dht.pollTransmit().message();
        assertThat(s.accepted()).isFalse();
        assertThat(s.reason()).contains("no presence ticket for placement period 7");

        Dht ticketed = dht(contact());
        ticketed.placeWith(0, placement(ticketed.self().id(), true));
        ticketed.handleMessage(1, pusher.id(), new DhtMessage.Store(5, pusher, record()));
        assertThat(((DhtMessage.Stored) ticketed.pollTransmit().message()).accepted()).isTrue();
    }

    /** The vector of PROTOCOL 11.8 (computed with Python's hashlib). */
    @Test
    void aNamesPointMatchesThePublishedVector() {
        Key chess = net.barn.core.namespace.NameRecords.nameKey("chess");
        byte[] salt = new byte[32];
        Arrays.fill(salt, (byte) 0x5a);
        assertThat(java.util.HexFormat.of().formatHex(chess.toBytes()))
                .isEqualTo("dc3d39610f928ebab1b92444064494ffb8b02c20d14f3947ed751df9e5f6ca6f");
        assertThat(java.util.HexFormat.of().formatHex(new Placement(1, salt, null, null, null, check).point(chess).toBytes()))
                .isEqualTo("6c57a6eb9ed47952eb5c623cbecc947f5695ebc9db3b3993c8af9455355e5fc9");
    }

    @Test
    void theCodecCarriesTheTargetAndTheTicketAndRefusesAnOversizedTicket() throws ProtocolException {
        Contact a = contact();
        Key key = record().key();
        Key point = Sortition.placement(key, SALT);
        DhtMessage.FindValue f = (DhtMessage.FindValue) DhtCodec.decode(DhtCodec.encode(
                new DhtMessage.FindValue(1, a, key, 1, point)));
        assertThat(f.key()).isEqualTo(key);
        assertThat(f.target()).isEqualTo(point);
        assertThat(((DhtMessage.FindValue) DhtCodec.decode(DhtCodec.encode(new DhtMessage.FindValue(2, a, key, 1)))).target())
                .isEqualTo(key);
        byte[] t = ticket(7, a.id());
        DhtMessage.Value v = (DhtMessage.Value) DhtCodec.decode(DhtCodec.encode(
                new DhtMessage.Value(3, a, null, List.of(), List.of(), t)));
        assertThat(v.ticket()).isEqualTo(t);
        byte[] huge = DhtCodec.encode(new DhtMessage.Value(4, a, null, List.of(), List.of(), new byte[DhtCodec.MAX_TICKET + 1]));
        assertThatThrownBy(() -> DhtCodec.decode(huge)).isInstanceOf(ProtocolException.class).hasMessageContaining("ticket");
    }
}
