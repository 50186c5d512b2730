package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.trust.reputation.Reputation;
import org.junit.jupiter.api.Test;

/**
 * Bound checking: a lookup drops the contacts of an answer that share more than D bits more of
 * their prefix with the target than the responder does (it cannot have them in its table), and
 * keeps what an honest routing table answers.
 */
class LookupBoundTest {
    private static final Key TARGET = Key.random(new SplittableRandom(99));
    private static final NodeId SELF = TARGET.randomWithCommonPrefix(0, new SplittableRandom(98)).toNodeId();

    /** A contact sharing exactly {@code prefix} leading bits with the target. */
    private static Contact near(int prefix, SplittableRandom rng, int port) {
        return new Contact(TARGET.randomWithCommonPrefix(prefix, rng).toNodeId(), new PeerAddress("127.0.0.1", port));
    }

    private static Lookup lookup(Key target, List<Contact> start, int bound) {
        return new Lookup(1, Lookup.Kind.NODES, target, 0, SELF, start, 1, 20, 50, 1, 0, 10_000_000_000L, 1_000_000_000L,
                Integer.MAX_VALUE, null, bound);
    }

    @Test
    void dropsContactsFartherThanTheResponderCanKnow() {
        SplittableRandom rng = new SplittableRandom(1);
        Contact responder = near(2, rng, 7000); // shares 2 bits with the target: may name contacts sharing up to 2 + 8
        List<Contact> invented = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            invented.add(near(30, rng, 7100 + i));
        }
        Contact atTheBound = near(10, rng, 7200);
        Contact pastTheBound = near(11, rng, 7201);
        List<Contact> plausible = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            plausible.add(near(4 + i, rng, 7300 + i));
        }
        List<Contact> answer = new ArrayList<>(invented);
        answer.add(atTheBound);
        answer.add(pastTheBound);
        answer.addAll(plausible);

        Lookup checked = lookup(TARGET, List.of(responder), 8);
        assertThat(checked.next(0)).extracting(c -> c.contact).containsExactly(responder);
        assertThat(checked.beyondBound(responder.id(), answer)).isEqualTo(11);
        assertThat(checked.answered(responder.id(), answer, List.of())).isEqualTo(11);
        List<Contact> asked = checked.next(1).stream().map(c -> c.contact).toList();
        assertThat(asked).containsExactlyInAnyOrderElementsOf(concat(plausible, atTheBound));
        for (Contact c : asked) {
            checked.answered(c.id(), List.of(), List.of());
        }
        assertThat(checked.isDone(2)).isTrue();
        assertThat(checked.closestAnswered()).extracting(c -> c.contact).doesNotContainAnyElementsOf(invented);

        Lookup unchecked = lookup(TARGET, List.of(responder), DhtConfig.LOOKUP_BOUND_OFF);
        unchecked.next(0);
        assertThat(unchecked.beyondBound(responder.id(), answer)).isZero();
        assertThat(unchecked.answered(responder.id(), answer, List.of())).isZero();
        assertThat(unchecked.next(1)).as("without the bound the invented contacts are asked first")
                .extracting(c -> c.contact).containsAll(invented);
    }

    private static List<Contact> concat(List<Contact> a, Contact b) {
        List<Contact> out = new ArrayList<>(a);
        out.add(b);
        return out;
    }

    @Test
    void aResponderNearTheTargetMayNameItsNeighbours() {
        SplittableRandom rng = new SplittableRandom(2);
        Contact responder = near(20, rng, 7000);
        List<Contact> neighbours = List.of(near(21, rng, 7001), near(25, rng, 7002), near(28, rng, 7003));
        Lookup l = lookup(TARGET, List.of(responder), 8);
        l.next(0);
        assertThat(l.answered(responder.id(), neighbours, List.of())).isZero();
        assertThat(l.next(1)).extracting(c -> c.contact).containsExactlyInAnyOrderElementsOf(neighbours);
    }

    @Test
    void keepsHonestBucketAnswers() {
        // A real routing table that has met 20,000 random nodes, asked for 2,000 targets at every distance from it.
        SplittableRandom rng = new SplittableRandom(3);
        Key self = Key.random(rng);
        RoutingTable table = new RoutingTable(self, DhtConfig.DEFAULT, 0);
        for (int i = 0; i < 20_000; i++) {
            Contact c = new Contact(Key.random(rng).toNodeId(), new PeerAddress(
                    (11 + rng.nextInt(200)) + "." + rng.nextInt(256) + "." + rng.nextInt(256) + ".1", 7000));
            table.offer(c, RoutingTable.Source.ANSWERED_US, 0);
        }
        Contact responder = new Contact(self.toNodeId(), new PeerAddress("127.0.0.1", 7000));
        int answers = 0;
        int trimmed = 0;
        int wrong = 0;
        for (int i = 0; i < 2_000; i++) {
            Key target = self.randomWithCommonPrefix(i % 20, rng); // up to 19 bits shared: its own neighbourhood too
            List<Contact> answer = table.closest(target, 20);
            Lookup l = new Lookup(1, Lookup.Kind.NODES, target, 0, SELF, List.of(responder), 1, 20, 3, 1, 0,
                    10_000_000_000L, 1_000_000_000L, Integer.MAX_VALUE, null, DhtConfig.SUGGESTED_LOOKUP_BOUND);
            l.next(0);
            int beyond = l.beyondBound(responder.id(), answer);
            assertThat(l.answered(responder.id(), answer, List.of())).isEqualTo(beyond);
            answers++;
            trimmed += beyond > 0 ? 1 : 0;
            wrong += beyond >= Lookup.WRONG_BEYOND ? 1 : 0;
        }
        // Expected from the geometric model: 7.5% trimmed, 0.3% wrong (fewer where buckets are not full).
        assertThat(trimmed).as("answers that lost a contact").isLessThan(answers / 8);
        assertThat(wrong).as("answers counted wrong").isLessThan(answers / 100);
    }

    @Test
    void anAnswerNamingContactsItCannotKnowCountsAgainstTheResponder() {
        Reputation scores = new Reputation(Reputation.Config.DEFAULT);
        Contact me = new Contact(SELF, new PeerAddress("10.1.0.1", 7345));
        Dht dht = new Dht(DhtConfig.DEFAULT.withLookupBound(DhtConfig.SUGGESTED_LOOKUP_BOUND), me, new SplittableRandom(1), SignatureVerifier.ED25519, 0, 0);
        dht.reputeWith(scores);
        SplittableRandom rng = new SplittableRandom(4);
        Contact liar = new Contact(TARGET.randomWithCommonPrefix(1, rng).toNodeId(), new PeerAddress("10.2.0.1", 7345));
        dht.bootstrap(0, List.of(liar));
        for (Dht.Transmit tx : drain(dht)) { // it answers the join honestly, and enters the table
            DhtMessage reply = tx.message() instanceof DhtMessage.FindNode f ? new DhtMessage.Nodes(f.id(), liar, List.of())
                    : new DhtMessage.Pong(tx.message().id(), liar, null);
            dht.handleMessage(MS, liar.id(), reply);
        }
        double before = scores.score(liar.id());
        assertThat(before).isGreaterThan(0.5);

        List<Contact> invented = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            invented.add(new Contact(TARGET.randomWithCommonPrefix(24 + i, rng).toNodeId(),
                    new PeerAddress("10." + (100 + i) + ".0.1", 7345)));
        }
        dht.findNode(2 * MS, TARGET);
        List<Dht.Transmit> sent = drain(dht).stream()
                .filter(tx -> tx.message() instanceof DhtMessage.FindNode f && f.target().equals(TARGET)).toList();
        assertThat(sent).extracting(Dht.Transmit::to).containsExactly(liar);
        dht.handleMessage(3 * MS, liar.id(), new DhtMessage.Nodes(sent.get(0).message().id(), liar, invented));
        assertThat(drain(dht)).as("none of the invented contacts is asked").noneMatch(tx -> invented.contains(tx.to()));
        // Two good answers against one wrong one, weighing four: (2 + 1) / (2 + 4 + 2).
        assertThat(scores.score(liar.id())).isCloseTo(0.375, org.assertj.core.data.Offset.offset(0.01));
        assertThat(dht.lookupContactsDropped()).isEqualTo(20);
    }

    private static final long MS = 1_000_000L;

    private static List<Dht.Transmit> drain(Dht dht) {
        List<Dht.Transmit> out = new ArrayList<>();
        for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
            out.add(tx);
        }
        return out;
    }
}
