package net.barn.daemon;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.NodeId;
import net.barn.core.nat.DialBackGuard;
import net.barn.core.trust.beacon.BeaconKey;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.Sortition;
import net.barn.core.trust.beacon.WitnessedKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws a beacon committee as every node can (docs/PROTOCOL.md section 17.5): the nodes nearest
 * {@link Sortition#committeeTarget} of a seed and epoch that publish a valid beacon key, at most
 * 2 per IP group, not excluded by evidence, odd in number. One lookup finds the k nearest; a
 * committee larger than k takes further lookups around the farthest found. A draw after
 * genesis also requires each candidate's key to have been witnessed, by a quorum of the
 * replicas its record has now, before a given time ({@link WitnessedKey}).
 */
final class CommitteeDraw {
    private static final Logger log = LoggerFactory.getLogger(CommitteeDraw.class);

    /** The committee in index order and how to reach its members. */
    record Drawn(List<NodeId> committee, Map<NodeId, Contact> contacts) {}

    private final BarnNode node;
    private final DhtService dht;
    private final int size;

    CommitteeDraw(BarnNode node, DhtService dht, int size) {
        this.node = node;
        this.dht = dht;
        this.size = size;
    }

    /**
     * @param witnessedBy candidates' keys must have been witnessed at or before this Unix time
     *     (millis); {@code Long.MAX_VALUE}: no age is required (genesis)
     */
    CompletableFuture<Drawn> draw(byte[] seed, long epoch, long witnessedBy) {
        Key target = Sortition.committeeTarget(seed, epoch);
        return nearest(target).thenCompose(found -> {
            List<CompletableFuture<Sortition.Candidate>> checks = new ArrayList<>();
            Map<NodeId, Contact> seen = new HashMap<>();
            for (Contact c : found) {
                if (!c.id().equals(node.id()) && !seen.containsKey(c.id())) {
                    seen.put(c.id(), c);
                    checks.add(candidate(c.id(), groupOf(c), witnessedBy));
                }
            }
            // At genesis a node knows its own key is valid; later it must pass the age check like anyone.
            boolean genesis = witnessedBy == Long.MAX_VALUE;
            if (!genesis) {
                checks.add(candidate(node.id(), "self", witnessedBy));
            }
            return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<Sortition.Candidate> candidates = new ArrayList<>();
                if (genesis) {
                    candidates.add(new Sortition.Candidate(node.id(), "self"));
                }
                for (CompletableFuture<Sortition.Candidate> f : checks) {
                    Sortition.Candidate c = f.join();
                    if (c != null) {
                        candidates.add(c);
                    }
                }
                return new Drawn(Sortition.oddCommittee(Sortition.committee(target, candidates, size, 2)), seen);
            });
        });
    }

    private CompletableFuture<List<Contact>> nearest(Key target) {
        return dht.findNode(target).thenCompose(first -> widen(target, new ArrayList<>(first.closest()), 0));
    }

    private CompletableFuture<List<Contact>> widen(Key target, List<Contact> found, int rounds) {
        if (found.size() >= 2 * size || rounds >= 8 || found.isEmpty()) {
            return CompletableFuture.completedFuture(found);
        }
        Contact farthest = found.stream().max((a, b) -> target.compareDistance(Key.of(a.id()), Key.of(b.id()))).orElseThrow();
        return dht.findNode(Key.of(farthest.id())).thenCompose(more -> {
            int before = found.size();
            Set<NodeId> have = new HashSet<>();
            found.forEach(c -> have.add(c.id()));
            for (Contact c : more.closest()) {
                if (have.add(c.id())) {
                    found.add(c);
                }
            }
            return found.size() == before ? CompletableFuture.completedFuture(found) : widen(target, found, rounds + 1);
        });
    }

    private static String groupOf(Contact c) {
        InetSocketAddress a = new InetSocketAddress(c.address().host(), c.address().port());
        return a.getAddress() == null || a.getAddress().isLoopbackAddress() ? c.id().toString()
                : DialBackGuard.group(a.getAddress().getAddress());
    }

    /**
     * A node as a candidate if it publishes a valid beacon key, witnessed early enough, and is
     * not excluded, else null.
     */
    private CompletableFuture<Sortition.Candidate> candidate(NodeId id, String group, long witnessedBy) {
        Key recordKey = RecordTypes.ownedKey(id, BeaconService.KEY_RECORD.getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Set<NodeId>> replicas = witnessedBy == Long.MAX_VALUE ? CompletableFuture.completedFuture(Set.of())
                : dht.findNode(recordKey).thenApply(f -> {
                    Set<NodeId> ids = new HashSet<>();
                    f.closest().forEach(c -> ids.add(c.id()));
                    ids.add(node.id()); // this node may be one of them; lookups leave it out
                    return ids;
                });
        // A read that fails under load is tried once more: a candidate one drawer misses and
        // another keeps splits the committee into two sessions.
        CompletableFuture<net.barn.core.dht.DhtEvent.GetResult> read = dht.get(recordKey, RecordTypes.OWNED)
                .thenCompose(g -> g.record() != null ? CompletableFuture.completedFuture(g) : dht.get(recordKey, RecordTypes.OWNED))
                .exceptionallyCompose(e -> dht.get(recordKey, RecordTypes.OWNED));
        return read.thenCombine(replicas, (g, near) -> {
            Record r = g.record();
            if (r == null || (dht.evidence() != null && dht.evidence().isExcluded(id))) {
                return null;
            }
            Checked<WitnessedKey.Decoded> d = WitnessedKey.decode(r.value());
            Checked<BeaconKey> k = d.isValid() ? BeaconService.decodeKey(d.orElseThrow().key()) : Checked.invalid(d.reason());
            if (!k.isValid() || !k.orElseThrow().nodeId().equals(id)) {
                log.debug("beacon: {} publishes no valid key: {}", id.shortForm(), k.reason());
                return null;
            }
            if (witnessedBy != Long.MAX_VALUE) {
                long since = WitnessedKey.witnessedSince(recordKey, d.orElseThrow(), near, node.config().link().pow(), WITNESS_QUORUM);
                if (since > witnessedBy) {
                    log.debug("beacon: {} is not eligible: its key was witnessed {}", id.shortForm(),
                            since == Long.MAX_VALUE ? "by too few of its replicas" : "at " + since + ", after " + witnessedBy);
                    return null;
                }
            }
            return new Sortition.Candidate(id, group);
        }).exceptionally(e -> null);
    }

    /** Replicas that must have witnessed a candidate's key. */
    static final int WITNESS_QUORUM = 3;
}
