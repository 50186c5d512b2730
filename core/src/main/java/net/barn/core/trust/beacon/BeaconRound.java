package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.barn.core.crypto.Sha256;

/**
 * The beacon's public rule for one (epoch, round), unchained so that a missed round never
 * blocks a later one: the group signs SHA-256({@value #DOMAIN} || epoch || round), both as 8
 * bytes big-endian, with {@link Bls}; the round's output is SHA-256 of the signature's 96-byte
 * compressed encoding. Anyone holding the group key verifies an output.
 */
public final class BeaconRound {
    public static final String DOMAIN = "barn-beacon-v1";

    private BeaconRound() {}

    public static byte[] message(long epoch, long round) {
        byte[] domain = DOMAIN.getBytes(StandardCharsets.US_ASCII);
        return Sha256.hash(domain, ByteBuffer.allocate(2 * Long.BYTES).putLong(epoch).putLong(round).array());
    }

    /** The round's randomness: SHA-256 of the signature's compressed encoding. */
    public static byte[] output(BlsSignature signature) {
        return Sha256.hash(signature.toBytes());
    }

    /** The round's randomness when {@code signature} is the group's over the round, else why not. */
    public static Checked<byte[]> verify(BlsPublicKey groupKey, long epoch, long round, byte[] signature) {
        return switch (Bls.verify(groupKey, message(epoch, round), signature)) {
            case Checked.Valid<BlsSignature> v -> Checked.valid(output(v.value()));
            case Checked.Invalid<BlsSignature> i -> Checked.invalid("epoch " + epoch + " round " + round + ": " + i.reason());
        };
    }
}
