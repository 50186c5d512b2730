package net.barn.core.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import net.barn.core.crypto.Sha256;

/** The two S/Kademlia-style puzzles that make a node id cost work; see {@link PowParams}. */
public final class ProofOfWork {
    static final byte[] DYNAMIC_DOMAIN = "barn-pow-v1".getBytes(StandardCharsets.US_ASCII);

    private ProofOfWork() {}

    public static int staticBits(NodeId id) {
        return Sha256.leadingZeroBits(Sha256.hash(id.toBytes()));
    }

    public static int dynamicBits(NodeId id, long nonce) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(DYNAMIC_DOMAIN);
        digest.update(id.toBytes());
        digest.update(longBytes(nonce));
        return Sha256.leadingZeroBits(digest.digest());
    }

    /** Checks both puzzles; returns null when satisfied, else a sentence saying which fell short. */
    public static String check(NodeId id, long nonce, PowParams params) {
        int s = staticBits(id);
        if (s < params.staticBits()) {
            return "static puzzle has " + s + " zero bits, network needs " + params.staticBits();
        }
        int d = dynamicBits(id, nonce);
        if (d < params.dynamicBits()) {
            return "dynamic puzzle has " + d + " zero bits, network needs " + params.dynamicBits();
        }
        return null;
    }

    /** Finds the smallest nonce that solves the dynamic puzzle for this id. */
    public static long solveDynamic(NodeId id, PowParams params) {
        MessageDigest digest = Sha256.newDigest();
        byte[] prefix = new byte[DYNAMIC_DOMAIN.length + NodeId.LENGTH];
        System.arraycopy(DYNAMIC_DOMAIN, 0, prefix, 0, DYNAMIC_DOMAIN.length);
        System.arraycopy(id.toBytes(), 0, prefix, DYNAMIC_DOMAIN.length, NodeId.LENGTH);
        byte[] nonceBytes = new byte[8];
        for (long nonce = 0; ; nonce++) {
            writeLong(nonceBytes, nonce);
            digest.update(prefix);
            digest.update(nonceBytes);
            if (Sha256.leadingZeroBits(digest.digest()) >= params.dynamicBits()) {
                return nonce;
            }
        }
    }

    static byte[] longBytes(long value) {
        byte[] out = new byte[8];
        writeLong(out, value);
        return out;
    }

    private static void writeLong(byte[] out, long value) {
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (value >>> (56 - 8 * i));
        }
    }
}
