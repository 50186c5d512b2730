package net.barn.bench;

import java.security.SecureRandom;
import java.util.Arrays;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;

/** How long one core takes to make an identity at a given difficulty (both puzzles). */
public final class IdentityBench {
    private IdentityBench() {}

    public static void run(int count, PowParams pow) {
        SecureRandom entropy = new SecureRandom();
        Identity.generate(entropy, PowParams.TEST); // load and link the crypto providers
        double[] seconds = new double[count];
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            Identity.generate(entropy, pow);
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        double mean = Arrays.stream(seconds).average().orElse(0);
        System.out.printf("# barn bench identity: %d identities at difficulty %s, one thread%n", count, pow);
        System.out.println("| mean | p50 | p90 | max |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| %.3f s | %.3f s | %.3f s | %.3f s |%n", mean, seconds[count / 2], seconds[count * 9 / 10],
                seconds[count - 1]);
    }
}
