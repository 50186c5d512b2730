package net.barn.core.trust.beacon;

import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.bls.BLS12_381G2Point;
import org.bouncycastle.crypto.bls.BLS12_381Serialization;
import org.bouncycastle.crypto.bls.BLS12_381SubgroupCheck;

/**
 * A BLS signature: a point of G2, 96 bytes compressed. {@link #decode} refuses encodings off
 * the curve, outside the prime-order subgroup, or of the identity (which only the zero key
 * could produce).
 */
public final class BlsSignature {
    public static final int LENGTH = 96;

    private final BLS12_381G2Point point;
    private final byte[] encoded;

    private BlsSignature(BLS12_381G2Point point) {
        this.point = point;
        this.encoded = BLS12_381Serialization.compressG2(point);
    }

    /** Wraps a point computed here (signing, interpolation), so already in the subgroup. */
    static BlsSignature of(BLS12_381G2Point point) {
        return new BlsSignature(point);
    }

    public static Checked<BlsSignature> decode(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            return Checked.invalid("a BLS signature is " + LENGTH + " bytes compressed, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        BLS12_381G2Point p;
        try {
            p = BLS12_381Serialization.decompressG2(bytes);
        } catch (RuntimeException e) {
            return Checked.invalid("not a compressed G2 point: " + e.getMessage());
        }
        if (p.isInfinity()) {
            return Checked.invalid("a BLS signature may not be the identity point");
        }
        if (!BLS12_381SubgroupCheck.isInG2Subgroup(p)) {
            return Checked.invalid("the G2 point is on the curve but outside the prime-order subgroup");
        }
        return Checked.valid(new BlsSignature(p));
    }

    BLS12_381G2Point point() {
        return point;
    }

    public byte[] toBytes() {
        return encoded.clone();
    }

    public String toHex() {
        return HexFormat.of().formatHex(encoded);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlsSignature other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "BlsSignature[" + toHex().substring(0, 16) + "]";
    }
}
