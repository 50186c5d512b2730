package net.barn.core.dht;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** What a replica's countersignature on a claim commitment covers. */
public final class Countersigning {
    public static final int COMMITMENT_BYTES = 32;
    static final byte[] DOMAIN = "barn-countersign-v1".getBytes(StandardCharsets.US_ASCII);

    private Countersigning() {}

    /** "barn-countersign-v1" || key || commitment || atMillis (8 bytes, big-endian). */
    public static byte[] signedBytes(Key key, byte[] commitment, long atMillis) {
        return ByteBuffer.allocate(DOMAIN.length + Key.BYTES + commitment.length + 8)
                .put(DOMAIN).put(key.toBytes()).put(commitment).putLong(atMillis).array();
    }
}
