package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import org.junit.jupiter.api.Test;

/** The real Dht core, many at once, in the simulator without faults: behaviour, one case at a time. */
class DhtClusterTest {
    private static final long SECOND = 1_000_000_000L;
    private final Identity alice = Identity.generate(new SeededEntropy(11), PowParams.TEST);
    private final Map<Long, DhtEvent.QueryResult> results = new HashMap<>();
    private DhtSimulation sim;

    private DhtSimulation cluster(int n, long seed) {
        return cluster(n, seed, n);
    }

    /** {@code n} nodes of which the first {@code started} join, each by an earlier one's invite. */
    private DhtSimulation cluster(int n, long seed, int started) {
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        sim = new DhtSimulation(DhtConfig.DEFAULT, FaultProfile.NONE, root, n);
        sim.onEvent((node, e) -> {
            if (e instanceof DhtEvent.QueryDone d) {
                results.put(d.query() * 100_000 + node.index(), d.result());
            }
        });
        List<DhtSimulation.Node> nodes = sim.nodes();
        for (int i = 0; i < started; i++) {
            DhtSimulation.Node node = nodes.get(i);
            List<Contact> seeds = i == 0 ? List.of() : List.of(nodes.get(i / 2).contact());
            sim.queue().at(i * SECOND / 10, () -> sim.start(node, seeds));
        }
        sim.runUntil(started * SECOND / 10 + 60 * SECOND);
        return sim;
    }

    private long nowMillis() {
        return Math.floorDiv(sim.now() + DhtSimulation.EPOCH_OFFSET_NANOS, 1_000_000L);
    }

    @SuppressWarnings("unchecked")
    private <T extends DhtEvent.QueryResult> T await(DhtSimulation.Node node, long query, Class<T> type) {
        long key = query * 100_000 + node.index();
        for (int i = 0; i < 120 && !results.containsKey(key); i++) {
            sim.runUntil(sim.now() + SECOND);
        }
        assertThat(results).as("query finished").containsKey(key);
        return (T) results.get(key);
    }

    private Record record(String name, int seq) {
        return RecordTypes.owned(alice, name, ("v" + seq).getBytes(StandardCharsets.UTF_8), seq, nowMillis() + 3_600_000);
    }

    @Test
    void everyNodeJoinsAndFillsItsTableFromItsOwnLookups() {
        cluster(100, 1);
        for (DhtSimulation.Node n : sim.nodes()) {
            assertThat(n.dht().isBootstrapped()).isTrue();
            assertThat(n.dht().table().size()).as("node %d table", n.index()).isGreaterThanOrEqualTo(20);
        }
    }

    @Test
    void aRecordPutByOneNodeIsReadByAnotherFromAQuorum() {
        cluster(80, 2);
        DhtSimulation.Node writer = sim.nodes().get(3);
        DhtSimulation.Node reader = sim.nodes().get(71);
        Record r = record("greeting", 1);
        DhtEvent.PutResult put = await(writer, sim.act(writer, d -> d.put(sim.now(), r)), DhtEvent.PutResult.class);
        assertThat(put.stored()).isGreaterThanOrEqualTo(15);
        DhtEvent.GetResult got = await(reader, sim.act(reader, d -> d.get(sim.now(), r.key(), RecordTypes.OWNED)),
                DhtEvent.GetResult.class);
        assertThat(got.record()).isEqualTo(r);
        assertThat(got.agreeing()).isGreaterThanOrEqualTo(DhtConfig.DEFAULT.quorum());
    }

    @Test
    void theNewestRecordWinsAndStaleReplicasAreRepaired() {
        cluster(80, 3);
        DhtSimulation.Node writer = sim.nodes().get(5);
        Record v1 = record("counter", 1);
        await(writer, sim.act(writer, d -> d.put(sim.now(), v1)), DhtEvent.PutResult.class);
        // Some replicas miss the update: they are down while it is written.
        List<DhtSimulation.Node> holders = new ArrayList<>();
        for (DhtSimulation.Node n : sim.nodes()) {
            if (n != writer && n.dht().localRecord(sim.now(), v1.key(), RecordTypes.OWNED) != null && holders.size() < 5) {
                holders.add(n);
            }
        }
        holders.forEach(sim::crash);
        Record v2 = record("counter", 2);
        await(writer, sim.act(writer, d -> d.put(sim.now(), v2)), DhtEvent.PutResult.class);
        holders.forEach(n -> sim.start(n, List.of()));
        sim.runUntil(sim.now() + 30 * SECOND);
        DhtSimulation.Node reader = sim.nodes().get(60);
        DhtEvent.GetResult got = await(reader, sim.act(reader, d -> d.get(sim.now(), v2.key(), RecordTypes.OWNED)),
                DhtEvent.GetResult.class);
        assertThat(got.record().sequence()).isEqualTo(2);
        sim.runUntil(sim.now() + 10 * SECOND);
        // A replica that came back with v1 and was asked now holds v2 (read repair) or dropped v1.
        for (DhtSimulation.Node h : holders) {
            Record held = h.dht().localRecord(sim.now(), v2.key(), RecordTypes.OWNED);
            if (held != null && got.repaired() > 0) {
                assertThat(held.sequence()).isIn(1L, 2L);
            }
        }
        assertThat(got.repaired() + got.agreeing()).isGreaterThan(0);
    }

    @Test
    void aLowerSequenceNeverReplacesAHigherOne() {
        cluster(40, 4);
        DhtSimulation.Node writer = sim.nodes().get(1);
        Record v5 = record("mono", 5);
        await(writer, sim.act(writer, d -> d.put(sim.now(), v5)), DhtEvent.PutResult.class);
        Record v4 = record("mono", 4);
        DhtEvent.PutResult put = await(writer, sim.act(writer, d -> d.put(sim.now(), v4)), DhtEvent.PutResult.class);
        assertThat(put.stored()).isZero();
        assertThat(put.refused()).anyMatch(why -> why.contains("holding a newer record"));
        DhtSimulation.Node reader = sim.nodes().get(30);
        DhtEvent.GetResult got = await(reader, sim.act(reader, d -> d.get(sim.now(), v5.key(), RecordTypes.OWNED)),
                DhtEvent.GetResult.class);
        assertThat(got.record().sequence()).isEqualTo(5);
    }

    @Test
    void forgedRecordsAreRefusedAndNeverServed() {
        cluster(40, 5);
        DhtSimulation.Node liar = sim.nodes().get(2);
        DhtSimulation.Node victim = sim.nodes().get(3);
        Record real = record("bank", 1);
        Record forged = new Record(real.type(), real.key(), "pay mallory".getBytes(StandardCharsets.UTF_8), 9,
                real.expiresAtMillis(), real.publisherKey(), real.name(), real.signature());
        List<DhtMessage> answers = new ArrayList<>();
        sim.onEvent((n, e) -> { });
        sim.intercept((from, m) -> {
            if (from == victim && m instanceof DhtMessage.Stored s) {
                answers.add(s);
            }
            return m;
        });
        sim.inject(liar, victim, new DhtMessage.Store(77, liar.contact(), forged));
        assertThat(answers).singleElement().satisfies(m -> {
            assertThat(((DhtMessage.Stored) m).accepted()).isFalse();
            assertThat(((DhtMessage.Stored) m).reason()).isEqualTo("bad signature");
        });
        assertThat(victim.dht().localRecord(sim.now(), real.key(), RecordTypes.OWNED)).isNull();
    }

    @Test
    void repliesWithJunkOrSilenceCannotHoldALookupPastItsDeadline() {
        cluster(120, 6);
        // A third of the nodes turn hostile: they answer FIND_NODE with made-up, unreachable
        // contacts that claim to be right next to the target, or do not answer at all.
        RandomGenerator junk = RandomGeneratorFactory.of("L64X128MixRandom").create(99);
        sim.intercept((from, m) -> {
            if (from.index() % 3 != 0) {
                return m;
            }
            if (m instanceof DhtMessage.Nodes n) {
                List<Contact> lies = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    byte[] id = new byte[32];
                    junk.nextBytes(id);
                    lies.add(new Contact(NodeId.of(id), new PeerAddress("203.0.113." + (1 + junk.nextInt(250)), 7345)));
                }
                return new DhtMessage.Nodes(n.id(), n.sender(), lies);
            }
            return m instanceof DhtMessage.Value ? null : m;
        });
        DhtSimulation.Node asker = sim.nodes().get(1);
        long start = sim.now();
        DhtEvent.FindNodeResult r = await(asker, sim.act(asker, d -> d.findNode(sim.now(), Key.random(junk))),
                DhtEvent.FindNodeResult.class);
        assertThat(sim.now() - start).isLessThanOrEqualTo(DhtConfig.DEFAULT.lookupTimeoutNanos() + 2 * SECOND);
        assertThat(r.closest()).isNotEmpty().allMatch(c -> sim.node(c.id()) != null); // only real nodes answered
        for (DhtSimulation.Node n : sim.nodes()) {
            assertThat(n.dht().table().contacts()).as("junk never enters a routing table")
                    .allMatch(c -> sim.node(c.id()) != null);
        }
    }

    @Test
    void aPeerFloodingRequestsIsRateLimited() {
        cluster(20, 7);
        DhtSimulation.Node flooder = sim.nodes().get(4);
        DhtSimulation.Node target = sim.nodes().get(5);
        long refusedBefore = target.dht().requestsRefused();
        for (int i = 0; i < 500; i++) {
            sim.inject(flooder, target, new DhtMessage.Ping(1000 + i, flooder.contact()));
        }
        long refused = target.dht().requestsRefused() - refusedBefore;
        assertThat(refused).isGreaterThan(400); // a burst of 40 passes, the rest is refused
    }

    @Test
    void aRestartedNodeRejoinsFromItsPeerCacheAlone() {
        cluster(60, 8);
        DhtSimulation.Node n = sim.nodes().get(20);
        sim.crash(n);
        sim.runUntil(sim.now() + 60 * SECOND);
        sim.start(n, List.of());
        sim.runUntil(sim.now() + 30 * SECOND);
        assertThat(n.dht().isBootstrapped()).isTrue();
        assertThat(n.dht().table().size()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void aNodeThatJoinedThroughADeadSeedMergesWhenTheSeedReturns() {
        cluster(61, 9, 60);
        DhtSimulation.Node seed = sim.nodes().get(7);
        DhtSimulation.Node late = sim.nodes().get(60);
        sim.crash(seed);
        sim.start(late, List.of(seed.contact()));
        sim.runUntil(sim.now() + 120 * SECOND);
        assertThat(late.dht().table().size()).as("alone while its only seed is down").isZero();

        sim.start(seed, List.of());
        sim.runUntil(sim.now() + 10 * 60 * SECOND);
        assertThat(late.dht().isBootstrapped()).isTrue();
        assertThat(late.dht().table().size()).isGreaterThanOrEqualTo(20);
        long knownBy = sim.nodes().stream().limit(60).filter(n -> n.dht().table().contains(late.id())).count();
        assertThat(knownBy).as("nodes that have the late joiner in their table").isGreaterThanOrEqualTo(10);
    }
}
