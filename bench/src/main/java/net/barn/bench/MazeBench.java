package net.barn.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.PowParams;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnEvent;
import net.barn.sdk.Role;

/**
 * Maze delivery on loopback daemons, through the local API (no IRC): one maze joined public
 * and one joined private by the same nodes, in one run. One member sends at a fixed rate;
 * every other member's application records when each message arrives. Also the daemons'
 * CPU time while sending, per message, to show what a delivery costs.
 */
public final class MazeBench {
    private MazeBench() {}

    private static final int WARMUP = 1000;

    record Result(String maze, int deliveries, int expected, double p50, double p99, double max, double sendP50,
            double cpuMsPerMessage) {}

    public static void run(int nodes, int messages, int rate) throws Exception {
        if (nodes < 2 || nodes > 64 || messages < 10 || messages > 100_000 || rate < 1 || rate > 1000) {
            throw new IllegalArgumentException("--nodes 2..64, --messages 10..100000, --rate 1..1000");
        }
        Path dir = Files.createTempDirectory("barn-bench-maze");
        PowParams pow = new PowParams(2, 6);
        List<DhtBench.Daemon> daemons = new ArrayList<>();
        List<Barn> apps = new ArrayList<>();
        Random random = new Random(nodes);
        try {
            for (int i = 0; i < nodes; i++) {
                List<String> seeds = daemons.isEmpty() ? List.of()
                        : List.of(daemons.get(random.nextInt(daemons.size())).invite().toString());
                daemons.add(DhtBench.start(Files.createDirectories(dir.resolve("n" + i)), pow, seeds));
            }
            for (DhtBench.Daemon d : daemons) {
                DhtBench.awaitTable(d, Math.min(3, nodes - 1));
                apps.add(Barn.connect(d.socket(), "bench", Role.CLIENT));
            }
            apps.get(0).nameClaim("bench", 30);
            List<Result> results = new ArrayList<>();
            for (boolean isPrivate : new boolean[] {false, true}) {
                results.add(measure(daemons, apps, isPrivate ? "bench/private" : "bench/public", isPrivate, messages, rate));
            }
            System.out.printf("# barn bench maze, %s: %d daemons on loopback, %d messages at %d/s from one member, Java %s%n%n",
                    LocalDate.now(), nodes, messages, rate, Runtime.version());
            System.out.println("| maze | deliveries | latency p50 | p99 | max | sender's MazeSend p50 | daemons' CPU per message |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (Result r : results) {
                System.out.printf("| %s | %d of %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n", r.maze(), r.deliveries(),
                        r.expected(), r.p50(), r.p99(), r.max(), r.sendP50(), r.cpuMsPerMessage());
            }
            System.out.printf("%nratios private / public: p50 %.2f, p99 %.2f, CPU per message %.2f%n",
                    results.get(1).p50() / results.get(0).p50(), results.get(1).p99() / results.get(0).p99(),
                    results.get(1).cpuMsPerMessage() / results.get(0).cpuMsPerMessage());
        } finally {
            for (Barn b : apps) {
                b.close();
            }
            for (DhtBench.Daemon d : daemons) {
                d.process().getOutputStream().close();
            }
            for (DhtBench.Daemon d : daemons) {
                if (!d.process().waitFor(10, TimeUnit.SECONDS)) {
                    d.process().destroyForcibly();
                }
            }
        }
    }

    private static Result measure(List<DhtBench.Daemon> daemons, List<Barn> apps, String maze, boolean isPrivate, int messages,
            int rate) throws Exception {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        for (Barn b : apps) {
            b.onEvent(e -> {
                if (e instanceof BarnEvent.MazeMessage m && m.maze().equals(maze) && m.payload().length >= 8 && m.payload()[0] == 't') {
                    latencies.add(System.nanoTime() - java.nio.ByteBuffer.wrap(m.payload(), 1, 8).getLong());
                }
            });
            b.mazeJoin(maze, new byte[0], isPrivate);
        }
        int n = apps.size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && apps.stream().anyMatch(b -> members(b, maze) < n)) {
            Thread.sleep(100); // polling interval: the maze forms
        }
        Barn sender = apps.get(0);
        for (int i = 0; i < WARMUP; i++) { // compiled code and open links before measuring
            sender.mazeSend(maze, new byte[] {'w'});
            Thread.sleep(5); // the warm-up's pace
        }
        Thread.sleep(2000); // the warm-up drains
        latencies.clear();
        long cpuBefore = cpu(daemons);
        long[] sends = new long[messages];
        long gap = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            long due = start + i * gap;
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            long t = System.nanoTime();
            sender.mazeSend(maze, java.nio.ByteBuffer.allocate(64).put((byte) 't').putLong(t).array());
            sends[i] = System.nanoTime() - t;
        }
        Thread.sleep(3000); // late arrivals still count
        long cpuMs = (cpu(daemons) - cpuBefore) * 1000 / 100; // clock ticks of 1/100 s
        double[] ms = latencies.stream().mapToDouble(x -> x / 1e6).sorted().toArray();
        double[] send = java.util.Arrays.stream(sends).mapToDouble(x -> x / 1e6).sorted().toArray();
        return new Result(maze + (isPrivate ? " (private)" : ""), ms.length, messages * (n - 1), DhtBench.pct(ms, 0.5),
                DhtBench.pct(ms, 0.99), ms.length == 0 ? 0 : ms[ms.length - 1], DhtBench.pct(send, 0.5),
                cpuMs / (double) messages);
    }

    private static int members(Barn b, String maze) {
        try {
            return b.mazeList().stream().filter(s -> s.maze().equals(maze)).mapToInt(s -> s.members().size()).max().orElse(0);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** User and system CPU of the daemon processes so far, in clock ticks (Linux /proc; 0 elsewhere). */
    private static long cpu(List<DhtBench.Daemon> daemons) {
        long total = 0;
        for (DhtBench.Daemon d : daemons) {
            try {
                String[] f = Files.readString(Path.of("/proc/" + d.process().pid() + "/stat")).split("\\) ", 2)[1].split(" ");
                total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (java.io.IOException | RuntimeException e) {
                return 0;
            }
        }
        return total;
    }
}
