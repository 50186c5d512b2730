package net.barn.core.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/** X25519 (RFC 7748) over the JDK's XDH provider, with keys as raw 32-byte strings. */
public final class X25519 {
    public static final int KEY_LENGTH = 32;
    private static final byte[] BASE_POINT = new byte[KEY_LENGTH];

    static {
        BASE_POINT[0] = 9;
    }

    private X25519() {}

    /** A key pair as raw bytes; the private key is the 32-byte scalar before clamping. */
    public record KeyPair(byte[] privateKey, byte[] publicKey) {
        public KeyPair {
            privateKey = privateKey.clone();
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] privateKey() {
            return privateKey.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }
    }

    /** Generates a key pair from 32 bytes of the given entropy source. */
    public static KeyPair generate(SecureRandom entropy) {
        byte[] scalar = new byte[KEY_LENGTH];
        entropy.nextBytes(scalar);
        return fromPrivate(scalar);
    }

    /** Derives the key pair of a known private scalar (test vectors, stored keys). */
    public static KeyPair fromPrivate(byte[] scalar) {
        try {
            return new KeyPair(scalar, agree(scalar, BASE_POINT));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 rejected the base point", e);
        }
    }

    /**
     * Computes the shared secret of a private scalar and a peer's public key.
     *
     * @throws GeneralSecurityException if the peer key is malformed or yields the all-zero secret
     */
    public static byte[] agree(byte[] privateScalar, byte[] peerPublic) throws GeneralSecurityException {
        if (privateScalar.length != KEY_LENGTH || peerPublic.length != KEY_LENGTH) {
            throw new GeneralSecurityException("X25519 keys are 32 bytes");
        }
        KeyFactory factory = KeyFactory.getInstance("XDH");
        PrivateKey priv = factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateScalar));
        PublicKey pub = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, decodeU(peerPublic)));
        KeyAgreement agreement = KeyAgreement.getInstance("XDH");
        agreement.init(priv);
        agreement.doPhase(pub, true);
        return agreement.generateSecret();
    }

    private static BigInteger decodeU(byte[] littleEndian) {
        byte[] bigEndian = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            bigEndian[i] = littleEndian[KEY_LENGTH - 1 - i];
        }
        bigEndian[0] &= 0x7f; // RFC 7748: the most significant bit is ignored
        return new BigInteger(1, bigEndian);
    }
}
