package net.barn.core.trust.evidence;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Checked;

/**
 * The evidence a node holds, as a sans-IO state machine: {@link #handleEvidence} takes what
 * peers gossip, {@link #handleLocal} what this node found itself ({@link Detector}); out come
 * {@link #pollGossip()} (evidence to send on) and {@link #pollEvent()}.
 *
 * <p>Rules: evidence is checked before anything else happens; the first valid proof against
 * an offender excludes it and is forwarded once to every peer but the one it came from;
 * further proofs against an excluded offender are dropped unchecked (one proof is enough, and
 * dropping costs nothing); invalid evidence is refused with a reason and counted against its
 * sender. Memory is bounded: at most {@link Config#maxOffenders} exclusions, each for
 * {@link Config#retentionNanos}, the oldest leaving first when room is needed.
 */
public final class EvidenceBook {
    /** Limits. */
    public record Config(int maxOffenders, long retentionNanos, int maxTrackedSenders) {
        public static final long DAY_NANOS = 24 * 3600 * 1_000_000_000L;
        public static final Config DEFAULT = new Config(4096, 30 * DAY_NANOS, 1024);

        public Config {
            if (maxOffenders < 1 || retentionNanos <= 0 || maxTrackedSenders < 1) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }
    }

    /** Evidence to send to every linked peer except {@code except} (null: to all). */
    public record Gossip(byte[] evidence, NodeId except) {
        public Gossip {
            evidence = evidence.clone();
        }

        @Override
        public byte[] evidence() {
            return evidence.clone();
        }
    }

    /** What became of one piece of evidence. */
    public sealed interface Handled {
        record Accepted(NodeId offender) implements Handled {}

        record Duplicate(NodeId offender) implements Handled {}

        record Rejected(String reason) implements Handled {}
    }

    private record Entry(byte[] evidence, long excludedAt) {}

    private final Config config;
    private final SignatureVerifier verifier;
    /** In order of exclusion, which is also the order of expiry. */
    private final LinkedHashMap<NodeId, Entry> offenders = new LinkedHashMap<>();
    private final ArrayDeque<Gossip> gossip = new ArrayDeque<>();
    private final ArrayDeque<EvidenceEvent> events = new ArrayDeque<>();
    private final Map<NodeId, Integer> fakes;
    /** Hashes of encodings recently taken in: a copy from the next peer is dropped before decoding. */
    private final Map<String, NodeId> seen;
    private long fakeTotal;

    public EvidenceBook(Config config, SignatureVerifier verifier) {
        this.config = config;
        this.verifier = verifier;
        this.fakes = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<NodeId, Integer> eldest) {
                return size() > config.maxTrackedSenders();
            }
        };
        this.seen = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, NodeId> eldest) {
                return size() > config.maxOffenders();
            }
        };
    }

    /** Evidence (its encoding) gossiped by {@code from}. */
    public Handled handleEvidence(long nowNanos, NodeId from, byte[] bytes) {
        expire(nowNanos);
        String hash = bytes == null || bytes.length > EvidenceCodec.MAX_EVIDENCE_BYTES ? null
                : HexFormat.of().formatHex(Sha256.hash(bytes));
        NodeId known = hash == null ? null : seen.get(hash);
        if (known != null && offenders.containsKey(known)) {
            return new Handled.Duplicate(known);
        }
        Checked<Evidence> decoded = EvidenceCodec.decode(bytes);
        if (!decoded.isValid()) {
            return fake(from, decoded.reason());
        }
        Evidence e = decoded.orElseThrow();
        if (offenders.containsKey(e.offender())) {
            seen.put(hash, e.offender());
            return new Handled.Duplicate(e.offender());
        }
        Checked<Evidence> checked = Evidence.verify(e, verifier);
        if (!checked.isValid()) {
            return fake(from, checked.reason());
        }
        seen.put(hash, e.offender());
        return exclude(nowNanos, e, from);
    }

    /** Evidence this node built itself; checked like any other. */
    public Handled handleLocal(long nowNanos, Evidence e) {
        expire(nowNanos);
        if (offenders.containsKey(e.offender())) {
            return new Handled.Duplicate(e.offender());
        }
        Checked<Evidence> checked = Evidence.verify(e, verifier);
        if (!checked.isValid()) {
            return new Handled.Rejected(checked.reason());
        }
        return exclude(nowNanos, e, null);
    }

    private Handled fake(NodeId from, String reason) {
        if (from != null) {
            fakes.merge(from, 1, Integer::sum);
            fakeTotal++;
            events.add(new EvidenceEvent.FakeEvidence(from, reason));
        }
        return new Handled.Rejected(reason);
    }

    private Handled exclude(long now, Evidence e, NodeId from) {
        byte[] bytes = e.encode();
        offenders.put(e.offender(), new Entry(bytes, now));
        while (offenders.size() > config.maxOffenders()) {
            Iterator<NodeId> it = offenders.keySet().iterator();
            NodeId oldest = it.next();
            it.remove();
            events.add(new EvidenceEvent.Released(oldest));
        }
        gossip.add(new Gossip(bytes, from));
        events.add(new EvidenceEvent.Excluded(e.offender(), e.idHex(), from));
        return new Handled.Accepted(e.offender());
    }

    /** Ends the exclusions whose time ran out. */
    public void handleTimeout(long nowNanos) {
        expire(nowNanos);
    }

    private void expire(long now) {
        Iterator<Map.Entry<NodeId, Entry>> it = offenders.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<NodeId, Entry> e = it.next();
            if (now - e.getValue().excludedAt() < config.retentionNanos()) {
                return;
            }
            it.remove();
            events.add(new EvidenceEvent.Released(e.getKey()));
        }
    }

    /** When the next exclusion ends, or {@link Long#MAX_VALUE}. */
    public long pollTimeout() {
        for (Entry e : offenders.values()) {
            return e.excludedAt() + config.retentionNanos();
        }
        return Long.MAX_VALUE;
    }

    public Gossip pollGossip() {
        return gossip.poll();
    }

    public EvidenceEvent pollEvent() {
        return events.poll();
    }

    public boolean isExcluded(NodeId id) {
        return offenders.containsKey(id);
    }

    /** The excluded nodes now, oldest exclusion first. */
    public Set<NodeId> excluded() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(offenders.keySet()));
    }

    /** The proof held against {@code offender} (its encoding), to show a peer that asks. */
    public Optional<byte[]> evidenceAgainst(NodeId offender) {
        Entry e = offenders.get(offender);
        return e == null ? Optional.empty() : Optional.of(e.evidence().clone());
    }

    /** How many invalid pieces of evidence {@code sender} sent (while it is remembered). */
    public int fakesFrom(NodeId sender) {
        return fakes.getOrDefault(sender, 0);
    }

    public long fakeTotal() {
        return fakeTotal;
    }
}
