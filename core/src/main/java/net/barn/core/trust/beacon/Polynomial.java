package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/** A secret polynomial over Fr of degree t - 1: Shamir sharing of its constant term. */
final class Polynomial {
    private final List<BigInteger> coefficients;

    private Polynomial(List<BigInteger> coefficients) {
        this.coefficients = List.copyOf(coefficients);
    }

    /** Constant term {@code secret}, the other t - 1 coefficients uniform from {@code entropy}. */
    static Polynomial random(BigInteger secret, int threshold, SecureRandom entropy) {
        if (threshold < 1) {
            throw new IllegalArgumentException("a threshold is at least 1, got " + threshold);
        }
        List<BigInteger> c = new ArrayList<>(threshold);
        c.add(secret.mod(Scalars.R));
        for (int k = 1; k < threshold; k++) {
            c.add(Scalars.random(entropy));
        }
        return new Polynomial(c);
    }

    /** The value at {@code x} (Horner). */
    BigInteger evaluate(int x) {
        BigInteger bx = BigInteger.valueOf(x);
        BigInteger acc = BigInteger.ZERO;
        for (int k = coefficients.size() - 1; k >= 0; k--) {
            acc = acc.multiply(bx).add(coefficients.get(k)).mod(Scalars.R);
        }
        return acc;
    }

    List<BigInteger> coefficients() {
        return coefficients;
    }

    int threshold() {
        return coefficients.size();
    }
}
