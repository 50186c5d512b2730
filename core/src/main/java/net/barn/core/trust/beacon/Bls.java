package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.bls.BLS12_381BasicScheme;
import org.bouncycastle.crypto.bls.BLS12_381G1;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * BLS signatures on BLS12-381, min-pubkey-size variant: public keys in G1 (48 bytes),
 * signatures in G2 (96 bytes), messages hashed to G2 with the IETF basic ciphersuite
 * {@value #DST_TEXT} (the one drand's default chain signs with), over BouncyCastle.
 */
public final class Bls {
    public static final String DST_TEXT = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";
    static final byte[] DST = DST_TEXT.getBytes(StandardCharsets.US_ASCII);

    /** The generator of G1; its curve is the one every G1 point here is decoded onto. */
    static final ECPoint G1 = BLS12_381BasicScheme.skToPk(BigInteger.ONE).normalize();
    static final ECCurve G1_CURVE = G1.getCurve();

    static {
        // Our constant and BouncyCastle's must agree, or our signatures would not be drand's.
        if (!java.util.Arrays.equals(DST, BLS12_381BasicScheme.DST)) {
            throw new IllegalStateException("BouncyCastle's basic-scheme DST is not " + DST_TEXT);
        }
    }

    private Bls() {}

    /**
     * A fresh key from injected entropy: 32 bytes of input keying material through the IETF
     * KeyGen (HKDF-SHA-256), so the same entropy gives the same key.
     */
    public static BlsSecretKey generate(SecureRandom entropy) {
        byte[] ikm = new byte[32];
        entropy.nextBytes(ikm);
        return new BlsSecretKey(BLS12_381BasicScheme.keyGen(ikm, new byte[0]));
    }

    public static BlsSignature sign(BlsSecretKey key, byte[] message) {
        return BlsSignature.of(BLS12_381BasicScheme.sign(key.scalar(), message));
    }

    /** Whether {@code signature} is {@code key}'s over {@code message}. Both were subgroup-checked when decoded. */
    public static boolean verify(BlsPublicKey key, byte[] message, BlsSignature signature) {
        try {
            return BLS12_381BasicScheme.verify(key.point(), message, signature.point());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Decodes and verifies wire bytes: valid with the signature, or why not. */
    public static Checked<BlsSignature> verify(BlsPublicKey key, byte[] message, byte[] signature) {
        Checked<BlsSignature> decoded = BlsSignature.decode(signature);
        if (decoded instanceof Checked.Valid<BlsSignature>(BlsSignature s) && !verify(key, message, s)) {
            return Checked.invalid("the signature does not verify under the key");
        }
        return decoded;
    }

    static BlsPublicKey publicKey(BigInteger scalar) {
        return BlsPublicKey.of(BLS12_381G1.constantTimeMultiply(G1, scalar));
    }
}
