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
import net.barn.core.trust.beacon.BeaconKeyRecord;
import net.barn.core.trust.beacon.BlsPublicKey;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.Sortition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws a beacon committee as every node can (docs/PROTOCOL.md section 17.5): the nodes nearest
 * {@link Sortition#committeeTarget} of a seed and epoch that publish a valid beacon key, at most
 * 2 per IP group, not excluded by evidence, odd in number. One lookup finds the k nearest; a
 * committee larger than k takes further lookups around the farthest found. A draw after
 * genesis also requires each candidate's key record to carry a presence ticket of the group
 * from before the drawn epoch ({@link net.barn.core.trust.beacon.PresenceTicket}): ids made
 * after the seed was known, to land near its target, hold none.
 */
final class CommitteeDraw {
    private static final Logger log = LoggerFactory.getLogger(CommitteeDraw.class);

    /** What a draw after genesis asks of candidates: a presence ticket under {@code group}, at most {@code window} epochs old. */
    record Age(BlsPublicKey group, long window) {}

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

    /** @param age what candidates must show; null: no age is required (genesis) */
    CompletableFuture<Drawn> draw(byte[] seed, long epoch, Age age) {
        Key target = Sortition.committeeTarget(seed, epoch);
        return nearest(target).thenCompose(found -> {
            List<CompletableFuture<Sortition.Candidate>> checks = new ArrayList<>();
            Map<NodeId, Contact> seen = new HashMap<>();
            for (Contact c : found) {
                if (!c.id().equals(node.id()) && !seen.containsKey(c.id())) {
                    seen.put(c.id(), c);
                    checks.add(candidate(c.id(), groupOf(c), epoch, age));
                }
            }
            // At genesis a node knows its own key is valid; later it must pass the age check like anyone.
            boolean genesis = age == null;
            if (!genesis) {
                checks.add(candidate(node.id(), "self", epoch, age));
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
        return groupOf(c.id(), new InetSocketAddress(c.address().host(), c.address().port()));
    }

    /** A node's IP group (IPv4 /16, IPv6 /32); on loopback, where all share one, the node itself. */
    static String groupOf(NodeId id, InetSocketAddress a) {
        return a == null || a.getAddress() == null || a.getAddress().isLoopbackAddress() ? id.toString()
                : DialBackGuard.group(a.getAddress().getAddress());
    }

    /**
     * A node as a candidate if it publishes a valid beacon key, with a presence ticket that
     * {@code age} accepts (if any is asked), and is not excluded, else null.
     */
    private CompletableFuture<Sortition.Candidate> candidate(NodeId id, String group, long epoch, Age age) {
        Key recordKey = RecordTypes.ownedKey(id, BeaconService.KEY_RECORD.getBytes(StandardCharsets.UTF_8));
        // A read that fails under load is tried once more: a candidate one drawer misses and
        // another keeps splits the committee into two sessions.
        CompletableFuture<net.barn.core.dht.DhtEvent.GetResult> read = dht.get(recordKey, RecordTypes.OWNED)
                .thenCompose(g -> g.record() != null ? CompletableFuture.completedFuture(g) : dht.get(recordKey, RecordTypes.OWNED))
                .exceptionallyCompose(e -> dht.get(recordKey, RecordTypes.OWNED));
        return read.thenApply(g -> {
            Record r = g.record();
            if (r == null || (dht.evidence() != null && dht.evidence().isExcluded(id))) {
                return null;
            }
            Checked<BeaconKeyRecord.Decoded> d = BeaconKeyRecord.decode(r.value());
            Checked<BeaconKey> k = d.isValid() ? BeaconService.decodeKey(d.orElseThrow().key()) : Checked.invalid(d.reason());
            if (!k.isValid() || !k.orElseThrow().nodeId().equals(id)) {
                log.debug("beacon: {} publishes no valid key: {}", id.shortForm(), k.reason());
                return null;
            }
            if (age != null) {
                var ticket = d.orElseThrow().ticket();
                String why = ticket == null ? "no presence ticket" : ticket.refuse(age.group(), id, epoch, age.window());
                if (why != null) {
                    log.debug("beacon: {} is not eligible for epoch {}: {}", id.shortForm(), epoch, why);
                    return null;
                }
            }
            return new Sortition.Candidate(id, group);
        }).exceptionally(e -> null);
    }
}
