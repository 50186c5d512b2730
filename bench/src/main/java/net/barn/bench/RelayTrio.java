package net.barn.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import net.barn.core.link.LinkConfig;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayConfig;
import net.barn.daemon.BarnNode;
import net.barn.daemon.NodeConfig;

/**
 * Three nodes in one process on loopback for the relay benchmarks: a public relay whose circuits
 * carry a whole run (the default limits, 16 MiB and 30 min, are a relay's own policy), a node
 * told it is behind NAT and holding a reservation on it, and a dialler linked to the relay.
 */
record RelayTrio(BarnNode relay, BarnNode hidden, BarnNode dialler) implements AutoCloseable {
    static RelayTrio start(String name) throws Exception {
        Path dir = Files.createTempDirectory(name);
        PowParams pow = new PowParams(2, 6);
        SecureRandom random = new SecureRandom();
        BarnNode relay = node(dir.resolve("relay"), pow, random);
        BarnNode hidden = node(dir.resolve("hidden"), pow, random);
        BarnNode dialler = node(dir.resolve("dialler"), pow, random);
        RelayTrio trio = new RelayTrio(relay, hidden, dialler);
        try {
            relay.reachability().assume(Reachability.Verdict.PUBLIC);
            relay.relay().useConfig(RelayConfig.DEFAULT.withCircuitLimits(1L << 40, TimeUnit.HOURS.toNanos(1)));
            hidden.reachability().assume(Reachability.Verdict.CONE_NAT);
            hidden.dial(relay.invite()).get(60, TimeUnit.SECONDS);
            dialler.dial(relay.invite()).get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!hidden.relay().relays().contains(relay.id())) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the hidden node never reserved on the relay");
                }
                Thread.sleep(20); // polling interval: the reservation is made
            }
            return trio;
        } catch (Exception e) {
            trio.close();
            throw e;
        }
    }

    private static BarnNode node(Path dir, PowParams pow, SecureRandom random) throws IOException {
        NodeConfig config = NodeConfig.defaults(dir, new InetSocketAddress("127.0.0.1", 0)).withLink(LinkConfig.defaults(pow));
        return BarnNode.start(config, Identity.generate(random, pow), random);
    }

    @Override
    public void close() {
        dialler.close();
        hidden.close();
        relay.close();
    }
}
