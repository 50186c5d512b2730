package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import net.barn.core.crypto.Sha256;

/**
 * Verification of drand beacons whose signatures are on G2 (schemes pedersen-bls-chained,
 * drand's default mainnet chain, and pedersen-bls-unchained). Our beacon signs with the same
 * ciphersuite, so drand's published rounds double as test vectors for {@link Bls}.
 */
public final class DrandBeacon {
    private DrandBeacon() {}

    /** pedersen-bls-chained: SHA-256(previous_signature || round as 8 bytes big-endian). */
    public static byte[] chainedMessage(long round, byte[] previousSignature) {
        return Sha256.hash(previousSignature, roundBytes(round));
    }

    /** pedersen-bls-unchained: SHA-256(round as 8 bytes big-endian). */
    public static byte[] unchainedMessage(long round) {
        return Sha256.hash(roundBytes(round));
    }

    /** A round's randomness: SHA-256 of its signature's compressed encoding. */
    public static byte[] randomness(BlsSignature signature) {
        return Sha256.hash(signature.toBytes());
    }

    /** The round's randomness when the chained beacon verifies, else why not. */
    public static Checked<byte[]> verifyChained(BlsPublicKey chainKey, long round, byte[] previousSignature,
            byte[] signature) {
        if (previousSignature == null) {
            return Checked.invalid("a chained beacon needs its previous signature");
        }
        return toRandomness(Bls.verify(chainKey, chainedMessage(round, previousSignature), signature));
    }

    /** The round's randomness when the unchained beacon verifies, else why not. */
    public static Checked<byte[]> verifyUnchained(BlsPublicKey chainKey, long round, byte[] signature) {
        return toRandomness(Bls.verify(chainKey, unchainedMessage(round), signature));
    }

    private static Checked<byte[]> toRandomness(Checked<BlsSignature> verified) {
        return switch (verified) {
            case Checked.Valid<BlsSignature> v -> Checked.valid(randomness(v.value()));
            case Checked.Invalid<BlsSignature> i -> Checked.invalid(i.reason());
        };
    }

    static byte[] roundBytes(long round) {
        return ByteBuffer.allocate(Long.BYTES).putLong(round).array();
    }
}
