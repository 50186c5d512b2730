package net.barn.core.noise;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The two Noise cipher functions (spec section 12), over the JDK's AEAD implementations. */
public enum NoiseCipher {
    CHACHAPOLY("ChaChaPoly", "ChaCha20-Poly1305", "ChaCha20") {
        @Override
        AlgorithmParameterSpec nonce(long n) {
            byte[] iv = new byte[12];
            for (int i = 0; i < 8; i++) {
                iv[4 + i] = (byte) (n >>> (8 * i)); // 32 zero bits, then n little-endian
            }
            return new IvParameterSpec(iv);
        }
    },
    AESGCM("AESGCM", "AES/GCM/NoPadding", "AES") {
        @Override
        AlgorithmParameterSpec nonce(long n) {
            byte[] iv = new byte[12];
            for (int i = 0; i < 8; i++) {
                iv[11 - i] = (byte) (n >>> (8 * i)); // 32 zero bits, then n big-endian
            }
            return new GCMParameterSpec(TAG_LENGTH * 8, iv);
        }
    };

    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;

    private final String noiseName;
    private final String transformation;
    private final String keyAlgorithm;

    NoiseCipher(String noiseName, String transformation, String keyAlgorithm) {
        this.noiseName = noiseName;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
    }

    abstract AlgorithmParameterSpec nonce(long n);

    public String noiseName() {
        return noiseName;
    }

    public static NoiseCipher byNoiseName(String name) {
        for (NoiseCipher c : values()) {
            if (c.noiseName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unsupported Noise cipher " + name);
    }

    Key key(byte[] k) {
        return new SecretKeySpec(k, keyAlgorithm);
    }

    Cipher newCipher() {
        try {
            return Cipher.getInstance(transformation);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " unavailable", e);
        }
    }

    int encrypt(Cipher cipher, Key key, long n, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nonce(n));
            if (ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " encryption failed", e);
        }
    }

    int decrypt(Cipher cipher, Key key, long n, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws NoiseException {
        if (len < TAG_LENGTH) {
            throw new NoiseException("ciphertext shorter than its authentication tag");
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nonce(n));
            if (ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            throw new NoiseException("authentication tag mismatch");
        } catch (GeneralSecurityException e) {
            throw new NoiseException(transformation + " decryption failed", e);
        }
    }
}
