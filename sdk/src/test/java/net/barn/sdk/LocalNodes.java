package net.barn.sdk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.daemon.BarnNode;
import net.barn.daemon.TestNodes;
import net.barn.daemon.api.ApiServer;

/** Nodes with their local API, in this JVM, on loopback and in a temporary directory. */
final class LocalNodes implements AutoCloseable {
    private final Path root;
    private final TestNodes nodes;
    private final List<AutoCloseable> open = new ArrayList<>();

    LocalNodes(Path root) {
        this.root = root;
        this.nodes = new TestNodes(root);
    }

    record Running(BarnNode node, ApiServer api, Path socket, Path policy) {}

    Running start(long seed) throws IOException {
        return start(seed, null, -1);
    }

    /** A node whose policy is {@code policyToml} (null: none) and whose owner is {@code owner} (-1: this user). */
    Running start(long seed, String policyToml, int owner) throws IOException {
        BarnNode node = nodes.start(seed);
        Path dir = root.resolve("api" + seed);
        Files.createDirectories(dir);
        Path policy = dir.resolve("policy.toml");
        if (policyToml != null) {
            Files.writeString(policy, policyToml);
        }
        Path socket = dir.resolve("api.sock");
        ApiServer api = owner < 0 ? ApiServer.start(node, socket, policy) : ApiServer.start(node, socket, policy, owner);
        open.add(api);
        return new Running(node, api, socket, policy);
    }

    <T extends AutoCloseable> T track(T c) {
        open.add(0, c);
        return c;
    }

    static void link(Running a, Running b) throws Exception {
        a.node().dial(b.node().invite()).get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.node().link(a.node().id()).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("link not seen by " + b.node().id().shortForm());
            }
            Thread.sleep(5); // polling interval of the wait
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        nodes.close();
    }
}
