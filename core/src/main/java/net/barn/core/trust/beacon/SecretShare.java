package net.barn.core.trust.beacon;

import java.math.BigInteger;

/**
 * Member {@code index}'s share of a group secret: f(index) for the group's secret polynomial f.
 * Indices run from 1; index 0 would be the secret itself.
 */
public record SecretShare(int index, BlsSecretKey key) {
    public SecretShare {
        if (index < 1) {
            throw new IllegalArgumentException("share indices start at 1, got " + index);
        }
    }

    static SecretShare of(int index, BigInteger value) {
        return new SecretShare(index, new BlsSecretKey(value.mod(Scalars.R)));
    }

    BigInteger value() {
        return key.scalar();
    }

    public BlsPublicKey publicKey() {
        return key.publicKey();
    }
}
