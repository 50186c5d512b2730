package net.barn.core.dht;

import java.util.Set;
import net.barn.core.identity.NodeId;

/**
 * What a node checks before it stores, serves or believes a record. The root network
 * itself knows only sequence numbers; each record type's rules say what else must hold.
 * {@link #OWNED_ONLY} accepts the owned type alone; the namespace registry adds name claims.
 */
public interface RecordRules {
    /** Records of the owned type only (section 9.3). */
    RecordRules OWNED_ONLY = RecordTypes::problem;

    /** Null if the record is valid on its own at {@code nowMillis}, else why not. */
    String problem(Record r, long nowMillis, DhtConfig config, SignatureVerifier verifier);

    /**
     * Null if a replica holding {@code held} may replace it by {@code incoming} (both valid and
     * of one key and type), else why not. {@code neighbourhood}: the ids this replica knows
     * closest to the key, itself included.
     */
    default String replaces(Record held, Record incoming, long nowMillis, Set<NodeId> neighbourhood) {
        return incoming.sequence() > held.sequence() ? null
                : "holding a newer record (sequence " + held.sequence() + ")";
    }

    /** Null if a replica holding nothing under the key may store {@code r}, else why not. */
    default String admits(Record r, long nowMillis, Set<NodeId> neighbourhood) {
        return null;
    }

    /**
     * True if a replica holding nothing under the key should not take {@code r} on the
     * sender's word but read what the other replicas hold and keep the majority's record: for
     * records whose validity alone cannot tell an old truth from an old-looking forgery.
     */
    default boolean asksNeighbours(Record r, long nowMillis) {
        return false;
    }

    /**
     * Which history a record belongs to: records of one lineage are ordered by sequence;
     * records of different lineages compete (readers side with the most replicas). The
     * default puts every record of a key in one lineage.
     */
    default Object lineage(Record r) {
        return Boolean.TRUE;
    }

    /**
     * Null if this node, holding {@code held} (or null) under {@code key}, should countersign
     * a claim commitment, else why not. Only types with a commit step need this.
     */
    default String commitProblem(Key key, Record held, long nowMillis) {
        return "this network has no claims to commit to";
    }

    /**
     * How many of the nodes closest to a key hold its records of {@code type}: {@code k} by
     * default; more where a read must survive a larger share of lying replicas.
     */
    default int replicas(int type, int k) {
        return k;
    }

    /**
     * True for types of which a key holds one record per publisher (members of a namespace),
     * not one record in all. Such records are kept in memory only: their publishers refresh them.
     */
    default boolean multiValued(int type) {
        return false;
    }

    /**
     * Null if a replica may keep {@code r} given the claim it holds under the same key
     * ({@code claim}, of type {@link #commitType()}, or null), else why not: a namespace's
     * policy decides who may be listed as its member.
     */
    default String policyProblem(Record r, long nowMillis, Record claim) {
        return null;
    }

    /**
     * True where competing records can exist (claims of one name): a read hears every replica
     * instead of ending at a quorum, so a few liars answering first cannot decide it.
     */
    default boolean readsAllReplicas(int type) {
        return type == commitType();
    }

    /**
     * True for types whose replicas move every placement period to a point the beacon salts
     * ({@link Placement}), once the node has one: the root namespace's, so that ids cannot be
     * ground next to a name in advance. Others sit at their key.
     */
    default boolean placed(int type) {
        return false;
    }

    /** The record type a commit under a key is for. */
    default int commitType() {
        return -1;
    }
}
