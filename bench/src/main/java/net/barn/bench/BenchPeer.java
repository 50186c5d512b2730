package net.barn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.security.SecureRandom;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.NodeConfig;

/**
 * The far end of the link benchmark, run as its own process: a BARN node (echo on port 7,
 * discard on port 9) and, as the physical limit, plain TCP discard and echo servers, all on
 * loopback; with a second argument, also the local API on that socket path; with a third
 * ("dht") and invites after it, also the root network, joined through those. Prints one line,
 * {@code ready <invite> <tcp-discard-port> <tcp-echo-port>}.
 */
public final class BenchPeer {
    private BenchPeer() {}

    public static void main(String[] args) throws Exception {
        PowParams pow = PowParams.parse(args.length > 0 ? args[0] : "2,6");
        NodeConfig config = NodeConfig.defaults(Files.createTempDirectory("barn-bench-peer"),
                new InetSocketAddress("127.0.0.1", 0)).withPow(pow);
        BarnNode node = BarnNode.start(config, net.barn.core.identity.Identity.generate(new SecureRandom(), pow),
                new SecureRandom());
        if (args.length > 1) { // serve the local API too, for benchmarks of applications
            var api = net.barn.daemon.api.ApiServer.start(node, java.nio.file.Path.of(args[1]),
                    java.nio.file.Path.of(args[1] + ".no-policy"));
            if (args.length > 2) { // and the root network, joining through the invites given
                var store = net.barn.daemon.store.StateStore.open(net.barn.daemon.store.DataDir.open(config.dataDir()));
                java.util.List<net.barn.core.dht.Contact> seeds = new java.util.ArrayList<>();
                for (int i = 3; i < args.length; i++) {
                    var inv = net.barn.core.identity.Invite.parse(args[i]);
                    seeds.add(new net.barn.core.dht.Contact(inv.nodeId(), inv.addresses().get(0)));
                }
                var dht = net.barn.daemon.DhtService.start(node, store, net.barn.core.dht.DhtConfig.DEFAULT, seeds);
                api.attach(dht);
                String beacon = System.getProperty("barn.bench.beacon"); // "members,startMs,phaseMs,roundMs"
                if (beacon != null) {
                    startBeacon(dht, beacon);
                }
            }
        }
        ServerSocket discard = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        ServerSocket echo = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        serve(discard, false);
        serve(echo, true);
        System.out.println("ready " + node.invite() + " " + discard.getLocalPort() + " " + echo.getLocalPort());
        System.out.flush();
        // Runs until the benchmark closes our stdin (or kills us).
        while (System.in.read() >= 0) {
            // nothing to read; EOF ends the peer
        }
        node.close();
        System.exit(0);
    }

    /**
     * Runs the random beacon and reports on stdout: {@code beacon-output <round> <ms after the
     * round's start>} per output, and every 2 s {@code beacon-stats <index> <members> <dkg ms>
     * <dkg bytes sent> <round bytes sent> <outputs>}.
     */
    private static void startBeacon(net.barn.daemon.DhtService dht, String spec) throws java.io.IOException {
        String[] p = spec.split(",");
        long roundMillis = Long.parseLong(p[3]);
        var b = dht.startBeacon(null, new net.barn.daemon.BeaconService.Config(Integer.parseInt(p[0]), Long.parseLong(p[1]),
                Long.parseLong(p[2]), roundMillis));
        b.onOutput(o -> {
            long late = System.currentTimeMillis() - o.round() * roundMillis;
            synchronized (System.out) {
                System.out.println("beacon-output " + o.round() + " " + late);
                System.out.flush();
            }
        });
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Thread.sleep(2000); // reporting interval, not a wait for an event
                } catch (InterruptedException e) {
                    return;
                }
                var st = b.status();
                synchronized (System.out) {
                    System.out.println("beacon-stats " + st.index() + " " + st.members() + " " + st.dkgMillis() + " "
                            + st.dkgBytesSent() + " " + st.roundBytesSent() + " " + st.outputs() + " " + st.state().replace(' ', '_'));
                    System.out.flush();
                }
            }
        });
    }

    private static void serve(ServerSocket server, boolean echo) {
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofPlatform().daemon().start(() -> handle(s, echo));
            }
        });
    }

    private static void handle(Socket s, boolean echo) {
        byte[] buf = new byte[64 * 1024];
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (echo) {
                    out.write(buf, 0, n);
                }
            }
            s.shutdownOutput();
        } catch (IOException ignored) {
            // the benchmark hung up
        }
    }

}
