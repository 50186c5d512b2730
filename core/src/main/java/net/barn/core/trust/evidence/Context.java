package net.barn.core.trust.evidence;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What a signed statement is about: its kind and the bytes naming the thing (a record's
 * type and key, a name's commitment, a steward vote's motion). Two statements by one signer
 * with equal contexts and sequences must agree; if they do not, they are evidence.
 */
public record Context(Kind kind, byte[] key) {
    /** Longest context a statement may carry. */
    public static final int MAX_KEY_BYTES = 128;

    /** The kinds of statement evidence can be built from, with their wire numbers. */
    public enum Kind {
        RECORD(1),
        NAME_OWNERS(2),
        VOTE(3);

        private final int wire;

        Kind(int wire) {
            this.wire = wire;
        }

        public int wire() {
            return wire;
        }

        /** The kind with this wire number, or null. */
        public static Kind ofWire(int n) {
            for (Kind k : values()) {
                if (k.wire == n) {
                    return k;
                }
            }
            return null;
        }
    }

    public Context {
        if (kind == null || key == null) {
            throw new IllegalArgumentException("a context needs a kind and a key");
        }
        key = key.clone();
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Context c && c.kind == kind && Arrays.equals(c.key, key);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return kind + ":" + HexFormat.of().formatHex(key);
    }
}
