package net.barn.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.dht.Contact;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What the daemon tests on a root network of in-process nodes share: a temporary directory, the nodes, their root services, closed after each test. */
abstract class RootNetworkTest {
    @TempDir
    Path tmp;

    TestNodes nodes;
    final TestRoots roots = new TestRoots();

    /** Nodes on a root network: node i and its root service at position i. */
    record RootNetwork(List<BarnNode> nodes, List<DhtService> roots) {}

    /** Starts {@code count} nodes (test ports from {@code firstPort}), each with a root service seeded with the first node. */
    RootNetwork rootNetwork(int count, int firstPort) throws Exception {
        nodes = new TestNodes(tmp);
        List<BarnNode> up = new ArrayList<>();
        List<DhtService> dhts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            up.add(nodes.start(firstPort + i));
        }
        Contact seed = new Contact(up.get(0).id(), up.get(0).invite().addresses().get(0));
        for (int i = 0; i < count; i++) {
            dhts.add(roots.root(up.get(i), i == 0 ? List.of() : List.of(seed)));
        }
        return new RootNetwork(List.copyOf(up), List.copyOf(dhts));
    }

    @AfterEach
    void stopNodes() throws Exception {
        roots.close();
        if (nodes != null) {
            nodes.close();
        }
    }
}
