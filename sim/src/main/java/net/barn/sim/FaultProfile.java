package net.barn.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Everything that goes wrong in a run, drawn from the run's seed: message loss, duplication,
 * jitter (reordering), and partitions that cut some regions off from the rest for a while.
 * Churn is a separate, explicit parameter of each scenario.
 */
public record FaultProfile(double loss, double duplication, double jitterMs, List<Partition> partitions, long endNanos) {
    /** Between {@code startNanos} and {@code endNanos}, the regions in {@code cut} cannot reach the others. */
    public record Partition(long startNanos, long endNanos, boolean[] cut) {
        boolean separates(long now, int regionA, int regionB) {
            return now >= startNanos && now < endNanos && cut[regionA] != cut[regionB];
        }
    }

    public static final FaultProfile NONE = new FaultProfile(0, 0, 0, List.of(), 0);

    /**
     * A profile drawn from {@code rng}; faults happen only before {@code endNanos}, so that a
     * run can check the network converges once they stop.
     */
    public static FaultProfile draw(RandomGenerator rng, long endNanos) {
        long durationNanos = endNanos;
        double loss = rng.nextDouble() * 0.02;
        double dup = rng.nextDouble() * 0.01;
        double jitter = 0.5 + rng.nextDouble() * 3;
        List<Partition> parts = new ArrayList<>();
        int count = Integer.getInteger("barn.sim.partitions", rng.nextInt(3)); // 0, 1 or 2 partitions
        for (int i = 0; i < count; i++) {
            long length = (long) ((1 + rng.nextDouble() * 4) * 60e9); // 1-5 minutes
            long start = (long) (rng.nextDouble() * Math.max(0, durationNanos - length));
            boolean[] cut = new boolean[LatencyModel.REGIONS.length];
            cut[rng.nextInt(cut.length)] = true;
            parts.add(new Partition(start, start + length, cut));
        }
        return new FaultProfile(loss, dup, jitter, parts, endNanos);
    }

    /** Whether loss, duplication and partitions still apply at {@code now}. */
    boolean active(long now) {
        return now < endNanos;
    }

    boolean partitioned(long now, int regionA, int regionB) {
        for (Partition p : partitions) {
            if (p.separates(now, regionA, regionB)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder parts = new StringBuilder();
        for (Partition p : partitions) {
            int region = 0;
            while (region < p.cut().length && !p.cut()[region]) {
                region++;
            }
            parts.append(String.format(java.util.Locale.ROOT, ", %s cut off %.0f-%.0f s", LatencyModel.REGIONS[region],
                    p.startNanos() / 1e9, p.endNanos() / 1e9));
        }
        return String.format(java.util.Locale.ROOT, "loss %.2f%%, duplication %.2f%%, jitter %.1f ms%s%s", loss * 100,
                duplication * 100, jitterMs, parts, endNanos > 0 ? String.format(java.util.Locale.ROOT, "; all faults end at %.0f s", endNanos / 1e9) : "");
    }
}
