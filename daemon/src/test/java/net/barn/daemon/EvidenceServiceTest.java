package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import org.junit.jupiter.api.Test;

/** Evidence among in-process nodes: a publisher that signs two values at one sequence is excluded by every node that learns it. */
class EvidenceServiceTest extends RootNetworkTest {
    private DhtService root(BarnNode node, List<Contact> seeds) throws Exception {
        return roots.root(node, seeds);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        TestRoots.await(condition, what, 20);
    }

    private static boolean found(DhtService d, BarnNode target) {
        try {
            return d.findNode(net.barn.core.dht.Key.of(target.id())).get(10, TimeUnit.SECONDS).closest().stream()
                    .anyMatch(c -> c.id().equals(target.id()));
        } catch (Exception e) {
            return true; // no answer yet: ask again
        }
    }

    @Test
    void aPublisherThatSignsTwoValuesAtOneSequenceIsExcludedByEveryNodeThatLearnsIt() throws Exception {
        RootNetwork network = rootNetwork(4, 90);
        List<BarnNode> up = network.nodes();
        List<DhtService> dhts = network.roots();
        Contact seed = new Contact(up.get(0).id(), up.get(0).invite().addresses().get(0));
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 3), "the root network forms");
        BarnNode liar = up.get(3);
        long now = dhts.get(3).nowMillis();
        Record one = RecordTypes.owned(liar.identity(), "status", "here".getBytes(StandardCharsets.UTF_8), now, now + 3_600_000);
        Record two = RecordTypes.owned(liar.identity(), "status", "gone".getBytes(StandardCharsets.UTF_8), now, now + 3_600_000);
        dhts.get(3).put(one, true).get(10, TimeUnit.SECONDS);
        dhts.get(3).put(two, false).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            DhtService d = dhts.get(i);
            await(() -> d.evidence().isExcluded(liar.id()), "node " + i + " excludes the liar");
        }
        // Unlinked, and out of the routing tables: a lookup of the liar's own id never returns it.
        for (int i = 0; i < 3; i++) {
            DhtService d = dhts.get(i);
            BarnNode n = up.get(i);
            await(() -> n.link(liar.id()).isEmpty() && !found(d, liar), "node " + i + " drops the liar");
        }
        assertThat(dhts.get(0).evidence().excluded()).containsExactly(liar.id());

        // A node that joins afterwards never saw the two records: its first links bring it the proof.
        BarnNode late = nodes.start(99);
        DhtService lateRoot = root(late, List.of(seed));
        await(() -> lateRoot.evidence().isExcluded(liar.id()), "the late node learns of the liar from its links");
    }
}
