package net.barn.core.overlay;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** A broadcast's 32-byte id, chosen at random by its origin; the key of deduplication. */
public final class MessageId {
    public static final int LENGTH = 32;

    private final byte[] bytes;
    private final int hash;

    private MessageId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    public static MessageId of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a message id is 32 bytes, got " + bytes.length);
        }
        return new MessageId(bytes.clone());
    }

    public static MessageId random(RandomGenerator rng) {
        byte[] b = new byte[LENGTH];
        rng.nextBytes(b);
        return new MessageId(b);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageId other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes, 0, 8);
    }
}
