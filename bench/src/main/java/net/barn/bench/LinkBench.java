package net.barn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Identity;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.PeerLink;

/**
 * Link benchmark: two daemons in separate processes on loopback, measured in the same run as
 * plain TCP between the same two processes (the physical limit), reported as ratios.
 * Throughput (1 and 16 streams), round trip (echo of 64 bytes), handshake time.
 */
public final class LinkBench {
    private static final int CHUNK = BenchSupport.CHUNK;
    private static final int HANDSHAKES = 500;

    private final double seconds;
    private final int runs;
    private final PrintStream out;
    private final byte[] chunk = new byte[CHUNK];

    private LinkBench(double seconds, int runs, PrintStream out) {
        this.seconds = seconds;
        this.runs = runs;
        this.out = out;
        new SecureRandom().nextBytes(chunk); // incompressible, though nothing here compresses
    }

    /** Entry point of {@code barn bench link}: median of {@code runs} measurements of {@code seconds} each. */
    public static void run(double seconds, int runs) throws Exception {
        if (seconds <= 0 || seconds > 60 || runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--seconds must be in (0, 60], --runs in 1..20");
        }
        new LinkBench(seconds, runs, System.out).measure();
    }

    private void measure() throws Exception {
        PowParams pow = new PowParams(2, 6);
        try (PeerProcess peer = PeerProcess.start("link-peer", List.of("-Xmx1g"), List.of(pow.toString()))) {
            Invite invite = peer.invite();
            InetSocketAddress tcpDiscard = new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.tcpDiscardPort());
            InetSocketAddress tcpEcho = new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.tcpEchoPort());
            Path dir = Files.createTempDirectory("barn-bench");
            NodeConfig config = NodeConfig.defaults(dir, new InetSocketAddress("127.0.0.1", 0)).withPow(pow);
            try (BarnNode local = BarnNode.start(config, Identity.generate(new SecureRandom(), pow), new SecureRandom())) {
                PeerLink link = local.dial(invite).get(20, TimeUnit.SECONDS);
                report(local, link, invite, tcpDiscard, tcpEcho);
            }
        }
    }

    private void report(BarnNode local, PeerLink link, Invite invite, InetSocketAddress tcpDiscard, InetSocketAddress tcpEcho)
            throws Exception {
        out.printf("# barn bench link, %s%n", LocalDate.now());
        out.printf("machine: %s, %d cores, Java %s%n", cpuModel(), Runtime.getRuntime().availableProcessors(), Runtime.version());
        out.printf("each throughput: median of %d runs of %.1f s, TCP and BARN alternating; ratio = median of the per-pair ratios%n",
                runs, seconds);
        out.println("daemons and TCP endpoints in two processes on loopback");
        out.println();

        // Warm-up: the JIT compiles the hot paths of both processes before anything counts.
        tcpThroughput(tcpDiscard, 1);
        barnThroughput(link, 1);
        tcpThroughput(tcpDiscard, 16);
        barnThroughput(link, 16);

        double[] one = paired(() -> tcpThroughput(tcpDiscard, 1), () -> barnThroughput(link, 1));
        double[] sixteen = paired(() -> tcpThroughput(tcpDiscard, 16), () -> barnThroughput(link, 16));
        System.gc(); // the throughput runs' garbage is not the round trips' to pay for
        double[] tcpRtt = tcpRoundTrips(tcpEcho);
        double[] barnRtt = barnRoundTrips(link);
        double[] handshake = handshakes(local, invite);

        out.println("| measurement | plain TCP | BARN (Noise + mux) | BARN / TCP |");
        out.println("|---|---|---|---|");
        out.printf("| throughput, 1 stream | %.0f MiB/s | %.0f MiB/s | %.2f (pairs %.2f-%.2f) |%n", one[0], one[1], one[2], one[3], one[4]);
        out.printf("| throughput, 16 streams | %.0f MiB/s | %.0f MiB/s | %.2f (pairs %.2f-%.2f) |%n", sixteen[0], sixteen[1],
                sixteen[2], sixteen[3], sixteen[4]);
        out.printf("| round trip, 64 B, p50 | %.1f us | %.1f us | %.2f |%n", tcpRtt[0], barnRtt[0], barnRtt[0] / tcpRtt[0]);
        out.printf("| round trip, 64 B, p99 | %.1f us | %.1f us | %.2f |%n", tcpRtt[1], barnRtt[1], barnRtt[1] / tcpRtt[1]);
        out.printf("| handshake (TCP connect excluded), p50 | | %.2f ms | |%n", handshake[0]);
        out.printf("| handshake, p99 | | %.2f ms | |%n", handshake[1]);
        out.println();
        out.println("overhead per frame: 8 B mux header; per transport message (up to 65,519 B of frames): 2 B length + 16 B tag");
        out.printf("  a 64 B write costs 26 B (41%%); a full message of four 16 KiB data frames costs 50 B (0.08%%)%n");
    }

    private interface Measurement {
        double run() throws Exception;
    }

    /**
     * Runs anchor and subject alternately, so both see the same moment of a shared machine;
     * returns the median anchor, the median subject, and the median of the per-pair ratios.
     */
    private double[] paired(Measurement anchor, Measurement subject) throws Exception {
        double[] a = new double[runs];
        double[] b = new double[runs];
        double[] ratio = new double[runs];
        for (int i = 0; i < runs; i++) {
            a[i] = anchor.run();
            b[i] = subject.run();
            ratio[i] = b[i] / a[i];
        }
        Arrays.sort(ratio);
        return new double[] {BenchSupport.median(a), BenchSupport.median(b), BenchSupport.median(ratio), ratio[0], ratio[runs - 1]};
    }



    private double tcpThroughput(InetSocketAddress discard, int connections) throws Exception {
        return parallel(connections, () -> {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(discard);
                OutputStream o = s.getOutputStream();
                long bytes = BenchSupport.pump(o, chunk, seconds);
                s.shutdownOutput();
                s.getInputStream().read(); // the server closes once it has read everything
                return bytes;
            }
        });
    }

    private double barnThroughput(PeerLink link, int streams) throws Exception {
        return parallel(streams, () -> {
            BlockingStream s = link.openBlocking(BuiltinServices.DISCARD_PORT);
            long bytes = BenchSupport.pump(s.out(), chunk, seconds);
            s.out().close();
            if (!s.awaitFinished(30, TimeUnit.SECONDS)) { // discard finishes once it has read everything
                throw new IOException("discard did not finish");
            }
            s.close();
            return bytes;
        });
    }

    /** Runs the senders together; returns MiB/s over the wall time until all were delivered. */
    private double parallel(int n, Callable<Long> sender) throws Exception {
        try (ExecutorService threads = Executors.newFixedThreadPool(n)) {
            long t0 = System.nanoTime();
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(threads.submit(sender));
            }
            long total = 0;
            for (Future<Long> f : futures) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            return total / (1024.0 * 1024.0) / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private double[] tcpRoundTrips(InetSocketAddress echo) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(echo);
            return BenchSupport.roundTrips(s.getInputStream(), s.getOutputStream());
        }
    }

    private double[] barnRoundTrips(PeerLink link) throws IOException {
        try (BlockingStream s = link.openBlocking(BuiltinServices.ECHO_PORT)) {
            return BenchSupport.roundTrips(s.in(), s.out());
        }
    }

    /** p50 and p99 of the Noise handshake on fresh links (after warm-up), in milliseconds. */
    private double[] handshakes(BarnNode local, Invite invite) throws Exception {
        List<Double> times = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<Void>> down =
                new java.util.concurrent.atomic.AtomicReference<>(new java.util.concurrent.CompletableFuture<>());
        local.addListener(new net.barn.daemon.NodeListener() {
            @Override
            public void linkDown(PeerLink l, net.barn.core.ErrorCode code, String reason, boolean byPeer) {
                down.get().complete(null);
            }
        });
        for (int i = -HANDSHAKES; i < HANDSHAKES; i++) { // the first half warms both JVMs up
            var current = local.link(invite.nodeId());
            if (current.isPresent()) {
                down.set(new java.util.concurrent.CompletableFuture<>());
                current.get().close("next handshake");
                down.get().get(10, TimeUnit.SECONDS);
            }
            PeerLink link = local.dial(invite).get(10, TimeUnit.SECONDS);
            if (i >= 0) {
                times.add(link.handshakeNanos() / 1e6);
            }
        }
        double[] v = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new double[] {v[v.length / 2], v[v.length * 99 / 100]};
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
