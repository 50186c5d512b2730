package net.barn.core.identity;

import java.security.SecureRandom;
import net.barn.core.crypto.Ed25519;

/**
 * A node's long-term identity: an Ed25519 signing key whose id satisfies the network's proof
 * of work, and the dynamic-puzzle nonce that proves it.
 */
public final class Identity implements net.barn.core.crypto.Signer {
    private final Ed25519.SigningKey key;
    private final NodeId id;
    private final long powNonce;

    private Identity(Ed25519.SigningKey key, long powNonce) {
        this.key = key;
        this.id = NodeId.ofPublicKey(key.publicKey());
        this.powNonce = powNonce;
    }

    /**
     * Generates keys until the static puzzle holds, then solves the dynamic one. Entropy is
     * injected: a daemon passes a system source, tests and simulations a seeded one.
     */
    public static Identity generate(SecureRandom entropy, PowParams params) {
        while (true) {
            Ed25519.SigningKey candidate = Ed25519.generate(entropy);
            NodeId id = NodeId.ofPublicKey(candidate.publicKey());
            if (ProofOfWork.staticBits(id) >= params.staticBits()) {
                return new Identity(candidate, ProofOfWork.solveDynamic(id, params));
            }
        }
    }

    /** Restores a stored identity; the caller checks it against the network's difficulty. */
    public static Identity restore(byte[] seed, long powNonce) {
        return new Identity(Ed25519.fromSeed(seed), powNonce);
    }

    public NodeId id() {
        return id;
    }

    public byte[] publicKey() {
        return key.publicKey();
    }

    public long powNonce() {
        return powNonce;
    }

    public byte[] seed() {
        return key.seed();
    }

    public byte[] sign(byte[] message) {
        return key.sign(message);
    }

    /** Null when this identity meets the difficulty, else why not. */
    public String checkWork(PowParams params) {
        return ProofOfWork.check(id, powNonce, params);
    }

    @Override
    public String toString() {
        return "Identity[" + id.shortForm() + "]";
    }
}
