package net.barn.sim;

import java.util.random.RandomGenerator;

/**
 * A wide-area latency model: nodes live in six regions with realistic one-way delays
 * between them (roughly half the public RTTs between cloud regions), plus a per-node access
 * delay (log-normal, median 5 ms: home links to data centres) and per-message jitter
 * (exponential, mean 1 ms, which reorders messages now and then).
 */
public final class LatencyModel {
    public static final String[] REGIONS = {"us-east", "us-west", "europe", "asia", "south-america", "oceania"};
    /** Share of nodes per region. */
    static final double[] WEIGHTS = {0.20, 0.15, 0.30, 0.20, 0.07, 0.08};
    /** One-way delay between regions, milliseconds. */
    static final int[][] ONE_WAY_MS = {
        {5, 35, 40, 90, 60, 100},
        {35, 5, 70, 60, 90, 75},
        {40, 70, 5, 110, 100, 140},
        {90, 60, 110, 5, 150, 60},
        {60, 90, 100, 150, 5, 160},
        {100, 75, 140, 60, 160, 5},
    };
    private static final long MS = 1_000_000L;

    private LatencyModel() {}

    public static int pickRegion(RandomGenerator rng) {
        double x = rng.nextDouble();
        for (int i = 0; i < WEIGHTS.length; i++) {
            x -= WEIGHTS[i];
            if (x < 0) {
                return i;
            }
        }
        return WEIGHTS.length - 1;
    }

    /** A node's access delay, nanoseconds: log-normal around 5 ms, clipped to 1..80 ms. */
    public static long accessDelay(RandomGenerator rng) {
        double ms = Math.exp(Math.log(5) + 0.7 * rng.nextGaussian());
        return (long) (Math.max(1, Math.min(80, ms)) * MS);
    }

    /** One-way delay of one message, nanoseconds. */
    public static long oneWay(int regionA, long accessA, int regionB, long accessB, double jitterScale, RandomGenerator rng) {
        long base = ONE_WAY_MS[regionA][regionB] * MS + accessA + accessB;
        long jitter = (long) (-Math.log(1 - rng.nextDouble()) * jitterScale * MS);
        return base + jitter;
    }
}
