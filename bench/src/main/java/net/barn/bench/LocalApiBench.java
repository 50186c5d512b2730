package net.barn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Identity;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.PeerLink;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnConnection;
import net.barn.sdk.BarnListener;
import net.barn.sdk.Role;

/**
 * What the containment boundary costs: application → daemon → link → daemon → application
 * through the local API and the SDK, against the direct link of {@link LinkBench} (an
 * in-process node writing to the far daemon's discard port), alternating in one run.
 */
public final class LocalApiBench {
    private static final int CHUNK = BenchSupport.CHUNK;
    private static final int PORT = 9000;
    private final double seconds;
    private final int runs;
    private final byte[] chunk = new byte[CHUNK];

    private LocalApiBench(double seconds, int runs) {
        this.seconds = seconds;
        this.runs = runs;
        new SecureRandom().nextBytes(chunk);
    }

    public static void run(double seconds, int runs) throws Exception {
        if (seconds <= 0 || seconds > 60 || runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--seconds must be in (0, 60], --runs in 1..20");
        }
        new LocalApiBench(seconds, runs).measure();
    }

    private record Peer(PeerProcess process, Path socket) {
        Invite invite() {
            return process.invite();
        }
    }

    private static Peer startPeer(Path dir, PowParams pow) throws IOException {
        Path socket = dir.resolve("api.sock");
        PeerProcess p = PeerProcess.start(dir.getFileName().toString(), List.of("-Xmx1g"),
                List.of(pow.toString(), socket.toString()));
        return new Peer(p, socket);
    }

    private void measure() throws Exception {
        PowParams pow = new PowParams(2, 6);
        Path dir = Files.createTempDirectory("barn-bench-local");
        Peer one = startPeer(Files.createDirectories(dir.resolve("one")), pow);
        Peer two = startPeer(Files.createDirectories(dir.resolve("two")), pow);
        NodeConfig config = NodeConfig.defaults(dir.resolve("direct"), new InetSocketAddress("127.0.0.1", 0)).withPow(pow);
        try (BarnNode direct = BarnNode.start(config, Identity.generate(new SecureRandom(), pow), new SecureRandom());
                Barn sender = Barn.connect(one.socket(), "bench-sender", Role.CLIENT);
                Barn receiver = Barn.connect(two.socket(), "bench-receiver", Role.SERVER)) {
            sender.addPeer(two.invite().toString());
            PeerLink link = direct.dial(two.invite()).get(20, TimeUnit.SECONDS);
            BarnListener sink = receiver.listen(PORT);
            BarnListener echo = receiver.listen(PORT + 1);
            serve(sink, false);
            serve(echo, true);
            String target = two.invite().nodeId().toString();

            directThroughput(link);
            appThroughput(sender, target); // warm-up of both paths
            double[] d = new double[runs];
            double[] a = new double[runs];
            double[] ratio = new double[runs];
            for (int i = 0; i < runs; i++) {
                d[i] = directThroughput(link);
                a[i] = appThroughput(sender, target);
                ratio[i] = a[i] / d[i];
            }
            System.gc();
            double[] directRtt;
            try (BlockingStream s = link.openBlocking(BuiltinServices.ECHO_PORT)) {
                directRtt = BenchSupport.roundTrips(s.in(), s.out());
            }
            double[] appRtt;
            try (BarnConnection c = sender.dial(target, PORT + 1)) {
                appRtt = BenchSupport.roundTrips(c.input(), c.output());
            }
            Arrays.sort(ratio);
            System.out.printf("# barn bench local, %s%n", LocalDate.now());
            System.out.printf("%d cores, Java %s; three processes (bench with apps and a direct node, daemon one, daemon two)%n",
                    Runtime.getRuntime().availableProcessors(), Runtime.version());
            System.out.printf("throughput: median of %d alternating runs of %.1f s%n%n", runs, seconds);
            System.out.println("| measurement | direct link (node in the app's process) | app → daemon → link → daemon → app | ratio |");
            System.out.println("|---|---|---|---|");
            System.out.printf("| throughput, 1 stream | %.0f MiB/s | %.0f MiB/s | %.2f (pairs %.2f-%.2f) |%n",
                    BenchSupport.median(d), BenchSupport.median(a), BenchSupport.median(ratio), ratio[0], ratio[runs - 1]);
            System.out.printf("| round trip, 64 B, p50 | %.1f us | %.1f us | %.2f |%n", directRtt[0], appRtt[0], appRtt[0] / directRtt[0]);
            System.out.printf("| round trip, 64 B, p99 | %.1f us | %.1f us | %.2f |%n", directRtt[1], appRtt[1], appRtt[1] / directRtt[1]);
        } finally {
            for (Peer p : List.of(one, two)) {
                p.process().close();
            }
        }
    }

    private static void serve(BarnListener listener, boolean echo) {
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                BarnConnection c;
                try {
                    c = listener.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofPlatform().daemon().start(() -> {
                    byte[] buf = new byte[CHUNK];
                    try (c) {
                        InputStream in = c.input();
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            if (echo) {
                                c.output().write(buf, 0, n);
                            }
                        }
                    } catch (IOException ignored) {
                        // the sender went away
                    }
                });
            }
        });
    }

    private double directThroughput(PeerLink link) throws Exception {
        BlockingStream s = link.openBlocking(BuiltinServices.DISCARD_PORT);
        long t0 = System.nanoTime();
        long bytes = BenchSupport.pump(s.out(), chunk, seconds);
        s.out().close();
        if (!s.awaitFinished(30, TimeUnit.SECONDS)) {
            throw new IOException("discard did not finish");
        }
        s.close();
        return bytes / (1024.0 * 1024.0) / ((System.nanoTime() - t0) / 1e9);
    }

    private double appThroughput(Barn sender, String target) throws Exception {
        BarnConnection c = sender.dial(target, PORT);
        long t0 = System.nanoTime();
        long bytes = BenchSupport.pump(c.output(), chunk, seconds);
        c.output().close();
        c.input().readAllBytes(); // the receiving app closes after reading everything
        c.close();
        return bytes / (1024.0 * 1024.0) / ((System.nanoTime() - t0) / 1e9);
    }

}
