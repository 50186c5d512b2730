package net.barn.core.trust.beacon;

import java.math.BigInteger;

/**
 * A BLS secret key (or a threshold share of one): a scalar in [1, r), 32 bytes big-endian.
 * Its {@link #toString} never shows the scalar.
 */
public final class BlsSecretKey {
    public static final int LENGTH = 32;

    private final BigInteger scalar;

    BlsSecretKey(BigInteger scalar) {
        this.scalar = scalar;
    }

    public static Checked<BlsSecretKey> decode(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            return Checked.invalid("a BLS secret key is " + LENGTH + " bytes, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        BigInteger s = new BigInteger(1, bytes);
        if (s.signum() == 0 || s.compareTo(Scalars.R) >= 0) {
            return Checked.invalid("a BLS secret key must lie in [1, r)");
        }
        return Checked.valid(new BlsSecretKey(s));
    }

    BigInteger scalar() {
        return scalar;
    }

    public BlsPublicKey publicKey() {
        return Bls.publicKey(scalar);
    }

    public BlsSignature sign(byte[] message) {
        return Bls.sign(this, message);
    }

    public byte[] toBytes() {
        return Scalars.toBytes(scalar);
    }

    @Override
    public String toString() {
        return "BlsSecretKey[" + publicKey() + "]";
    }
}
