package net.barn.core.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.barn.core.crypto.Sha256;

/** Noise SymmetricState (spec section 5.2) with SHA-256 as the hash function. */
final class SymmetricState {
    static final int HASH_LENGTH = 32;

    private final CipherState cipher;
    private final NoiseCipher function;
    private byte[] chainingKey;
    private byte[] handshakeHash;

    SymmetricState(String protocolName, NoiseCipher function) {
        this.function = function;
        this.cipher = new CipherState(function);
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        handshakeHash = name.length <= HASH_LENGTH ? Arrays.copyOf(name, HASH_LENGTH) : Sha256.hash(name);
        chainingKey = handshakeHash.clone();
        cipher.initializeKey(null);
    }

    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(chainingKey, inputKeyMaterial, 2);
        chainingKey = out[0];
        cipher.initializeKey(out[1]);
    }

    void mixHash(byte[] data) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(handshakeHash);
        digest.update(data);
        handshakeHash = digest.digest();
    }

    void mixKeyAndHash(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(chainingKey, inputKeyMaterial, 3);
        chainingKey = out[0];
        mixHash(out[1]);
        cipher.initializeKey(out[2]);
    }

    boolean hasKey() {
        return cipher.hasKey();
    }

    byte[] handshakeHash() {
        return handshakeHash.clone();
    }

    byte[] encryptAndHash(byte[] plaintext) {
        byte[] ciphertext = cipher.encryptWithAd(handshakeHash, plaintext);
        mixHash(ciphertext);
        return ciphertext;
    }

    byte[] decryptAndHash(byte[] ciphertext) throws NoiseException {
        byte[] plaintext = cipher.decryptWithAd(handshakeHash, ciphertext);
        mixHash(ciphertext);
        return plaintext;
    }

    /** Returns the two transport CipherStates: first for initiator-to-responder, second for the reverse. */
    CipherState[] split() {
        byte[][] keys = hkdf(chainingKey, new byte[0], 2);
        CipherState first = new CipherState(function);
        first.initializeKey(keys[0]);
        CipherState second = new CipherState(function);
        second.initializeKey(keys[1]);
        return new CipherState[] {first, second};
    }

    /** HKDF as the Noise spec defines it (section 4.3), built on HMAC-SHA256. */
    static byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial, int outputs) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(chainingKey, "HmacSHA256"));
            byte[] tempKey = mac.doFinal(inputKeyMaterial);
            mac.init(new SecretKeySpec(tempKey, "HmacSHA256"));
            byte[][] out = new byte[outputs][];
            byte[] previous = new byte[0];
            for (int i = 0; i < outputs; i++) {
                mac.update(previous);
                mac.update((byte) (i + 1));
                previous = mac.doFinal();
                out[i] = previous;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}
