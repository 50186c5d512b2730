package net.barn.core.trust.beacon;

import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.bls.BLS12_381Serialization;
import org.bouncycastle.crypto.bls.BLS12_381SubgroupCheck;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A BLS public key: a point of G1 (the min-pubkey-size variant), 48 bytes compressed (ZCash
 * encoding, as drand and the IETF draft use). Always in the prime-order subgroup and never the
 * identity: {@link #decode} refuses anything else.
 */
public final class BlsPublicKey {
    public static final int LENGTH = 48;

    private final ECPoint point;
    private final byte[] encoded;

    private BlsPublicKey(ECPoint point) {
        this.point = point.normalize();
        this.encoded = BLS12_381Serialization.compressG1(this.point);
    }

    /** Wraps a point computed here (from scalars and checked points), so already in the subgroup. */
    static BlsPublicKey of(ECPoint point) {
        return new BlsPublicKey(point);
    }

    public static Checked<BlsPublicKey> decode(byte[] bytes) {
        Checked<ECPoint> p = decodePoint(bytes);
        return switch (p) {
            case Checked.Valid<ECPoint> v when v.value().isInfinity() ->
                    Checked.invalid("a BLS public key may not be the identity point");
            case Checked.Valid<ECPoint> v -> Checked.valid(new BlsPublicKey(v.value()));
            case Checked.Invalid<ECPoint> i -> Checked.invalid(i.reason());
        };
    }

    /**
     * A compressed G1 point, the identity allowed (Feldman commitments to a zero coefficient
     * are legitimate, if unlikely); subgroup checked.
     */
    static Checked<ECPoint> decodePoint(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            return Checked.invalid("a G1 point is " + LENGTH + " bytes compressed, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        ECPoint p;
        try {
            p = BLS12_381Serialization.decompressG1(bytes, Bls.G1_CURVE);
        } catch (RuntimeException e) {
            return Checked.invalid("not a compressed G1 point: " + e.getMessage());
        }
        if (!p.isInfinity() && !BLS12_381SubgroupCheck.isInG1Subgroup(p)) {
            return Checked.invalid("the G1 point is on the curve but outside the prime-order subgroup");
        }
        return Checked.valid(p);
    }

    ECPoint point() {
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
        return o instanceof BlsPublicKey other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "BlsPublicKey[" + toHex().substring(0, 16) + "]";
    }
}
