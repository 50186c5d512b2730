package net.barn.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.sdk.Barn;
import net.barn.sdk.NodeStatus;
import net.barn.sdk.Role;

/**
 * A root network of daemons in separate processes on loopback: how soon a record stored on
 * one is readable from every other, how long reads take, and what an idle node sends.
 */
public final class DhtBench {
    private DhtBench() {}

    /** The daemon's idle-link timeout (120 s) plus a margin: links made by the workload are gone after it. */
    private static final int SETTLE_SECONDS = 130;

    record Daemon(Process process, Invite invite, Path socket) {}

    public static void run(int nodes, int idleSeconds) throws Exception {
        if (nodes < 3 || nodes > 64 || idleSeconds < 0 || idleSeconds > 1800) {
            throw new IllegalArgumentException("--nodes must be 3..64, --idle 0..1800 seconds");
        }
        PowParams pow = new PowParams(2, 6);
        Path dir = Files.createTempDirectory("barn-bench-dht");
        List<Daemon> daemons = new ArrayList<>();
        Random random = new Random(nodes);
        try {
            for (int i = 0; i < nodes; i++) {
                List<String> seeds = new ArrayList<>();
                if (!daemons.isEmpty()) {
                    seeds.add(daemons.get(random.nextInt(daemons.size())).invite().toString());
                }
                daemons.add(start(Files.createDirectories(dir.resolve("n" + i)), pow, seeds));
            }
            for (Daemon d : daemons) {
                awaitTable(d, 3);
            }
            // Store on one, then read from every other at once; repeat to get a distribution.
            List<Double> allRead = new ArrayList<>();
            List<Double> reads = new ArrayList<>();
            int rounds = 10;
            for (int round = 0; round < rounds; round++) {
                Daemon writer = daemons.get(random.nextInt(nodes));
                String key;
                long t0;
                try (Barn w = Barn.connect(writer.socket(), "bench", Role.CLIENT)) {
                    key = w.dhtPut("bench-" + round, ("value " + round).getBytes(StandardCharsets.UTF_8), 0).key();
                    t0 = System.nanoTime();
                }
                List<CompletableFuture<Double>> all = new ArrayList<>();
                for (Daemon d : daemons) {
                    if (d != writer) {
                        all.add(CompletableFuture.supplyAsync(() -> readUntilFound(d, key)));
                    }
                }
                for (CompletableFuture<Double> f : all) {
                    reads.add(f.get(60, TimeUnit.SECONDS));
                }
                allRead.add((System.nanoTime() - t0) / 1e6);
            }
            // Two windows: while the workload's links wind down (keepalives until the idle-link
            // timeout closes them), then the steady state of an idle network.
            long[] start = frames(daemons);
            long t0 = System.nanoTime();
            Thread.sleep(SETTLE_SECONDS * 1000L); // the wind-down window being measured, not a wait for an event
            long[] before = frames(daemons);
            double settlePerNode = (before[0] - start[0] + before[1] - start[1]) / (double) nodes
                    / ((System.nanoTime() - t0) / 60e9);
            t0 = System.nanoTime();
            Thread.sleep(idleSeconds * 1000L); // the idle window being measured, not a wait for an event
            long[] after = frames(daemons);
            double minutes = (System.nanoTime() - t0) / 60e9;
            double idlePerNode = (after[0] - before[0] + after[1] - before[1]) / (double) nodes / minutes;

            double[] r = reads.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double[] a = allRead.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("# barn bench dht, %s: %d daemons on loopback, Java %s%n%n", LocalDate.now(), nodes, Runtime.version());
            System.out.println("| measurement | p50 | p99 | max |");
            System.out.println("|---|---|---|---|");
            System.out.printf("| one get, from a node that did not store it | %.1f ms | %.1f ms | %.1f ms |%n", pct(r, 0.5), pct(r, 0.99),
                    r[r.length - 1]);
            System.out.printf("| put done -> read by every other node (%d rounds) | %.1f ms | %.1f ms | %.1f ms |%n", rounds,
                    pct(a, 0.5), pct(a, 0.99), a[a.length - 1]);
            System.out.printf("%nlink frames per node per minute (sent + received): %.1f in the %d s after the workload"
                    + " (its links winding down), %.1f over the next %d s (idle)%n", settlePerNode, SETTLE_SECONDS, idlePerNode,
                    idleSeconds);
        } finally {
            for (Daemon d : daemons) {
                d.process().getOutputStream().close();
            }
            for (Daemon d : daemons) {
                if (!d.process().waitFor(10, TimeUnit.SECONDS)) {
                    d.process().destroyForcibly();
                }
            }
        }
    }

    static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    private static double readUntilFound(Daemon d, String key) {
        long t0 = System.nanoTime();
        try (Barn b = Barn.connect(d.socket(), "bench", Role.CLIENT)) {
            for (int attempt = 0; attempt < 50; attempt++) {
                long t = System.nanoTime();
                if (b.dhtGet(key) != null) {
                    return (System.nanoTime() - t) / 1e6;
                }
            }
            throw new IllegalStateException("never found " + key + " after " + (System.nanoTime() - t0) / 1e6 + " ms");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long[] frames(List<Daemon> daemons) throws IOException {
        long in = 0;
        long out = 0;
        for (Daemon d : daemons) {
            try (Barn b = Barn.connect(d.socket(), "bench", Role.CLIENT)) {
                NodeStatus s = b.status();
                in += s.framesIn();
                out += s.framesOut();
            }
        }
        // Each status call itself crosses no link, so it does not disturb the count.
        return new long[] {in, out};
    }

    static void awaitTable(Daemon d, int size) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Barn b = Barn.connect(d.socket(), "bench", Role.CLIENT)) {
            while (b.status().routingTable() < size) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("node never joined the root network");
                }
                Thread.sleep(50); // polling interval of the wait
            }
        }
    }

    static Daemon start(Path dir, PowParams pow, List<String> seeds) throws IOException {
        Path socket = dir.resolve("api.sock");
        List<String> args = new ArrayList<>(List.of(pow.toString(), socket.toString(), "dht"));
        args.addAll(seeds);
        PeerProcess p = PeerProcess.start(dir.getFileName().toString(),
                List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args);
        return new Daemon(p.process(), p.invite(), socket);
    }

}
