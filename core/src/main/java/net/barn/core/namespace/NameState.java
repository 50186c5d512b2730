package net.barn.core.namespace;

import java.util.List;
import java.util.Set;
import net.barn.core.dht.Record;
import net.barn.core.identity.NodeId;
import net.barn.wire.names.NamePolicy;

/**
 * A name record that passed every check, read into what it says.
 *
 * @param owners the owners' node ids
 * @param commitment the first claim's commitment, hex: the record's lineage, with {@code history}
 * @param history hex of SHA-256 over the handover chain: who owned the name, in order
 * @param handovers how many times the owners changed
 * @param priorityMillis when the replica set had countersigned the first claim (first come is earliest)
 * @param claimant the first claimant's node id
 */
public record NameState(Record record, String name, long sequence, List<NodeId> owners, int threshold,
        long leaseUntilMillis, long expiresAtMillis, NamePolicy policy, String commitment, String history, int handovers,
        long priorityMillis, long claimedAtMillis, NodeId claimant, Set<NodeId> countersigners) {
    public NameState {
        owners = List.copyOf(owners);
        countersigners = Set.copyOf(countersigners);
    }

    /** Within its lease. */
    public boolean active(long nowMillis) {
        return nowMillis < leaseUntilMillis;
    }

    /** Lease over, not yet free: only the owners may renew. */
    public boolean inGrace(long nowMillis) {
        return nowMillis >= leaseUntilMillis && nowMillis < expiresAtMillis;
    }
}
