package net.barn.core.trust.beacon;

import java.util.HashMap;
import java.util.Map;
import net.barn.core.identity.NodeId;

/**
 * A committee member's rule for signing presence tickets (docs/PROTOCOL.md section 17.5): only
 * for the epoch under way, only until one round before the seed round that draws the next
 * committee, and, per epoch, at most {@code perGroup} ids from one IP group and {@code perEpoch}
 * ids in all, so that neither an address block nor the whole request stream can make a member
 * sign without bound or keep unbounded state. Asking again for the same id and epoch is
 * answered again (the signature is deterministic) and counts once towards those limits, but at
 * most {@value #ANSWERS_PER_ID} times an epoch: each answer costs a BLS signature, and a peer
 * that asks over and over must not buy the member's CPU. Pure: rounds are passed in.
 */
public final class PresenceDesk {
    private final Epochs epochs;
    private final int perGroup;
    private final int perEpoch;
    private long epoch = -1;
    /** Answers per id and epoch, at most: a lost answer or two, then the asker waits for the next epoch. */
    public static final int ANSWERS_PER_ID = 3;
    private final Map<NodeId, Integer> signed = new HashMap<>();
    private final Map<String, Integer> byGroup = new HashMap<>();

    public PresenceDesk(Epochs epochs, int perGroup, int perEpoch) {
        if (perGroup < 1 || perEpoch < perGroup) {
            throw new IllegalArgumentException("need 1 <= perGroup <= perEpoch");
        }
        this.epochs = epochs;
        this.perGroup = perGroup;
        this.perEpoch = perEpoch;
    }

    /** The last round (exclusive) in which members sign tickets of {@code epoch}. */
    public long closesAt(long epoch) {
        return epochs.seedRound(epoch + 1) - 1;
    }

    /**
     * Null if the member may sign {@code id}'s ticket for {@code epoch} now (and counts it),
     * else why not. {@code group} is the IP group the request came from.
     */
    public String admit(long nowRound, long epoch, NodeId id, String group) {
        long current = epochs.epochOf(nowRound);
        if (epoch != current) {
            return "tickets are signed for the epoch under way (" + current + "), not " + epoch;
        }
        if (nowRound >= closesAt(epoch)) {
            return "tickets of epoch " + epoch + " closed at round " + closesAt(epoch) + ", before the next committee's seed";
        }
        if (this.epoch != epoch) {
            this.epoch = epoch;
            signed.clear();
            byGroup.clear();
        }
        Integer answered = signed.get(id);
        if (answered != null) {
            if (answered >= ANSWERS_PER_ID) {
                return "the ticket of epoch " + epoch + " was already sent to this node " + answered + " times";
            }
            signed.put(id, answered + 1);
            return null;
        }
        if (signed.size() >= perEpoch) {
            return "all " + perEpoch + " tickets of epoch " + epoch + " are signed";
        }
        int fromGroup = byGroup.getOrDefault(group, 0);
        if (fromGroup >= perGroup) {
            return perGroup + " tickets of epoch " + epoch + " already went to " + group;
        }
        signed.put(id, 1);
        byGroup.put(group, fromGroup + 1);
        return null;
    }

    /** Ids signed for in the current epoch. */
    public int signedThisEpoch() {
        return signed.size();
    }
}
