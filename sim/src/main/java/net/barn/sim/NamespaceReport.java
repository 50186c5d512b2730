package net.barn.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** Prints a namespace run's summary and writes its CSV files. */
public final class NamespaceReport {
    private NamespaceReport() {}

    public static void summary(NamespaceScenario.Result r, PrintStream out) {
        NamespaceScenario.Params p = r.params();
        int[] sizes = r.namespaceSizes().clone();
        Arrays.sort(sizes);
        long memberships = Arrays.stream(sizes).sum();
        out.printf(Locale.ROOT, "# barn sim namespace: %d nodes, %d namespaces, seed %d, churn %.0f%%/h, faults: %s%n", p.nodes(),
                p.namespaces(), p.seed(), p.churn() * 100, r.faults());
        out.printf(Locale.ROOT, "namespace sizes (Zipf-like): largest %d, median %d, smallest %d; %d memberships (%.2f per node)%n",
                sizes[sizes.length - 1], sizes[sizes.length / 2], sizes[0], memberships, memberships / (double) p.nodes());
        out.printf(Locale.ROOT, "simulated %.0f s (join %d min, settle 1 min, broadcasts %d min, drain %d s); %d departures "
                + "(a quarter graceful), %d contact lookups%n", r.simulatedSeconds(), p.joinMinutes(), p.minutes(),
                NamespaceScenario.WINDOW / NamespaceScenario.SECOND + 1, r.churnEvents(), r.lookups());
        out.println("contact lookup is MODELLED: up to 8 random live members of the namespace, after a delay drawn like a");
        out.println("root-network get (log-normal, p50 330 ms, p99 ~760 ms); the signed membership records are not simulated.");
        out.println();
        out.printf(Locale.ROOT, "broadcasts: %d (%.1f per namespace per minute)%n", r.broadcasts().size(), p.broadcastsPerMinute());
        out.printf(Locale.ROOT, "coverage: %d of %d eligible deliveries = %.4f%% (%d of %d broadcasts reached every eligible member)%n",
                r.covered(), r.eligible(), r.coverage() * 100, r.fullyCovered(), r.broadcasts().size());
        out.printf(Locale.ROOT, "  eligible = members of the namespace whose membership began >= %d s before the broadcast and "
                + "lasted >= %d s after it; target: all of them%n", NamespaceScenario.SETTLE / NamespaceScenario.SECOND,
                NamespaceScenario.WINDOW / NamespaceScenario.SECOND);
        out.printf(Locale.ROOT, "redundancy per receiving member per broadcast: %.2f Gossip copies (eager), %.2f IHave ids (lazy)%n",
                r.redundancy(true), r.redundancy(false));
        out.println();
        out.println("| measure | p50 | p90 | p99 | max |");
        out.println("|---|---|---|---|---|");
        out.printf(Locale.ROOT, "| hops | %.0f | %.0f | %.0f | %.0f |%n", pc(r.hops(), 0.5), pc(r.hops(), 0.9), pc(r.hops(), 0.99),
                pc(r.hops(), 1));
        out.printf(Locale.ROOT, "| delivery latency | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n", pc(r.latencyMs(), 0.5),
                pc(r.latencyMs(), 0.9), pc(r.latencyMs(), 0.99), pc(r.latencyMs(), 1));
        out.printf(Locale.ROOT, "| join to first neighbour | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n", pc(r.joinToNeighborMs(), 0.5),
                pc(r.joinToNeighborMs(), 0.9), pc(r.joinToNeighborMs(), 0.99), pc(r.joinToNeighborMs(), 1));
        out.printf(Locale.ROOT, "| join to first broadcast received | %.1f s | %.1f s | %.1f s | %.1f s |%n",
                pc(r.joinToFirstMs(), 0.5) / 1000, pc(r.joinToFirstMs(), 0.9) / 1000, pc(r.joinToFirstMs(), 0.99) / 1000,
                pc(r.joinToFirstMs(), 1) / 1000);
        out.printf(Locale.ROOT, "(joins timed from the start of a membership, contact lookup included; to the first broadcast: %d "
                + "memberships begun while broadcasts ran (rejoins after churn), which includes waiting for the namespace's next "
                + "broadcast, on average %.0f s apart)%n", r.joinToFirstMs().length, 60 / p.broadcastsPerMinute());
        out.println();
        out.printf(Locale.ROOT, "engine: %d events in %.1f s wall (%.0f events/s), %.1fx faster than real time, heap %.0f MiB%n",
                r.events(), r.wallSeconds(), r.events() / r.wallSeconds(), r.simulatedSeconds() / r.wallSeconds(),
                r.heapBytes() / 1048576.0);
        out.printf(Locale.ROOT, "messages: %d sent, %d delivered, %d dropped (loss, or the receiver was down)%n", r.messages(),
                r.delivered(), r.dropped());
        out.printf("trace hash: %s%n", r.traceHash());
        if (!r.misses().isEmpty()) {
            out.println("missed deliveries (first " + Math.min(10, r.misses().size()) + "):");
            r.misses().stream().limit(10).forEach(m -> out.println("  " + m));
        }
        if (r.violations().isEmpty()) {
            out.println("safety invariants: all held");
        } else {
            out.println("SAFETY VIOLATIONS (" + r.violations().size() + "):");
            r.violations().stream().limit(20).forEach(v -> out.println("  " + v));
        }
    }

    private static double pc(int[] v, double p) {
        return NamespaceScenario.Result.percentile(v, p);
    }

    private static double pc(double[] v, double p) {
        return NamespaceScenario.Result.percentile(v, p);
    }

    /** Writes broadcasts.csv, namespaces.csv and distributions.csv into {@code dir}. */
    public static void write(NamespaceScenario.Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder b = new StringBuilder("namespace,members,at_s,eligible,covered,receivers,eager_per_receiver,lazy_per_receiver\n");
        for (NamespaceScenario.BroadcastStat s : r.broadcasts()) {
            b.append(String.format(Locale.ROOT, "ns-%d,%d,%.3f,%d,%d,%d,%.3f,%.3f%n", s.namespace(), s.members(), s.atSeconds(),
                    s.eligible(), s.covered(), s.receivers(), s.eagerPerReceiver(), s.lazyPerReceiver()));
        }
        Files.writeString(dir.resolve("broadcasts.csv"), b);

        StringBuilder n = new StringBuilder("namespace,members,broadcasts,eligible,covered,coverage\n");
        for (int i = 0; i < r.namespaceSizes().length; i++) {
            int ns = i;
            long count = r.broadcasts().stream().filter(s -> s.namespace() == ns).count();
            long el = r.broadcasts().stream().filter(s -> s.namespace() == ns).mapToLong(NamespaceScenario.BroadcastStat::eligible).sum();
            long cov = r.broadcasts().stream().filter(s -> s.namespace() == ns).mapToLong(NamespaceScenario.BroadcastStat::covered).sum();
            n.append(String.format(Locale.ROOT, "ns-%d,%d,%d,%d,%d,%.6f%n", i, r.namespaceSizes()[i], count, el, cov,
                    el == 0 ? Double.NaN : cov / (double) el));
        }
        Files.writeString(dir.resolve("namespaces.csv"), n);

        StringBuilder d = new StringBuilder("percentile,hops,latency_ms,join_to_first_neighbour_ms,join_to_first_broadcast_ms\n");
        for (int q = 1; q <= 100; q++) {
            double f = q == 100 ? 1 : q / 100.0;
            d.append(String.format(Locale.ROOT, "%d,%.0f,%.3f,%.3f,%.3f%n", q, pc(r.hops(), f), pc(r.latencyMs(), f), pc(r.joinToNeighborMs(), f),
                    pc(r.joinToFirstMs(), f)));
        }
        Files.writeString(dir.resolve("distributions.csv"), d);
    }
}
