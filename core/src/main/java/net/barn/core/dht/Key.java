package net.barn.core.dht;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.random.RandomGenerator;
import net.barn.core.identity.NodeId;

/**
 * A point in the 256-bit XOR space: a node id or a record key. Distance is XOR, compared as
 * an unsigned big-endian number.
 */
public final class Key implements Comparable<Key> {
    public static final int BYTES = 32;
    public static final int BITS = 256;
    private final byte[] bytes;

    private Key(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Key of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a key is 32 bytes, got " + bytes.length);
        }
        return new Key(bytes.clone());
    }

    public static Key of(NodeId id) {
        return new Key(id.toBytes());
    }

    public static Key random(RandomGenerator rng) {
        byte[] b = new byte[BYTES];
        rng.nextBytes(b);
        return new Key(b);
    }

    public NodeId toNodeId() {
        return NodeId.of(bytes);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Number of leading bits this key shares with {@code other} (256 if equal). */
    public int commonPrefixLength(Key other) {
        for (int i = 0; i < BYTES; i++) {
            int x = (bytes[i] ^ other.bytes[i]) & 0xff;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return BITS;
    }

    /** Compares the distances of {@code a} and {@code b} to this key: negative if a is closer. */
    public int compareDistance(Key a, Key b) {
        for (int i = 0; i < BYTES; i++) {
            int da = (a.bytes[i] ^ bytes[i]) & 0xff;
            int db = (b.bytes[i] ^ bytes[i]) & 0xff;
            if (da != db) {
                return Integer.compare(da, db);
            }
        }
        return 0;
    }

    /** A random key that shares exactly {@code prefix} leading bits with this one (prefix < 256). */
    public Key randomWithCommonPrefix(int prefix, RandomGenerator rng) {
        byte[] out = new byte[BYTES];
        rng.nextBytes(out);
        return withCommonPrefix(prefix, out);
    }

    /**
     * {@code rest} (32 bytes) with its first {@code prefix} bits replaced by this key's and the
     * next one by its opposite: a key in this key's bucket number {@code prefix}.
     */
    public Key withCommonPrefix(int prefix, byte[] rest) {
        if (rest.length != BYTES) {
            throw new IllegalArgumentException("need " + BYTES + " bytes");
        }
        byte[] out = rest.clone();
        for (int bit = 0; bit <= prefix && bit < BITS; bit++) {
            int i = bit / 8;
            int mask = 0x80 >>> (bit % 8);
            boolean mine = (bytes[i] & mask) != 0;
            boolean set = bit == prefix ? !mine : mine;
            out[i] = (byte) (set ? out[i] | mask : out[i] & ~mask);
        }
        return new Key(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        // The bytes are hashes already: their first four are as good a hash code as any.
        return ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
    }

    @Override
    public int compareTo(Key o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes, 0, 6);
    }
}
