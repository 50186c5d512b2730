package net.barn.core.trust.beacon;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.identity.NodeId;
import net.barn.wire.beacon.BeaconEnvelope;

/**
 * The wire form of beacon committee messages (barn/beacon.proto): DKG messages and round
 * partials. Decoding checks sizes and ranges and answers {@link Checked}, never an unchecked
 * exception; whether a point is on the curve or a share fits its commitments is checked by
 * {@link Dkg} and {@link Beacon}, which refuse with their own reasons.
 */
public final class BeaconCodec {
    /** An envelope is at most this long: a handover between two committees of 128 fits. */
    public static final int MAX_MESSAGE = 16384;
    /** Committees are at most this large (and thresholds at most this). */
    public static final int MAX_MEMBERS = 128;

    /** A decoded message: one of the DKG's or the rounds'. */
    public sealed interface Message {}

    public record Dkg(DkgMessage message) implements Message {}

    public record Round(BeaconMessage message) implements Message {}

    /** "What is the newest output you know?", or, with a round above 0, "do you hold that round's?" */
    public record LatestQuery(long round) implements Message {}

    /**
     * A member's newest output: round 0 and a null signature when it has none yet.
     * {@code committee} is the committee it serves in, or the one it handed the key to.
     */
    public record Latest(long epoch, long round, BlsSignature signature, BlsPublicKey groupKey, int members, int threshold,
            List<NodeId> committee) implements Message {
        public Latest {
            committee = List.copyOf(committee);
        }
    }

    /**
     * What a member of the next committee needs to join the resharing that hands it the key
     * (docs/PROTOCOL.md section 17.9): the epoch it serves from, the round whose output drew it
     * and that round's group signature, the group's commitment, and both committees in index order.
     */
    public record Handover(long epoch, long seedRound, BlsSignature seedSignature, FeldmanCommitment commitment,
            List<NodeId> oldCommittee, List<NodeId> newCommittee) implements Message {
        public Handover {
            oldCommittee = List.copyOf(oldCommittee);
            newCommittee = List.copyOf(newCommittee);
        }
    }

    /** "Sign my presence ticket for {@code epoch}" (the asker is the link's peer). */
    public record TicketRequest(long epoch) implements Message {}

    /**
     * A member's partial signature of the asker's presence ticket and the group's commitment,
     * or, with {@code signature} and {@code commitment} null, why it refused.
     */
    public record TicketShare(long epoch, int index, BlsSignature signature, FeldmanCommitment commitment, String refused)
            implements Message {
        public static TicketShare refusal(long epoch, String why) {
            return new TicketShare(epoch, 0, null, null, why);
        }
    }

    /** Refusal reasons are cut to this many characters. */
    public static final int MAX_REASON = 200;

    public static byte[] encode(TicketRequest r) {
        return BeaconEnvelope.newBuilder().setTicketRequest(net.barn.wire.beacon.TicketRequest.newBuilder().setEpoch(r.epoch()))
                .build().toByteArray();
    }

    public static byte[] encode(TicketShare t) {
        net.barn.wire.beacon.TicketShare.Builder b = net.barn.wire.beacon.TicketShare.newBuilder().setEpoch(t.epoch());
        if (t.signature() != null) {
            b.setIndex(t.index()).setSignature(ByteString.copyFrom(t.signature().toBytes()));
            t.commitment().encoded().forEach(p -> b.addCommitment(ByteString.copyFrom(p)));
        } else {
            String why = t.refused() == null ? "refused" : t.refused();
            b.setRefused(why.length() > MAX_REASON ? why.substring(0, MAX_REASON) : why);
        }
        return BeaconEnvelope.newBuilder().setTicketShare(b).build().toByteArray();
    }

    public static byte[] encodeQuery() {
        return encodeQuery(0);
    }

    public static byte[] encodeQuery(long round) {
        return BeaconEnvelope.newBuilder().setLatestQuery(net.barn.wire.beacon.LatestQuery.newBuilder().setRound(round)).build()
                .toByteArray();
    }

    public static byte[] encode(Latest l) {
        net.barn.wire.beacon.Latest.Builder b = net.barn.wire.beacon.Latest.newBuilder().setEpoch(l.epoch()).setRound(l.round())
                .setGroupKey(ByteString.copyFrom(l.groupKey().toBytes())).setMembers(l.members()).setThreshold(l.threshold());
        l.committee().forEach(id -> b.addCommittee(ByteString.copyFrom(id.toBytes())));
        if (l.signature() != null) {
            b.setSignature(ByteString.copyFrom(l.signature().toBytes()));
        }
        return BeaconEnvelope.newBuilder().setLatest(b).build().toByteArray();
    }

    public static byte[] encode(Handover h) {
        net.barn.wire.beacon.Handover.Builder b = net.barn.wire.beacon.Handover.newBuilder().setEpoch(h.epoch())
                .setSeedRound(h.seedRound()).setSeedSignature(ByteString.copyFrom(h.seedSignature().toBytes()));
        h.commitment().encoded().forEach(p -> b.addCommitment(ByteString.copyFrom(p)));
        h.oldCommittee().forEach(id -> b.addOldCommittee(ByteString.copyFrom(id.toBytes())));
        h.newCommittee().forEach(id -> b.addNewCommittee(ByteString.copyFrom(id.toBytes())));
        return BeaconEnvelope.newBuilder().setHandover(b).build().toByteArray();
    }

    private BeaconCodec() {}

    public static byte[] encode(DkgMessage m) {
        BeaconEnvelope.Builder b = BeaconEnvelope.newBuilder();
        switch (m) {
            case DkgMessage.Commitments c -> {
                net.barn.wire.beacon.Commitments.Builder cb = net.barn.wire.beacon.Commitments.newBuilder()
                        .setSession(c.session()).setDealer(c.dealer());
                c.points().forEach(p -> cb.addPoints(ByteString.copyFrom(p)));
                b.setCommitments(cb);
            }
            case DkgMessage.Deal d -> b.setDeal(net.barn.wire.beacon.Deal.newBuilder().setSession(d.session()).setDealer(d.dealer())
                    .setTo(d.to()).setShare(ByteString.copyFrom(d.share())));
            case DkgMessage.Complaint c -> b.setComplaint(net.barn.wire.beacon.Complaint.newBuilder().setSession(c.session())
                    .setAccuser(c.accuser()).setDealer(c.dealer()));
            case DkgMessage.Justification j -> b.setJustification(net.barn.wire.beacon.Justification.newBuilder()
                    .setSession(j.session()).setDealer(j.dealer()).setAccuser(j.accuser()).setShare(ByteString.copyFrom(j.share())));
        }
        return b.build().toByteArray();
    }

    public static byte[] encode(BeaconMessage m) {
        return switch (m) {
            case BeaconMessage.Partial p -> BeaconEnvelope.newBuilder().setPartial(net.barn.wire.beacon.Partial.newBuilder()
                    .setEpoch(p.epoch()).setRound(p.round()).setIndex(p.index()).setSignature(ByteString.copyFrom(p.signature())))
                    .build().toByteArray();
        };
    }

    public static Checked<Message> decode(byte[] bytes) {
        if (bytes.length > MAX_MESSAGE) {
            return Checked.invalid("beacon message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        BeaconEnvelope e;
        try {
            e = BeaconEnvelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException ex) {
            return Checked.invalid("not a BeaconEnvelope");
        }
        return switch (e.getKindCase()) {
            case COMMITMENTS -> {
                net.barn.wire.beacon.Commitments c = e.getCommitments();
                if (c.getPointsCount() < 1 || c.getPointsCount() > MAX_MEMBERS) {
                    yield Checked.invalid("commitments of 1.." + MAX_MEMBERS + " points, got " + c.getPointsCount());
                }
                List<byte[]> points = new ArrayList<>();
                for (ByteString p : c.getPointsList()) {
                    if (p.size() != BlsPublicKey.LENGTH) {
                        yield Checked.invalid("a commitment point of " + p.size() + " bytes, not " + BlsPublicKey.LENGTH);
                    }
                    points.add(p.toByteArray());
                }
                String bad = index("dealer", c.getDealer());
                yield bad != null ? Checked.invalid(bad)
                        : Checked.valid(new Dkg(new DkgMessage.Commitments(c.getSession(), c.getDealer(), points)));
            }
            case DEAL -> {
                net.barn.wire.beacon.Deal d = e.getDeal();
                String bad = firstNonNull(index("dealer", d.getDealer()), index("receiver", d.getTo()), share(d.getShare()));
                yield bad != null ? Checked.invalid(bad)
                        : Checked.valid(new Dkg(new DkgMessage.Deal(d.getSession(), d.getDealer(), d.getTo(), d.getShare().toByteArray())));
            }
            case COMPLAINT -> {
                net.barn.wire.beacon.Complaint c = e.getComplaint();
                String bad = firstNonNull(index("accuser", c.getAccuser()), index("dealer", c.getDealer()));
                yield bad != null ? Checked.invalid(bad)
                        : Checked.valid(new Dkg(new DkgMessage.Complaint(c.getSession(), c.getAccuser(), c.getDealer())));
            }
            case JUSTIFICATION -> {
                net.barn.wire.beacon.Justification j = e.getJustification();
                String bad = firstNonNull(index("dealer", j.getDealer()), index("accuser", j.getAccuser()), share(j.getShare()));
                yield bad != null ? Checked.invalid(bad)
                        : Checked.valid(new Dkg(new DkgMessage.Justification(j.getSession(), j.getDealer(), j.getAccuser(),
                                j.getShare().toByteArray())));
            }
            case PARTIAL -> {
                net.barn.wire.beacon.Partial p = e.getPartial();
                String bad = index("member", p.getIndex());
                if (bad == null && p.getSignature().size() != BlsSignature.LENGTH) {
                    bad = "a partial signature of " + p.getSignature().size() + " bytes, not " + BlsSignature.LENGTH;
                }
                if (bad == null && p.getRound() < 1) {
                    bad = "round 0 is never signed";
                }
                yield bad != null ? Checked.invalid(bad)
                        : Checked.valid(new Round(new BeaconMessage.Partial(p.getEpoch(), p.getRound(), p.getIndex(),
                                p.getSignature().toByteArray())));
            }
            case LATEST_QUERY -> Checked.valid(new LatestQuery(e.getLatestQuery().getRound()));
            case LATEST -> {
                net.barn.wire.beacon.Latest l = e.getLatest();
                Checked<BlsPublicKey> group = BlsPublicKey.decode(l.getGroupKey().toByteArray());
                if (!group.isValid()) {
                    yield Checked.invalid("group key: " + group.reason());
                }
                if (l.getMembers() < 1 || l.getMembers() > MAX_MEMBERS || l.getThreshold() < 1 || l.getThreshold() > l.getMembers()) {
                    yield Checked.invalid("a committee of " + Integer.toUnsignedString(l.getMembers()) + " with threshold "
                            + Integer.toUnsignedString(l.getThreshold()));
                }
                BlsSignature sig = null;
                if (l.getRound() > 0) {
                    Checked<BlsSignature> s = BlsSignature.decode(l.getSignature().toByteArray());
                    if (!s.isValid()) {
                        yield Checked.invalid("signature: " + s.reason());
                    }
                    sig = s.orElseThrow();
                } else if (!l.getSignature().isEmpty()) {
                    yield Checked.invalid("a signature without a round");
                }
                Checked<List<NodeId>> committee = committee("committee", l.getCommitteeList());
                if (!committee.isValid()) {
                    yield Checked.invalid(committee.reason());
                }
                yield Checked.valid(new Latest(l.getEpoch(), l.getRound(), sig, group.orElseThrow(), l.getMembers(), l.getThreshold(),
                        committee.orElseThrow()));
            }
            case HANDOVER -> decodeHandover(e.getHandover());
            case TICKET_REQUEST -> Checked.valid(new TicketRequest(e.getTicketRequest().getEpoch()));
            case TICKET_SHARE -> decodeTicketShare(e.getTicketShare());
            case KIND_NOT_SET -> Checked.invalid("an empty BeaconEnvelope");
        };
    }

    private static Checked<Message> decodeHandover(net.barn.wire.beacon.Handover h) {
        if (h.getEpoch() < 1 || h.getSeedRound() < 1) {
            return Checked.invalid("a handover names epoch " + Long.toUnsignedString(h.getEpoch()) + " and seed round "
                    + Long.toUnsignedString(h.getSeedRound()) + "; both start at 1");
        }
        Checked<BlsSignature> seed = BlsSignature.decode(h.getSeedSignature().toByteArray());
        if (!seed.isValid()) {
            return Checked.invalid("seed signature: " + seed.reason());
        }
        Checked<FeldmanCommitment> commitment = commitment(h.getCommitmentList());
        if (!commitment.isValid()) {
            return Checked.invalid(commitment.reason());
        }
        Checked<List<NodeId>> old = committee("old committee", h.getOldCommitteeList());
        if (!old.isValid()) {
            return Checked.invalid(old.reason());
        }
        Checked<List<NodeId>> next = committee("new committee", h.getNewCommitteeList());
        if (!next.isValid()) {
            return Checked.invalid(next.reason());
        }
        if (old.orElseThrow().isEmpty() || next.orElseThrow().isEmpty()) {
            return Checked.invalid("a handover names both committees");
        }
        if (commitment.orElseThrow().threshold() > old.orElseThrow().size()) {
            return Checked.invalid("a threshold of " + commitment.orElseThrow().threshold() + " in an old committee of "
                    + old.orElseThrow().size());
        }
        return Checked.valid(new Handover(h.getEpoch(), h.getSeedRound(), seed.orElseThrow(), commitment.orElseThrow(),
                old.orElseThrow(), next.orElseThrow()));
    }

    private static Checked<Message> decodeTicketShare(net.barn.wire.beacon.TicketShare t) {
        if (t.getSignature().isEmpty()) {
            if (t.getRefused().isEmpty() || t.getCommitmentCount() > 0 || t.getIndex() != 0) {
                return Checked.invalid("a ticket share with neither a signature nor a reason for refusing");
            }
            String why = t.getRefused();
            return Checked.valid(TicketShare.refusal(t.getEpoch(), why.length() > MAX_REASON ? why.substring(0, MAX_REASON) : why));
        }
        if (!t.getRefused().isEmpty()) {
            return Checked.invalid("a ticket share both signed and refused");
        }
        String bad = index("member", t.getIndex());
        if (bad != null) {
            return Checked.invalid(bad);
        }
        Checked<BlsSignature> sig = BlsSignature.decode(t.getSignature().toByteArray());
        if (!sig.isValid()) {
            return Checked.invalid("ticket share: " + sig.reason());
        }
        Checked<FeldmanCommitment> commitment = commitment(t.getCommitmentList());
        if (!commitment.isValid()) {
            return Checked.invalid(commitment.reason());
        }
        return Checked.valid(new TicketShare(t.getEpoch(), t.getIndex(), sig.orElseThrow(), commitment.orElseThrow(), null));
    }

    /** A Feldman commitment of 1..{@link #MAX_MEMBERS} points, each a valid G1 point. */
    private static Checked<FeldmanCommitment> commitment(List<ByteString> encoded) {
        if (encoded.size() < 1 || encoded.size() > MAX_MEMBERS) {
            return Checked.invalid("a commitment of 1.." + MAX_MEMBERS + " points, got " + encoded.size());
        }
        List<byte[]> points = new ArrayList<>();
        for (ByteString p : encoded) {
            points.add(p.toByteArray());
        }
        Checked<FeldmanCommitment> commitment = FeldmanCommitment.decode(points);
        return commitment.isValid() ? commitment : Checked.invalid("commitment: " + commitment.reason());
    }

    /** At most {@link #MAX_MEMBERS} distinct 32-byte node ids. */
    private static Checked<List<NodeId>> committee(String what, List<ByteString> ids) {
        if (ids.size() > MAX_MEMBERS) {
            return Checked.invalid("a " + what + " of " + ids.size() + " members, limit " + MAX_MEMBERS);
        }
        List<NodeId> out = new ArrayList<>();
        java.util.Set<NodeId> seen = new java.util.HashSet<>();
        for (ByteString b : ids) {
            if (b.size() != NodeId.LENGTH) {
                return Checked.invalid("a " + what + " member id of " + b.size() + " bytes, not " + NodeId.LENGTH);
            }
            NodeId id = NodeId.of(b.toByteArray());
            if (!seen.add(id)) {
                return Checked.invalid("a " + what + " naming " + id.shortForm() + " twice");
            }
            out.add(id);
        }
        return Checked.valid(out);
    }

    private static String index(String what, int i) {
        return i >= 1 && i <= MAX_MEMBERS ? null : what + " index " + Integer.toUnsignedString(i) + " outside 1.." + MAX_MEMBERS;
    }

    private static String share(ByteString s) {
        return s.size() == 32 ? null : "a share of " + s.size() + " bytes, not 32";
    }

    private static String firstNonNull(String... s) {
        for (String x : s) {
            if (x != null) {
                return x;
            }
        }
        return null;
    }
}
