package net.barn.core.crypto;

import java.security.SecureRandom;

/**
 * Ed25519 (RFC 8032) with keys as raw 32-byte strings, over BouncyCastle's implementation.
 * The JDK's provider signs and verifies correctly but, measured here, 7 to 10 times slower
 * (about 600 µs a signature or a check against 60 to 80 µs; docs/BENCHMARKS.md), and every
 * link handshake, DHT record and private-maze message pays for one or more.
 */
public final class Ed25519 {
    public static final int KEY_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;

    private Ed25519() {}

    /** A signing key: the 32-byte RFC 8032 seed and the public key derived from it. */
    public static final class SigningKey implements Signer {
        private final byte[] seed;
        private final byte[] publicKey;

        private SigningKey(byte[] seed, byte[] publicKey) {
            this.seed = seed;
            this.publicKey = publicKey;
        }

        public byte[] seed() {
            return seed.clone();
        }

        public byte[] publicKey() {
            return publicKey.clone();
        }

        public byte[] sign(byte[] message) {
            byte[] signature = new byte[SIGNATURE_LENGTH];
            org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
            return signature;
        }
    }

    public static SigningKey generate(SecureRandom entropy) {
        byte[] seed = new byte[KEY_LENGTH];
        entropy.nextBytes(seed);
        return fromSeed(seed);
    }

    /** Rebuilds a signing key from its seed; the public key is derived, never stored apart. */
    public static SigningKey fromSeed(byte[] seed) {
        if (seed.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, got " + seed.length);
        }
        byte[] publicKey = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, publicKey, 0);
        return new SigningKey(seed.clone(), publicKey);
    }

    /** Verifies a signature; any malformed key or signature simply fails verification. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != KEY_LENGTH || message == null
                || signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
