package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.NodeId;

/**
 * The beacon's clock (docs/PROTOCOL.md sections 17.8 to 17.10): rounds are wall-clock slots of
 * {@code roundMillis}, epochs {@code epochRounds} rounds; the seed round of each epoch, the start
 * time of a handover, the recovery seed, and what a node accepts as a handover notice. Every
 * node of a network must use the same values. Pure arithmetic: times are passed in.
 */
public record Epochs(long roundMillis, long epochRounds, long phaseMillis) {
    public Epochs {
        if (roundMillis < 1 || phaseMillis < 1 || epochRounds < 2 * leadRounds(phaseMillis, roundMillis)) {
            throw new IllegalArgumentException("an epoch of " + epochRounds + " rounds is too short for a handover: at least "
                    + 2 * leadRounds(phaseMillis, roundMillis) + " with these phases and rounds");
        }
    }

    /**
     * Rounds between the seed round and the next epoch: time to draw the next committee
     * (lookups) and run the three phases of the resharing, 8 phases in all.
     */
    public static long leadRounds(long phaseMillis, long roundMillis) {
        return (8 * phaseMillis + roundMillis - 1) / roundMillis + 1;
    }

    public long leadRounds() {
        return leadRounds(phaseMillis, roundMillis);
    }

    public long roundAt(long unixMillis) {
        return unixMillis / roundMillis;
    }

    public long epochOf(long round) {
        return round / epochRounds;
    }

    /** The round whose output draws the committee of {@code epoch}: {@code epoch * epochRounds - leadRounds}. */
    public long seedRound(long epoch) {
        return epoch * epochRounds - leadRounds();
    }

    /**
     * When every party to a handover starts its resharing: two phases after the seed round ends
     * (time to draw the committee), the same for all, so their phases line up without a message.
     */
    public long handoverStartMillis(long seedRound) {
        return (seedRound + 1) * roundMillis + 2 * phaseMillis;
    }

    /** SHA-256("barn-recovery-v1" || epoch): known to all in advance, like the genesis seed. */
    public static byte[] recoverySeed(long epoch) {
        return Sha256.hash("barn-recovery-v1".getBytes(StandardCharsets.US_ASCII), ByteBuffer.allocate(8).putLong(epoch).array());
    }

    /**
     * Null if node {@code self}, in epoch {@code currentEpoch} and knowing the group key
     * {@code known} (or null), may act on this handover notice from {@code from}; else why not.
     * Acting also needs the same notice from the old threshold of old members (PROTOCOL 17.9).
     */
    public String refuseHandover(BeaconCodec.Handover h, long currentEpoch, NodeId from, NodeId self, BlsPublicKey known) {
        if (h.epoch() <= currentEpoch) {
            return "a handover to epoch " + h.epoch() + ", which has begun";
        }
        if (h.epoch() > currentEpoch + 1) {
            return "a handover to epoch " + h.epoch() + ", more than one ahead of " + currentEpoch;
        }
        if (h.seedRound() != seedRound(h.epoch())) {
            return "seed round " + h.seedRound() + ", the rule gives " + seedRound(h.epoch());
        }
        if (!h.oldCommittee().contains(from)) {
            return "a handover from " + from.shortForm() + ", not an old member";
        }
        if (!h.newCommittee().contains(self)) {
            return "a handover to a committee without this node";
        }
        GroupKey g = new GroupKey(h.commitment());
        if (known != null && !known.equals(g.publicKey())) {
            return "a handover of group key " + g.publicKey().toHex().substring(0, 16) + ", not the known one";
        }
        if (!BeaconRound.verify(g.publicKey(), epochOf(h.seedRound()), h.seedRound(), h.seedSignature().toBytes()).isValid()) {
            return "a seed signature that does not verify under the group key";
        }
        return null;
    }
}
