package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.NodeId;

/**
 * The beacon group's signature that a node was present in an epoch (docs/PROTOCOL.md section
 * 17.5): t members of the committee serving epoch e each sign SHA-256({@value #DOMAIN} || id ||
 * e) with their share, and the node interpolates the group signature. Members sign only before
 * the seed round of e + 1 (less one round of clock skew), so a ticket of epoch e proves the id
 * existed before the output that draws the committee of e + 1 was known. Ids ground after a
 * seed is out, to land near the target it gives, hold no ticket old enough. Unlike witnesses
 * drawn from the id's own neighbourhood, which an adversary can grind ids next to as well, the
 * signers here are a committee that no minority chooses.
 *
 * @param epoch the epoch the node was present in
 * @param signature the group's BLS signature over {@link #message}
 */
public record PresenceTicket(long epoch, BlsSignature signature) {
    public static final String DOMAIN = "barn-presence-v1";
    /** Encoded: epoch (8, big-endian) || signature (96). */
    public static final int BYTES = 8 + BlsSignature.LENGTH;

    /** What the group signs for {@code id} in {@code epoch}. */
    public static byte[] message(NodeId id, long epoch) {
        return Sha256.hash(DOMAIN.getBytes(StandardCharsets.US_ASCII), id.toBytes(), ByteBuffer.allocate(8).putLong(epoch).array());
    }

    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).putLong(epoch).put(signature.toBytes()).array();
    }

    public static Checked<PresenceTicket> decode(byte[] bytes) {
        if (bytes.length != BYTES) {
            return Checked.invalid("a presence ticket of " + bytes.length + " bytes, not " + BYTES);
        }
        long epoch = ByteBuffer.wrap(bytes).getLong();
        if (epoch < 0) {
            return Checked.invalid("a presence ticket of epoch " + Long.toUnsignedString(epoch));
        }
        return switch (BlsSignature.decode(Arrays.copyOfRange(bytes, 8, BYTES))) {
            case Checked.Valid<BlsSignature> v -> Checked.valid(new PresenceTicket(epoch, v.value()));
            case Checked.Invalid<BlsSignature> i -> Checked.invalid("presence ticket: " + i.reason());
        };
    }

    /** Member {@code share}'s partial signature of {@code id}'s ticket for {@code epoch}. */
    public static PartialSignature signShare(SecretShare share, NodeId id, long epoch) {
        return ThresholdBls.signPartial(share, message(id, epoch));
    }

    /** The ticket from members' partials (each checked against its public share), or why not. */
    public static Checked<PresenceTicket> combine(GroupKey group, NodeId id, long epoch, java.util.Collection<PartialSignature> partials) {
        return switch (ThresholdBls.combine(group, message(id, epoch), partials)) {
            case Checked.Valid<BlsSignature> v -> Checked.valid(new PresenceTicket(epoch, v.value()));
            case Checked.Invalid<BlsSignature> i -> Checked.invalid(i.reason());
        };
    }

    /** One member's answer to a ticket request: its partial signature and the group commitment it reports. */
    public record Share(PartialSignature partial, FeldmanCommitment commitment) {}

    /** A ticket and the group key it verifies under. */
    public record Issued(PresenceTicket ticket, BlsPublicKey groupKey) {}

    /**
     * The ticket from members' answers (one per member asked), or why not. The shares are
     * checked under the commitment that most answers report, and only if at least its threshold
     * do: a member could send a commitment of its own under which its bad share looks valid, so
     * no single answer's commitment is trusted. Fewer than t members cannot make their
     * commitment win, as t is more than half the committee.
     */
    public static Checked<Issued> fromShares(NodeId id, long epoch, java.util.List<Share> answers) {
        java.util.Map<FeldmanCommitment, Integer> votes = new java.util.HashMap<>();
        answers.forEach(a -> votes.merge(a.commitment(), 1, Integer::sum));
        FeldmanCommitment c = votes.entrySet().stream().filter(e -> e.getValue() >= e.getKey().threshold())
                .max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse(null);
        if (c == null) {
            return Checked.invalid("no commitment reported by its threshold of the " + answers.size() + " members that signed");
        }
        GroupKey group = new GroupKey(c);
        java.util.List<PartialSignature> partials = answers.stream().filter(a -> a.commitment().equals(c)).map(Share::partial).toList();
        return switch (combine(group, id, epoch, partials)) {
            case Checked.Valid<PresenceTicket> v -> Checked.valid(new Issued(v.value(), group.publicKey()));
            case Checked.Invalid<PresenceTicket> i -> Checked.invalid(i.reason());
        };
    }

    /**
     * Null if this ticket lets {@code id} be drawn for {@code drawnEpoch}: signed by the group
     * whose key is {@code group}, for an epoch before the drawn one and at most {@code window}
     * epochs before it (an id must keep coming back, not be registered once and kept for
     * later). Else why not.
     */
    public String refuse(BlsPublicKey group, NodeId id, long drawnEpoch, long window) {
        if (epoch >= drawnEpoch) {
            return "a presence ticket of epoch " + epoch + ", not before epoch " + drawnEpoch;
        }
        if (drawnEpoch - epoch > window) {
            return "a presence ticket of epoch " + epoch + ", more than " + window + " epochs before " + drawnEpoch;
        }
        if (!Bls.verify(group, message(id, epoch), signature)) {
            return "a presence ticket that does not verify under the group key";
        }
        return null;
    }

    @Override
    public String toString() {
        return "PresenceTicket[epoch " + epoch + "]";
    }
}
