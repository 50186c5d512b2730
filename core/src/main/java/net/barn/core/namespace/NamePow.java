package net.barn.core.namespace;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.barn.core.crypto.Sha256;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The memory-hard work a name claim costs (section 11.4): Argon2id (RFC 9106, BouncyCastle)
 * of commitment || nonce (8 bytes, big-endian) with salt "barn-name-pow-v1", one lane, a
 * 32-byte output that must start with {@code powBits} zero bits. Verifying costs one attempt.
 */
public final class NamePow {
    static final byte[] SALT = "barn-name-pow-v1".getBytes(StandardCharsets.US_ASCII);

    private NamePow() {}

    /** Argon2id output for one attempt. */
    public static byte[] attempt(byte[] commitment, long nonce, NameRules rules) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(SALT).withParallelism(1)
                .withMemoryAsKB(rules.argon2MemoryKiB()).withIterations(rules.argon2Iterations()).build();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] out = new byte[32];
        gen.generateBytes(ByteBuffer.allocate(40).put(commitment).putLong(nonce).array(), out);
        return out;
    }

    public static boolean check(byte[] commitment, long nonce, NameRules rules) {
        return Sha256.leadingZeroBits(attempt(commitment, nonce, rules)) >= rules.powBits();
    }

    /** The smallest nonce from {@code from} that does the work; deterministic, so a retry is cheap to reason about. */
    public static long solve(byte[] commitment, long from, NameRules rules) {
        for (long nonce = from; ; nonce++) {
            if (check(commitment, nonce, rules)) {
                return nonce;
            }
        }
    }
}
