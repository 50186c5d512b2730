package net.barn.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.PowParams;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;

/**
 * The root namespace on daemons in separate processes on loopback: how long a claim takes
 * (its work, its countersigning, its storing) at the network's default work, and how long
 * every other node then takes to resolve the name, with how many replicas agreed.
 */
public final class NameBench {
    private NameBench() {}

    public static void run(int nodes, int claims) throws Exception {
        if (nodes < 3 || nodes > 64 || claims < 1 || claims > 100) {
            throw new IllegalArgumentException("--nodes must be 3..64, --claims 1..100");
        }
        PowParams pow = new PowParams(2, 6);
        Path dir = Files.createTempDirectory("barn-bench-names");
        List<DhtBench.Daemon> daemons = new ArrayList<>();
        Random random = new Random(nodes * 31L + claims);
        try {
            for (int i = 0; i < nodes; i++) {
                List<String> seeds = new ArrayList<>();
                if (!daemons.isEmpty()) {
                    seeds.add(daemons.get(random.nextInt(daemons.size())).invite().toString());
                }
                daemons.add(DhtBench.start(Files.createDirectories(dir.resolve("n" + i)), pow, seeds));
            }
            for (DhtBench.Daemon d : daemons) {
                DhtBench.awaitTable(d, 3);
            }
            List<double[]> phases = new ArrayList<>(); // total, work, commit, put (ms)
            List<Double> resolves = new ArrayList<>();
            List<Integer> agreeing = new ArrayList<>();
            int conflicts = 0;
            for (int c = 0; c < claims; c++) {
                DhtBench.Daemon owner = daemons.get(random.nextInt(nodes));
                String name = "bench-" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
                long t0 = System.nanoTime();
                Barn.Name claimed;
                try (Barn b = Barn.connect(owner.socket(), "bench", Role.CLIENT)) {
                    claimed = b.nameClaim(name, 30);
                }
                phases.add(new double[] {(System.nanoTime() - t0) / 1e6, claimed.workMillis(), claimed.commitMillis(),
                        claimed.putMillis()});
                List<CompletableFuture<Barn.Name>> reads = new ArrayList<>();
                for (DhtBench.Daemon d : daemons) {
                    if (d != owner) {
                        reads.add(CompletableFuture.supplyAsync(() -> show(d, name)));
                    }
                }
                for (CompletableFuture<Barn.Name> f : reads) {
                    Barn.Name n = f.get(60, TimeUnit.SECONDS);
                    if (!n.found() || !n.owners().equals(claimed.owners())) {
                        throw new IllegalStateException("a node resolved " + name + " to " + n.owners() + ", not " + claimed.owners());
                    }
                    resolves.add(n.latencyMicros() / 1000.0);
                    agreeing.add(n.agreeing());
                    conflicts += n.conflicting() > 0 ? 1 : 0;
                }
            }
            System.out.printf("# barn bench names, %s: %d daemons on loopback, %d claims, Java %s%n%n", LocalDate.now(), nodes,
                    claims, Runtime.version());
            System.out.println("| measurement | p50 | p90 | max |");
            System.out.println("|---|---|---|---|");
            String[] labels = {"claim, end to end", "  of which work (Argon2id 4 MiB, 1 pass, 9 bits)",
                    "  of which countersigning", "  of which storing"};
            for (int i = 0; i < 4; i++) {
                int col = i;
                double[] v = phases.stream().mapToDouble(p -> p[col]).sorted().toArray();
                System.out.printf("| %s | %.0f ms | %.0f ms | %.0f ms |%n", labels[i], DhtBench.pct(v, 0.5), DhtBench.pct(v, 0.9),
                        v[v.length - 1]);
            }
            double[] r = resolves.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("| resolve from every other node (%d reads) | %.1f ms | %.1f ms | %.1f ms |%n", r.length,
                    DhtBench.pct(r, 0.5), DhtBench.pct(r, 0.9), r[r.length - 1]);
            double[] a = agreeing.stream().mapToDouble(Integer::doubleValue).sorted().toArray();
            System.out.printf("%nreplicas agreeing per read: median %.0f, lowest %.0f; reads flagging a conflict: %d%n",
                    DhtBench.pct(a, 0.5), a[0], conflicts);
        } finally {
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

    private static Barn.Name show(DhtBench.Daemon d, String name) {
        try (Barn b = Barn.connect(d.socket(), "bench", Role.CLIENT)) {
            return b.nameShow(name, false);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
