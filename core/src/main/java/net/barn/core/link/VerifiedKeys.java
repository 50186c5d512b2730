package net.barn.core.link;

import java.util.LinkedHashMap;
import java.util.Map;
import net.barn.core.crypto.Sha256;

/**
 * A bounded record of (identity key, Noise static key, signature) triples already verified, so
 * that repeated handshakes with a peer skip the Ed25519 verification. Shared by a node's links.
 */
public final class VerifiedKeys {
    private final int capacity;
    private final Map<String, Boolean> seen;

    public VerifiedKeys(int capacity) {
        this.capacity = capacity;
        this.seen = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > VerifiedKeys.this.capacity;
            }
        };
    }

    static String key(byte[] identityKey, byte[] staticKey, byte[] signature) {
        return java.util.HexFormat.of().formatHex(Sha256.hash(identityKey, staticKey, signature));
    }

    synchronized boolean contains(String key) {
        return seen.containsKey(key);
    }

    synchronized void add(String key) {
        seen.put(key, Boolean.TRUE);
    }
}
