package net.barn.core.dht;

import java.util.List;
import net.barn.core.identity.NodeId;

/** What the root network tells its driver; polled with {@link Dht#pollEvent()}. */
public sealed interface DhtEvent {
    /** A query started by {@code findNode}, {@code get}, {@code put}, {@code commit} or {@code bootstrap} ended. */
    record QueryDone(long query, QueryResult result) implements DhtEvent {}

    /** This node now holds the record (persist it). */
    record RecordStored(Record record) implements DhtEvent {}

    /** This node let the record go, expired or replaced (forget it). */
    record RecordDropped(Key key, int type) implements DhtEvent {}

    /** A contact entered the routing table (worth remembering for the next start). */
    record PeerAdded(Contact contact) implements DhtEvent {}

    /** A contact left the routing table. */
    record PeerRemoved(NodeId id) implements DhtEvent {}

    /**
     * A node that contacted us says it accepts links at this address: dial it back (a fresh
     * connection, expecting this id) and report with {@link Dht#handleReachability}.
     */
    record VerifyReachability(Contact contact) implements DhtEvent {}

    /**
     * A record arrived, validly signed, with the sequence of the one held under its key but
     * another value: if one publisher signed both, the pair is evidence that it equivocated
     * (docs/PROTOCOL.md section 18); the driver builds and spreads it.
     */
    record Conflict(Record held, Record offered) implements DhtEvent {}

    /** Results of queries. */
    sealed interface QueryResult {
        int hops();

        long nanos();

        int requests();
    }

    record FindNodeResult(List<Contact> closest, int hops, long nanos, int requests) implements QueryResult {}

    /**
     * @param record the newest valid record found, or null
     * @param agreeing responders that returned exactly that record
     * @param conflicting responders that returned a different record with the same sequence
     * @param repaired stale replicas the newest record was pushed to
     * @param hopsToFirst depth of the first record found
     * @param records for types with a record per publisher, every valid one found (the newest of each publisher);
     *     otherwise the winning record alone
     */
    record GetResult(Record record, int agreeing, int conflicting, int repaired, int hops, int hopsToFirst, long nanos,
            int requests, List<Record> records) implements QueryResult {
        public GetResult {
            records = List.copyOf(records);
        }

        public GetResult(Record record, int agreeing, int conflicting, int repaired, int hops, int hopsToFirst, long nanos,
                int requests) {
            this(record, agreeing, conflicting, repaired, hops, hopsToFirst, nanos, requests,
                    record == null ? List.of() : List.of(record));
        }
    }

    /** @param stored replicas that accepted the record; @param refused those that said no, and why */
    record PutResult(int stored, List<String> refused, int hops, long nanos, int requests) implements QueryResult {}

    /**
     * @param countersignatures what the replicas that agreed answered
     * @param refused the others, and why
     */
    record CommitResult(List<DhtMessage.Countersigned> countersignatures, List<String> refused, int hops, long nanos,
            int requests) implements QueryResult {
        public CommitResult {
            countersignatures = List.copyOf(countersignatures);
            refused = List.copyOf(refused);
        }
    }

    record BootstrapResult(int tableSize, int hops, long nanos, int requests) implements QueryResult {}
}
