package net.barn.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/** Ed25519 (RFC 8032) over the JDK provider, with keys as raw 32-byte strings. */
public final class Ed25519 {
    public static final int KEY_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key (RFC 8410). */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private Ed25519() {}

    /** A signing key: the 32-byte RFC 8032 seed and the public key derived from it. */
    public static final class SigningKey {
        private final byte[] seed;
        private final byte[] publicKey;
        private final PrivateKey privateKey;

        private SigningKey(byte[] seed, byte[] publicKey, PrivateKey privateKey) {
            this.seed = seed;
            this.publicKey = publicKey;
            this.privateKey = privateKey;
        }

        public byte[] seed() {
            return seed.clone();
        }

        public byte[] publicKey() {
            return publicKey.clone();
        }

        public byte[] sign(byte[] message) {
            try {
                Signature signer = Signature.getInstance("Ed25519");
                signer.initSign(privateKey);
                signer.update(message);
                return signer.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 signing failed", e);
            }
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
        try {
            // The JDK derives the public key only inside key generation, which draws the seed
            // from its random source: hand it exactly this seed.
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(NamedParameterSpec.ED25519, SeededEntropy.fixed(seed));
            java.security.KeyPair pair = generator.generateKeyPair();
            byte[] encoded = pair.getPublic().getEncoded();
            byte[] raw = Arrays.copyOfRange(encoded, encoded.length - KEY_LENGTH, encoded.length);
            PrivateKey priv = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            return new SigningKey(seed.clone(), raw, priv);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 unavailable", e);
        }
    }

    /** Verifies a signature; any malformed key or signature simply fails verification. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != KEY_LENGTH
                || signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_LENGTH);
            System.arraycopy(publicKey, 0, spki, SPKI_PREFIX.length, KEY_LENGTH);
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
