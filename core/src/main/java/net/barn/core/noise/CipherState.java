package net.barn.core.noise;

import java.security.Key;
import javax.crypto.Cipher;

/**
 * Noise CipherState (spec section 5.1): a key and a 64-bit nonce counter. After the handshake
 * one CipherState per direction encrypts the transport messages.
 */
public final class CipherState {
    /** 2^64-1 is reserved by the spec; we stop one short of wrapping a signed long. */
    private static final long MAX_NONCE = Long.MAX_VALUE;

    private final NoiseCipher function;
    private final Cipher cipher;
    private Key key;
    private long nonce;

    CipherState(NoiseCipher function) {
        this.function = function;
        this.cipher = function.newCipher();
    }

    void initializeKey(byte[] k) {
        key = k == null ? null : function.key(k);
        nonce = 0;
    }

    public boolean hasKey() {
        return key != null;
    }

    public long nonce() {
        return nonce;
    }

    /** Encrypts {@code len} bytes into {@code out}; returns the bytes written (len + 16 once keyed). */
    public int encryptWithAd(byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (key == null) {
            System.arraycopy(in, inOff, out, outOff, len);
            return len;
        }
        if (nonce >= MAX_NONCE) {
            throw new IllegalStateException("Noise nonce exhausted; the session must end");
        }
        int written = function.encrypt(cipher, key, nonce, ad, in, inOff, len, out, outOff);
        nonce++;
        return written;
    }

    /** Decrypts and authenticates {@code len} bytes into {@code out}; returns the plaintext length. */
    public int decryptWithAd(byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) throws NoiseException {
        if (key == null) {
            System.arraycopy(in, inOff, out, outOff, len);
            return len;
        }
        if (nonce >= MAX_NONCE) {
            throw new NoiseException("Noise nonce exhausted");
        }
        int written = function.decrypt(cipher, key, nonce, ad, in, inOff, len, out, outOff);
        nonce++; // only after the tag checked: a forged message does not advance the counter
        return written;
    }

    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        byte[] out = new byte[plaintext.length + (key == null ? 0 : NoiseCipher.TAG_LENGTH)];
        encryptWithAd(ad, plaintext, 0, plaintext.length, out, 0);
        return out;
    }

    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws NoiseException {
        if (key != null && ciphertext.length < NoiseCipher.TAG_LENGTH) {
            throw new NoiseException("ciphertext shorter than its authentication tag");
        }
        byte[] out = new byte[ciphertext.length - (key == null ? 0 : NoiseCipher.TAG_LENGTH)];
        decryptWithAd(ad, ciphertext, 0, ciphertext.length, out, 0);
        return out;
    }
}
