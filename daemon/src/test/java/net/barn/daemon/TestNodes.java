package net.barn.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.PowParams;
import net.barn.core.link.LinkConfig;
import net.barn.core.testing.TestIdentities;

/** Starts nodes on loopback with cheap, seeded identities, and closes them after each test. */
public final class TestNodes implements AutoCloseable {
    private final Path root;
    private final List<BarnNode> nodes = new ArrayList<>();

    public TestNodes(Path root) {
        this.root = root;
    }

    public static NodeConfig config(Path dir) {
        return NodeConfig.defaults(dir, new InetSocketAddress("127.0.0.1", 0))
                .withLink(LinkConfig.defaults(PowParams.TEST).withHandshakeTimeout(2_000_000_000L));
    }

    public BarnNode start(long seed) throws IOException {
        return start(seed, config(root.resolve("n" + seed)));
    }

    public BarnNode start(long seed, NodeConfig config) throws IOException {
        BarnNode node = BarnNode.start(config, TestIdentities.of(seed), new SeededEntropy(seed * 31 + 7));
        nodes.add(node);
        return node;
    }

    @Override
    public void close() {
        nodes.forEach(BarnNode::close);
    }
}
