package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Collection;
import org.bouncycastle.crypto.bls.BLS12_381G2;

/** Arithmetic in Fr, the scalar field of BLS12-381 (integers mod the group order r). */
final class Scalars {
    /** r = 0x73eda753…00000001, the order of G1 and G2. */
    static final BigInteger R = BLS12_381G2.ORDER;

    private Scalars() {}

    /** A uniform scalar in [1, r): 64 bytes reduced mod r, so the bias is negligible (2^-256). */
    static BigInteger random(SecureRandom entropy) {
        while (true) {
            byte[] wide = new byte[64];
            entropy.nextBytes(wide);
            BigInteger s = new BigInteger(1, wide).mod(R);
            if (s.signum() != 0) {
                return s;
            }
        }
    }

    /** 32 bytes big-endian. */
    static byte[] toBytes(BigInteger s) {
        byte[] raw = s.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    /**
     * The Lagrange coefficient of {@code index} for interpolating at 0 from the points at
     * {@code indices} (which holds {@code index}, all distinct and non-zero mod r):
     * the product over the others j of j / (j - index).
     */
    static BigInteger lagrangeAtZero(int index, Collection<Integer> indices) {
        BigInteger num = BigInteger.ONE;
        BigInteger den = BigInteger.ONE;
        BigInteger i = BigInteger.valueOf(index);
        for (int other : indices) {
            if (other == index) {
                continue;
            }
            BigInteger j = BigInteger.valueOf(other);
            num = num.multiply(j).mod(R);
            den = den.multiply(j.subtract(i)).mod(R);
        }
        return num.multiply(den.modInverse(R)).mod(R);
    }
}
