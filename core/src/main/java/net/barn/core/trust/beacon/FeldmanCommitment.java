package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.crypto.bls.BLS12_381G1;
import org.bouncycastle.crypto.bls.BLS12_381Serialization;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Feldman commitments to a polynomial: g1^a_k for each coefficient a_k, 48 bytes compressed
 * each. Anyone can compute g1^f(i) from them, so a share f(i) can be checked publicly and the
 * public share of every index follows without any secret.
 */
public final class FeldmanCommitment {
    private final List<ECPoint> points;

    private FeldmanCommitment(List<ECPoint> points) {
        this.points = List.copyOf(points);
    }

    static FeldmanCommitment of(Polynomial polynomial) {
        List<ECPoint> points = new ArrayList<>();
        for (BigInteger a : polynomial.coefficients()) {
            points.add(BLS12_381G1.constantTimeMultiply(Bls.G1, a).normalize());
        }
        return new FeldmanCommitment(points);
    }

    /** Decodes compressed points, each subgroup checked; at least one. */
    public static Checked<FeldmanCommitment> decode(List<byte[]> encoded) {
        if (encoded == null || encoded.isEmpty()) {
            return Checked.invalid("a commitment holds at least one point");
        }
        List<ECPoint> points = new ArrayList<>();
        for (int k = 0; k < encoded.size(); k++) {
            Checked<ECPoint> p = BlsPublicKey.decodePoint(encoded.get(k));
            if (!(p instanceof Checked.Valid<ECPoint>(ECPoint point))) {
                return Checked.invalid("commitment point " + k + ": " + p.reason());
            }
            points.add(point);
        }
        return Checked.valid(new FeldmanCommitment(points));
    }

    /**
     * The weighted sum of commitments, coefficient by coefficient: commits to the same weighted
     * sum of their polynomials (all must have the same threshold).
     */
    static FeldmanCommitment combine(List<FeldmanCommitment> commitments, List<BigInteger> weights) {
        int t = commitments.getFirst().threshold();
        List<ECPoint> sum = new ArrayList<>();
        for (int k = 0; k < t; k++) {
            ECPoint acc = Bls.G1_CURVE.getInfinity();
            for (int j = 0; j < commitments.size(); j++) {
                acc = acc.add(commitments.get(j).points.get(k).multiply(weights.get(j)));
            }
            sum.add(acc.normalize());
        }
        return new FeldmanCommitment(sum);
    }

    /** The number of coefficients committed to: the sharing's threshold. */
    public int threshold() {
        return points.size();
    }

    /** g1^f(x), computed from the commitments alone. */
    ECPoint evaluate(int x) {
        BigInteger bx = BigInteger.valueOf(x);
        ECPoint acc = Bls.G1_CURVE.getInfinity();
        for (int k = points.size() - 1; k >= 0; k--) {
            acc = acc.multiply(bx).add(points.get(k));
        }
        return acc.normalize();
    }

    /** Whether {@code share} is f(index) for the committed f. */
    boolean verifies(int index, BigInteger share) {
        // The share is usually our own secret: multiply in constant time.
        return BLS12_381G1.constantTimeMultiply(Bls.G1, share.mod(Scalars.R)).normalize().equals(evaluate(index));
    }

    /** g1^f(0): the committed secret's public key. */
    ECPoint constant() {
        return points.getFirst();
    }

    /** The public key of index {@code index}'s share. */
    public BlsPublicKey publicShare(int index) {
        return BlsPublicKey.of(evaluate(index));
    }

    public List<byte[]> encoded() {
        return points.stream().map(BLS12_381Serialization::compressG1).toList();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FeldmanCommitment other) || other.points.size() != points.size()) {
            return false;
        }
        for (int k = 0; k < points.size(); k++) {
            if (!Arrays.equals(BLS12_381Serialization.compressG1(points.get(k)),
                    BLS12_381Serialization.compressG1(other.points.get(k)))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(BLS12_381Serialization.compressG1(points.getFirst()));
    }
}
