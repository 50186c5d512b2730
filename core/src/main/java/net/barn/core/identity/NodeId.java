package net.barn.core.identity;

import java.util.Arrays;
import java.util.HexFormat;
import net.barn.core.crypto.Sha256;

/**
 * A node's address in the 256-bit XOR space: SHA-256 of its Ed25519 public key. Its text
 * form is 52 characters of lower-case base32; {@link #shortForm()} is for logs.
 */
public final class NodeId implements Comparable<NodeId> {
    public static final int LENGTH = 32;
    public static final int TEXT_LENGTH = 52;

    private final byte[] bytes;

    private NodeId(byte[] bytes) {
        this.bytes = bytes;
    }

    public static NodeId of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a node id is 32 bytes, got " + bytes.length);
        }
        return new NodeId(bytes.clone());
    }

    public static NodeId ofPublicKey(byte[] ed25519PublicKey) {
        return new NodeId(Sha256.hash(ed25519PublicKey));
    }

    /** Parses the 52-character base32 form (or 64 hex digits, as some tools print). */
    public static NodeId parse(String text) {
        String t = text.trim();
        if (t.length() == 2 * LENGTH && t.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return new NodeId(HexFormat.of().parseHex(t));
        }
        if (t.length() != TEXT_LENGTH) {
            throw new IllegalArgumentException("a node id is 52 base32 characters, got " + t.length());
        }
        return new NodeId(Base32.decode(t));
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    public String toHex() {
        return HexFormat.of().formatHex(bytes);
    }

    /** The first 8 characters of the text form: enough to tell nodes apart in a log. */
    public String shortForm() {
        return toString().substring(0, 8);
    }

    @Override
    public String toString() {
        return Base32.encode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(NodeId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }
}
