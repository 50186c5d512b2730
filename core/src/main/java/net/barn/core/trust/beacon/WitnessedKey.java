package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Countersigning;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.identity.ProofOfWork;

/**
 * A beacon key record with witnesses of its age (docs/PROTOCOL.md section 17.5): replicas of
 * the record's key countersign a commitment to the key (the DHT's claim countersigning,
 * section 11.3) with the time they first saw it. A node is eligible for a committee drawn at
 * time S only if a quorum of the key's current replicas saw its key by S minus the minimum
 * age, so ids brought in after a seed is known, to land near the target it gives, are not
 * drawn. Pure: verification takes the replica set and parameters it needs.
 */
public final class WitnessedKey {
    /** The bare key record value: node key, BLS key, proof of possession, identity signature. */
    public static final int KEY_BYTES = 240;
    public static final int WITNESS_BYTES = 32 + 8 + 8 + 64;
    /** Witnesses a record carries, at most. */
    public static final int MAX_WITNESSES = 8;
    private static final byte[] DOMAIN = "barn-beacon-age-v1".getBytes(StandardCharsets.US_ASCII);

    private WitnessedKey() {}

    /** One replica's countersignature: its key, id work, when it first saw the commitment, signature. */
    public record Witness(byte[] signerKey, long powNonce, long atMillis, byte[] signature) {
        public Witness {
            signerKey = signerKey.clone();
            signature = signature.clone();
        }

        public NodeId signer() {
            return NodeId.ofPublicKey(signerKey);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Witness w && Arrays.equals(signerKey, w.signerKey) && powNonce == w.powNonce && atMillis == w.atMillis
                    && Arrays.equals(signature, w.signature);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(signature);
        }
    }

    /** A decoded record value. */
    public record Decoded(byte[] key, List<Witness> witnesses) {
        public Decoded {
            key = key.clone();
            witnesses = List.copyOf(witnesses);
        }
    }

    /** What replicas countersign: SHA-256("barn-beacon-age-v1" || bare key value). */
    public static byte[] commitment(byte[] keyValue) {
        return Sha256.hash(DOMAIN, keyValue);
    }

    /** key value || count (1 byte) || witnesses (signer key 32, pow nonce 8, at millis 8, signature 64). */
    public static byte[] encode(byte[] keyValue, List<Witness> witnesses) {
        if (keyValue.length != KEY_BYTES || witnesses.size() > MAX_WITNESSES) {
            throw new IllegalArgumentException("a key of " + KEY_BYTES + " bytes and at most " + MAX_WITNESSES + " witnesses");
        }
        ByteBuffer b = ByteBuffer.allocate(KEY_BYTES + 1 + witnesses.size() * WITNESS_BYTES).put(keyValue).put((byte) witnesses.size());
        for (Witness w : witnesses) {
            b.put(w.signerKey()).putLong(w.powNonce()).putLong(w.atMillis()).put(w.signature());
        }
        return b.array();
    }

    /** Splits a record value; a bare 240-byte key has no witnesses. */
    public static Checked<Decoded> decode(byte[] value) {
        if (value.length == KEY_BYTES) {
            return Checked.valid(new Decoded(value, List.of()));
        }
        if (value.length < KEY_BYTES + 1) {
            return Checked.invalid("a beacon key record of " + value.length + " bytes, not at least " + KEY_BYTES);
        }
        int count = value[KEY_BYTES] & 0xff;
        if (count > MAX_WITNESSES || value.length != KEY_BYTES + 1 + count * WITNESS_BYTES) {
            return Checked.invalid("a beacon key record of " + value.length + " bytes does not hold " + count + " witnesses (at most "
                    + MAX_WITNESSES + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(value, KEY_BYTES + 1, count * WITNESS_BYTES);
        List<Witness> ws = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] signer = new byte[32];
            b.get(signer);
            long nonce = b.getLong();
            long at = b.getLong();
            byte[] sig = new byte[64];
            b.get(sig);
            ws.add(new Witness(signer, nonce, at, sig));
        }
        return Checked.valid(new Decoded(Arrays.copyOf(value, KEY_BYTES), ws));
    }

    /**
     * When a quorum of {@code replicas} had seen the key: the {@code quorum}-th earliest time
     * among valid witnesses by distinct members of {@code replicas} (ids with valid work), or
     * {@code Long.MAX_VALUE} if fewer than {@code quorum} such witnesses.
     */
    public static long witnessedSince(Key recordKey, Decoded record, Set<NodeId> replicas, PowParams pow, int quorum) {
        byte[] commitment = commitment(record.key());
        Map<NodeId, Long> earliest = new HashMap<>();
        for (Witness w : record.witnesses()) {
            NodeId signer = w.signer();
            if (replicas.contains(signer) && ProofOfWork.check(signer, w.powNonce(), pow) == null
                    && Ed25519.verify(w.signerKey(), Countersigning.signedBytes(recordKey, commitment, w.atMillis()), w.signature())) {
                earliest.merge(signer, w.atMillis(), Math::min);
            }
        }
        if (earliest.size() < quorum) {
            return Long.MAX_VALUE;
        }
        return earliest.values().stream().sorted().skip(quorum - 1).findFirst().orElseThrow();
    }

    /**
     * Witnesses to keep after a new countersigning: for each signer the earliest, the signers in
     * {@code current} (the key's replicas now) first, then the earliest, at most {@link #MAX_WITNESSES}.
     */
    public static List<Witness> keep(List<Witness> held, List<Witness> fresh, Set<NodeId> current) {
        Map<NodeId, Witness> bySigner = new HashMap<>();
        for (Witness w : concat(held, fresh)) {
            bySigner.merge(w.signer(), w, (a, b) -> a.atMillis() <= b.atMillis() ? a : b);
        }
        List<Witness> all = new ArrayList<>(bySigner.values());
        all.sort((a, b) -> {
            int c = Boolean.compare(!current.contains(a.signer()), !current.contains(b.signer()));
            return c != 0 ? c : Long.compare(a.atMillis(), b.atMillis());
        });
        return List.copyOf(all.subList(0, Math.min(MAX_WITNESSES, all.size())));
    }

    private static List<Witness> concat(List<Witness> a, List<Witness> b) {
        List<Witness> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
