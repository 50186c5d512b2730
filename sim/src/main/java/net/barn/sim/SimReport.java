package net.barn.sim;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Prints a run's summary table and writes its CSV files and PNG plots. */
public final class SimReport {
    private SimReport() {}

    public static void summary(DhtScenario.Result r, PrintStream out) {
        DhtScenario.Params p = r.params();
        out.printf(Locale.ROOT, "# barn sim dht: %d nodes, seed %d, churn %.0f%%/h, faults: %s%n", p.nodes(), p.seed(),
                p.churn() * 100, r.faults());
        out.printf(Locale.ROOT, "simulated %.0f s (join %d min, workload %d min, idle %d min); %d churn events%n",
                r.simulatedSeconds(), p.joinMinutes(), p.workloadMinutes(), p.idleMinutes(), r.churnEvents());
        out.println();
        out.println("| query | count | success | hops p50 | hops p90 | latency p50 | latency p99 | requests p50 |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (String kind : List.of("get", "put", "find")) {
            out.printf(Locale.ROOT, "| %s | %d | %.2f%% | %.0f | %.0f | %.0f ms | %.0f ms | %.0f |%n", kind, r.count(kind),
                    r.successRate(kind) * 100, r.percentile(kind, DhtScenario.Sample::hops, 0.5),
                    r.percentile(kind, DhtScenario.Sample::hops, 0.9), r.percentile(kind, DhtScenario.Sample::latencyMs, 0.5),
                    r.percentile(kind, DhtScenario.Sample::latencyMs, 0.99), r.percentile(kind, s -> s.requests(), 0.5));
        }
        double calm = DhtScenario.calmFrom(p);
        if (p.faults()) {
            out.printf(Locale.ROOT, "after the faults stopped (queries from %.0f s on): get %.2f%% of %d, find %.2f%% of %d%n", calm,
                    r.successRate("get", calm) * 100, r.count("get", calm), r.successRate("find", calm) * 100, r.count("find", calm));
        }
        out.println();
        out.printf(Locale.ROOT, "idle traffic: %.1f messages per node per minute (sent + received)%n",
                r.idleMessagesPerNodeMinute());
        out.printf(Locale.ROOT, "engine: %d events in %.1f s wall (%.0f events/s), %.1fx faster than real time, heap %.0f MiB%n",
                r.events(), r.wallSeconds(), r.events() / r.wallSeconds(), r.simulatedSeconds() / r.wallSeconds(),
                r.heapBytes() / 1048576.0);
        out.printf(Locale.ROOT, "messages: %d delivered, %d dropped%n", r.delivered(), r.dropped());
        out.printf("trace hash: %s%n", r.traceHash());
        if (r.violations().isEmpty()) {
            out.println("safety invariants: all held");
        } else {
            out.println("SAFETY VIOLATIONS (" + r.violations().size() + "):");
            r.violations().stream().limit(20).forEach(v -> out.println("  " + v));
        }
    }

    /** Writes samples.csv, minutes.csv, hops.png, latency.png and success.png into {@code dir}. */
    public static void write(DhtScenario.Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("kind,at_s,success,hops,hops_to_first,latency_ms,requests\n");
        for (DhtScenario.Sample s : r.samples()) {
            csv.append(String.format(Locale.ROOT, "%s,%.3f,%b,%d,%d,%.3f,%d%n", s.kind(), s.atSeconds(), s.success(), s.hops(),
                    s.hopsToFirst(), s.latencyMs(), s.requests()));
        }
        Files.writeString(dir.resolve("samples.csv"), csv);

        TreeMap<Long, int[]> perMinute = new TreeMap<>();
        for (DhtScenario.Sample s : r.samples()) {
            if (s.kind().equals("get")) {
                int[] c = perMinute.computeIfAbsent((long) (s.atSeconds() / 60), m -> new int[2]);
                c[0]++;
                if (s.success()) {
                    c[1]++;
                }
            }
        }
        StringBuilder minutes = new StringBuilder("minute,gets,successful,success_rate\n");
        XYSeries success = new XYSeries("get success");
        perMinute.forEach((m, c) -> {
            minutes.append(String.format(Locale.ROOT, "%d,%d,%d,%.5f%n", m, c[0], c[1], c[1] / (double) c[0]));
            success.add(m.doubleValue(), 100.0 * c[1] / c[0]);
        });
        Files.writeString(dir.resolve("minutes.csv"), minutes);

        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset hops = new DefaultCategoryDataset();
        for (String kind : List.of("get", "find")) {
            TreeMap<Integer, Integer> h = new TreeMap<>();
            r.samples().stream().filter(s -> s.kind().equals(kind) && s.success()).forEach(s -> h.merge(s.hops(), 1, Integer::sum));
            h.forEach((k, v) -> hops.addValue(v, kind, Integer.toString(k)));
        }
        save(ChartFactory.createBarChart("Hops per lookup", "hops", "lookups", hops), dir.resolve("hops.png"));

        XYSeriesCollection cdf = new XYSeriesCollection();
        for (String kind : List.of("get", "put", "find")) {
            double[] v = r.samples().stream().filter(s -> s.kind().equals(kind) && s.success())
                    .mapToDouble(DhtScenario.Sample::latencyMs).sorted().toArray();
            XYSeries series = new XYSeries(kind);
            for (int i = 0; i < v.length; i += Math.max(1, v.length / 500)) {
                series.add(v[i], 100.0 * (i + 1) / v.length);
            }
            if (v.length > 0) {
                series.add(v[v.length - 1], 100.0);
            }
            cdf.addSeries(series);
        }
        save(ChartFactory.createXYLineChart("Lookup latency (CDF)", "latency (ms)", "% of lookups", cdf,
                PlotOrientation.VERTICAL, true, false, false), dir.resolve("latency.png"));

        save(ChartFactory.createXYLineChart("Get success per minute", "minute", "% successful", new XYSeriesCollection(success),
                PlotOrientation.VERTICAL, true, false, false), dir.resolve("success.png"));
    }

    private static void save(JFreeChart chart, Path file) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 500);
    }
}
