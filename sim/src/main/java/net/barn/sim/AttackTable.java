package net.barn.sim;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The output of {@code barn sim attack}: one row per (attack, defences) setting with the share
 * of trials the attacker won and, where the attack is on lookups, the share of honest lookups
 * that still found what they looked for. Printed as a Markdown table, written as CSV and a bar
 * chart, with the line that replays the run.
 */
public final class AttackTable {
    /**
     * One setting.
     *
     * @param setting which defences are on, and what the adversary holds
     * @param trials what a trial is is said in the table's notes
     * @param attackWins trials the attacker won
     * @param honestTrials honest lookups measured (0 when the attack is not on lookups)
     * @param honestOk honest lookups that succeeded
     * @param detail further figures for this row (free text, no commas needed)
     */
    public record Row(String setting, double adversary, int trials, int attackWins, int honestTrials, int honestOk,
            String detail) {
        public double attackRate() {
            return trials == 0 ? Double.NaN : attackWins / (double) trials;
        }

        public double honestRate() {
            return honestTrials == 0 ? Double.NaN : honestOk / (double) honestTrials;
        }
    }

    private final String kind;
    private final String title;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String replay = "";

    public AttackTable(String kind, String title) {
        this.kind = kind;
        this.title = title;
    }

    public AttackTable add(Row row) {
        rows.add(row);
        return this;
    }

    /** A line printed under the table: what a trial is, what is modelled rather than run. */
    public AttackTable note(String line) {
        notes.add(line);
        return this;
    }

    public AttackTable replay(String command) {
        replay = command;
        return this;
    }

    public String kind() {
        return kind;
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    public String replayCommand() {
        return replay;
    }

    /** The row whose setting is {@code setting}, or null. */
    public Row row(String setting) {
        return rows.stream().filter(r -> r.setting().equals(setting)).findFirst().orElse(null);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    public void print(PrintStream out) {
        out.println("# " + title);
        out.println();
        out.println("| setting | adversary | trials | attack won | attack success | honest lookups | honest success | detail |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %.0f%% | %d | %d | %s | %s | %s | %s |%n", r.setting(), 100 * r.adversary(), r.trials(),
                    r.attackWins(), pct(r.attackRate()), r.honestTrials() == 0 ? "-" : Integer.toString(r.honestTrials()),
                    pct(r.honestRate()), r.detail());
        }
        out.println();
        for (String n : notes) {
            out.println("- " + n);
        }
        if (!replay.isEmpty()) {
            out.println();
            out.println("replay: " + replay);
        }
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Writes {@code attack-KIND.csv} and {@code attack-KIND.png} into {@code dir}. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder b = new StringBuilder("kind,setting,adversary,trials,attack_won,attack_rate,honest_lookups,honest_ok,"
                + "honest_rate,detail\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%s,%s,%.4f,%d,%d,%.6f,%d,%d,%s,%s%n", kind, csv(r.setting()), r.adversary(),
                    r.trials(), r.attackWins(), r.attackRate(), r.honestTrials(), r.honestOk(),
                    r.honestTrials() == 0 ? "" : String.format(Locale.ROOT, "%.6f", r.honestRate()), csv(r.detail())));
        }
        Files.writeString(dir.resolve("attack-" + kind + ".csv"), b.toString());
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Row r : rows) {
            String label = r.setting() + " @" + Math.round(100 * r.adversary()) + "%";
            data.addValue(100 * r.attackRate(), "attack success", label);
            if (r.honestTrials() > 0) {
                data.addValue(100 * r.honestRate(), "honest success", label);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, "", "%", data, PlotOrientation.HORIZONTAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        ((org.jfree.chart.plot.CategoryPlot) chart.getPlot()).getDomainAxis().setMaximumCategoryLabelWidthRatio(0.6f);
        ChartUtils.saveChartAsPNG(dir.resolve("attack-" + kind + ".png").toFile(), chart, 1000, 120 + 60 * rows.size());
    }
}
