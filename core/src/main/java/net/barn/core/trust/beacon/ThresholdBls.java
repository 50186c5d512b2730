package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.bls.BLS12_381G2Point;

/**
 * Threshold BLS: any t of n shares of a secret sign as the secret would. Each member signs with
 * its share; partials are checked against the member's public share; t valid partials are
 * interpolated at 0 in the exponent (on G2) into the group signature.
 */
public final class ThresholdBls {
    private ThresholdBls() {}

    /**
     * Shamir shares 1..n of {@code secret} with threshold t, and the group key. A trusted
     * dealer's split, for tests and bootstrapping; the network uses {@link Dkg} instead.
     */
    public static Dealt split(BlsSecretKey secret, int n, int threshold, SecureRandom entropy) {
        if (threshold < 1 || threshold > n) {
            throw new IllegalArgumentException("need 1 <= t <= n, got t=" + threshold + " n=" + n);
        }
        Polynomial f = Polynomial.random(secret.scalar(), threshold, entropy);
        List<SecretShare> shares = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            shares.add(SecretShare.of(i, f.evaluate(i)));
        }
        return new Dealt(new GroupKey(FeldmanCommitment.of(f)), List.copyOf(shares));
    }

    /** A trusted dealer's output. */
    public record Dealt(GroupKey group, List<SecretShare> shares) {}

    public static PartialSignature signPartial(SecretShare share, byte[] message) {
        return new PartialSignature(share.index(), share.key().sign(message));
    }

    /** Valid when the partial is the member's over {@code message}, else why not. */
    public static Checked<PartialSignature> verifyPartial(GroupKey group, byte[] message, PartialSignature partial) {
        if (partial.index() < 1) {
            return Checked.invalid("partial signature from index " + partial.index() + ": indices start at 1");
        }
        if (!Bls.verify(group.publicShare(partial.index()), message, partial.signature())) {
            return Checked.invalid("partial signature of member " + partial.index()
                    + " does not verify under its public share");
        }
        return Checked.valid(partial);
    }

    /**
     * The group signature from t partials of distinct members, already verified (an invalid
     * one would spoil the result). Uses the first t distinct indices given.
     */
    public static Checked<BlsSignature> recover(int threshold, Collection<PartialSignature> validPartials) {
        Map<Integer, PartialSignature> chosen = new LinkedHashMap<>();
        for (PartialSignature p : validPartials) {
            if (chosen.size() == threshold) {
                break;
            }
            chosen.putIfAbsent(p.index(), p);
        }
        if (chosen.size() < threshold) {
            return Checked.invalid("need " + threshold + " partial signatures of distinct members, have "
                    + chosen.size());
        }
        BLS12_381G2Point sum = BLS12_381G2Point.INFINITY;
        for (PartialSignature p : chosen.values()) {
            BigInteger lambda = Scalars.lagrangeAtZero(p.index(), chosen.keySet());
            sum = sum.add(p.signature().point().multiply(lambda));
        }
        if (sum.isInfinity()) {
            return Checked.invalid("the partial signatures interpolate to the identity");
        }
        return Checked.valid(BlsSignature.of(sum));
    }

    /**
     * Verifies each candidate, then recovers and verifies the group signature: the signature,
     * or why not (which partials were refused). Invalid partials are never used.
     */
    public static Checked<BlsSignature> combine(GroupKey group, byte[] message, Collection<PartialSignature> candidates) {
        List<PartialSignature> valid = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (PartialSignature p : candidates) {
            if (valid.size() == group.threshold()) {
                break;
            }
            switch (verifyPartial(group, message, p)) {
                case Checked.Valid<PartialSignature> v -> valid.add(v.value());
                case Checked.Invalid<PartialSignature> i -> refused.add(i.reason());
            }
        }
        Checked<BlsSignature> recovered = recover(group.threshold(), valid);
        if (!(recovered instanceof Checked.Valid<BlsSignature>(BlsSignature sig))) {
            return Checked.invalid(recovered.reason() + (refused.isEmpty() ? "" : "; refused: " + refused));
        }
        if (!Bls.verify(group.publicKey(), message, sig)) {
            return Checked.invalid("the recovered signature does not verify under the group key");
        }
        return recovered;
    }
}
