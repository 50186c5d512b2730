package net.barn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/** Measurement helpers the bench commands share. */
final class BenchSupport {
    static final int CHUNK = 64 * 1024;
    static final int RTT_SAMPLES = 2000;

    private BenchSupport() {}

    /** Writes {@code chunk} repeatedly for {@code seconds}; returns bytes written. */
    static long pump(OutputStream o, byte[] chunk, double seconds) throws IOException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long bytes = 0;
        while (System.nanoTime() < deadline) {
            o.write(chunk);
            bytes += chunk.length;
        }
        return bytes;
    }

    /** p50 and p99 of 64-byte echo round trips, in microseconds, after as many for warm-up. */
    static double[] roundTrips(InputStream in, OutputStream o) throws IOException {
        byte[] msg = new byte[64];
        byte[] back = new byte[64];
        long[] samples = new long[RTT_SAMPLES];
        for (int i = -RTT_SAMPLES; i < RTT_SAMPLES; i++) {
            long t0 = System.nanoTime();
            o.write(msg);
            o.flush();
            int got = 0;
            while (got < back.length) {
                int n = in.read(back, got, back.length - got);
                if (n < 0) {
                    throw new IOException("echo ended early");
                }
                got += n;
            }
            if (i >= 0) {
                samples[i] = System.nanoTime() - t0;
            }
        }
        Arrays.sort(samples);
        return new double[] {samples[RTT_SAMPLES / 2] / 1e3, samples[RTT_SAMPLES * 99 / 100] / 1e3};
    }

    static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
