package net.barn.core.overlay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.wire.overlay.Announcement;
import net.barn.wire.overlay.Disconnect;
import net.barn.wire.overlay.ForwardJoin;
import net.barn.wire.overlay.Gossip;
import net.barn.wire.overlay.Graft;
import net.barn.wire.overlay.Heartbeat;
import net.barn.wire.overlay.IHave;
import net.barn.wire.overlay.Join;
import net.barn.wire.overlay.Neighbor;
import net.barn.wire.overlay.NeighborReply;
import net.barn.wire.overlay.Prune;
import net.barn.wire.overlay.Shuffle;
import net.barn.wire.overlay.ShuffleReply;

/**
 * Overlay messages to and from their protobuf encoding (barn/overlay.proto). Decoding checks
 * everything a peer controls (sizes, lengths, ranges, the namespace) and reports any breach
 * as a {@link ProtocolException}, so the state machine only ever sees well-formed records.
 */
public final class OverlayCodec {
    public static final int MAX_MESSAGE = 16_384;
    public static final int MAX_PAYLOAD = 8192;
    public static final int MAX_TTL = 16;
    public static final int MAX_SAMPLE = 32;
    public static final int MAX_IDS = 256;
    public static final int MAX_HOPS = 1024;
    public static final int MAX_NAMESPACE = 64;

    private OverlayCodec() {}

    /** Whether {@code name} is a valid namespace name: a top-level name in normal form (docs/PROTOCOL.md section 11.1). */
    public static boolean validNamespace(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_NAMESPACE
                && net.barn.core.namespace.NameSyntax.isNormalTopLevel(name);
    }

    public static byte[] encode(OverlayMessage m) {
        net.barn.wire.overlay.OverlayMessage.Builder b = net.barn.wire.overlay.OverlayMessage.newBuilder()
                .setNamespace(m.namespace());
        switch (m) {
            case OverlayMessage.Join j -> b.setJoin(Join.getDefaultInstance());
            case OverlayMessage.ForwardJoin f -> b.setForwardJoin(ForwardJoin.newBuilder()
                    .setNewMember(bytes(f.newMember())).setTtl(f.ttl()));
            case OverlayMessage.Neighbor n -> b.setNeighbor(Neighbor.newBuilder().setPriority(
                    n.priority() == OverlayMessage.Priority.HIGH ? Neighbor.Priority.PRIORITY_HIGH : Neighbor.Priority.PRIORITY_LOW));
            case OverlayMessage.NeighborReply r -> b.setNeighborReply(NeighborReply.newBuilder().setAccepted(r.accepted()));
            case OverlayMessage.Disconnect d -> b.setDisconnect(Disconnect.newBuilder().setLeaving(d.leaving()));
            case OverlayMessage.Shuffle s -> b.setShuffle(Shuffle.newBuilder().setOrigin(bytes(s.origin())).setTtl(s.ttl())
                    .addAllSample(s.sample().stream().map(OverlayCodec::bytes).toList()));
            case OverlayMessage.ShuffleReply r -> b.setShuffleReply(ShuffleReply.newBuilder()
                    .addAllSample(r.sample().stream().map(OverlayCodec::bytes).toList()));
            case OverlayMessage.Gossip g -> b.setGossip(Gossip.newBuilder().setMessageId(ByteString.copyFrom(g.id().toBytes()))
                    .setOrigin(bytes(g.origin())).setHops(g.hops()).setPayload(ByteString.copyFrom(g.payload())).setKind(g.kind())
                    .setOriginKey(ByteString.copyFrom(g.originKey())).setSignature(ByteString.copyFrom(g.signature())));
            case OverlayMessage.IHave h -> b.setIhave(IHave.newBuilder().addAllAnnouncements(h.announcements().stream()
                    .map(a -> Announcement.newBuilder().setMessageId(ByteString.copyFrom(a.id().toBytes())).setHops(a.hops()).build())
                    .toList()));
            case OverlayMessage.Graft g -> b.setGraft(Graft.newBuilder()
                    .addAllMessageIds(g.ids().stream().map(id -> ByteString.copyFrom(id.toBytes())).toList()));
            case OverlayMessage.Prune p -> b.setPrune(Prune.getDefaultInstance());
            case OverlayMessage.Heartbeat h -> b.setHeartbeat(Heartbeat.getDefaultInstance());
        }
        return b.build().toByteArray();
    }

    /** Decodes with the protocol's payload limit. */
    public static OverlayMessage decode(byte[] bytes, String expectedNamespace) throws ProtocolException {
        return decode(bytes, expectedNamespace, MAX_PAYLOAD);
    }

    /**
     * Decodes a message expected to belong to {@code expectedNamespace}, accepting payloads of
     * at most {@code maxPayloadBytes}.
     */
    public static OverlayMessage decode(byte[] bytes, String expectedNamespace, int maxPayloadBytes) throws ProtocolException {
        if (bytes == null) {
            throw bad("no message");
        }
        if (bytes.length > MAX_MESSAGE) {
            throw bad("overlay message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        net.barn.wire.overlay.OverlayMessage m;
        try {
            m = net.barn.wire.overlay.OverlayMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not an OverlayMessage");
        }
        String ns = m.getNamespace();
        if (!validNamespace(ns)) {
            throw bad("bad namespace name");
        }
        if (!ns.equals(expectedNamespace)) {
            throw bad("message for namespace '" + ns + "' on a link of namespace '" + expectedNamespace + "'");
        }
        return switch (m.getKindCase()) {
            case JOIN -> new OverlayMessage.Join(ns);
            case FORWARD_JOIN -> new OverlayMessage.ForwardJoin(ns, nodeId(m.getForwardJoin().getNewMember(), "new member"),
                    ttl(m.getForwardJoin().getTtl()));
            case NEIGHBOR -> new OverlayMessage.Neighbor(ns, switch (m.getNeighbor().getPriorityValue()) {
                case Neighbor.Priority.PRIORITY_LOW_VALUE -> OverlayMessage.Priority.LOW;
                case Neighbor.Priority.PRIORITY_HIGH_VALUE -> OverlayMessage.Priority.HIGH;
                default -> throw bad("unknown neighbour priority " + m.getNeighbor().getPriorityValue());
            });
            case NEIGHBOR_REPLY -> new OverlayMessage.NeighborReply(ns, m.getNeighborReply().getAccepted());
            case DISCONNECT -> new OverlayMessage.Disconnect(ns, m.getDisconnect().getLeaving());
            case SHUFFLE -> {
                Shuffle s = m.getShuffle();
                if (s.getSampleCount() == 0) {
                    throw bad("empty shuffle sample");
                }
                yield new OverlayMessage.Shuffle(ns, nodeId(s.getOrigin(), "shuffle origin"), ttl(s.getTtl()),
                        sample(s.getSampleList()));
            }
            case SHUFFLE_REPLY -> new OverlayMessage.ShuffleReply(ns, sample(m.getShuffleReply().getSampleList()));
            case GOSSIP -> {
                Gossip g = m.getGossip();
                if (g.getPayload().size() > Math.min(maxPayloadBytes, MAX_PAYLOAD)) {
                    throw bad("gossip payload of " + g.getPayload().size() + " bytes, limit "
                            + Math.min(maxPayloadBytes, MAX_PAYLOAD));
                }
                if (g.getKind() != OverlayMessage.Gossip.APPLICATION && g.getKind() != OverlayMessage.Gossip.STEWARD_VOTE) {
                    throw bad("unknown gossip kind " + Integer.toUnsignedString(g.getKind()));
                }
                boolean signed = !g.getOriginKey().isEmpty() || !g.getSignature().isEmpty();
                if (signed && (g.getOriginKey().size() != 32 || g.getSignature().size() != 64)) {
                    throw bad("a gossip signature needs a 32-byte key and a 64-byte signature, got " + g.getOriginKey().size() + " and "
                            + g.getSignature().size());
                }
                yield new OverlayMessage.Gossip(ns, messageId(g.getMessageId()), nodeId(g.getOrigin(), "gossip origin"),
                        hops(g.getHops()), g.getPayload().toByteArray(), g.getKind(), g.getOriginKey().toByteArray(),
                        g.getSignature().toByteArray());
            }
            case IHAVE -> {
                List<Announcement> list = m.getIhave().getAnnouncementsList();
                if (list.isEmpty()) {
                    throw bad("IHave without announcements");
                }
                if (list.size() > MAX_IDS) {
                    throw bad(list.size() + " announcements, limit " + MAX_IDS);
                }
                List<OverlayMessage.Announcement> out = new ArrayList<>(list.size());
                for (Announcement a : list) {
                    out.add(new OverlayMessage.Announcement(messageId(a.getMessageId()), hops(a.getHops())));
                }
                yield new OverlayMessage.IHave(ns, out);
            }
            case GRAFT -> new OverlayMessage.Graft(ns, ids(m.getGraft().getMessageIdsList()));
            case PRUNE -> new OverlayMessage.Prune(ns);
            case HEARTBEAT -> new OverlayMessage.Heartbeat(ns);
            case KIND_NOT_SET -> throw bad("empty or unknown overlay message");
        };
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, why);
    }

    private static ByteString bytes(NodeId id) {
        return ByteString.copyFrom(id.toBytes());
    }

    private static NodeId nodeId(ByteString b, String what) throws ProtocolException {
        if (b.size() != NodeId.LENGTH) {
            throw bad(what + " must be a 32-byte node id, got " + b.size() + " bytes");
        }
        return NodeId.of(b.toByteArray());
    }

    private static MessageId messageId(ByteString b) throws ProtocolException {
        if (b.size() != MessageId.LENGTH) {
            throw bad("message ids are 32 bytes, got " + b.size());
        }
        return MessageId.of(b.toByteArray());
    }

    private static int hops(int hops) throws ProtocolException {
        if (Integer.compareUnsigned(hops, MAX_HOPS) > 0 || hops == 0) {
            throw bad("hops " + Integer.toUnsignedString(hops) + " outside 1.." + MAX_HOPS);
        }
        return hops;
    }

    private static int ttl(int ttl) throws ProtocolException {
        // uint32 arrives as a Java int: compare unsigned so that 2^31 and above are refused too
        if (Integer.compareUnsigned(ttl, MAX_TTL) > 0) {
            throw bad("ttl " + Integer.toUnsignedString(ttl) + " above " + MAX_TTL);
        }
        return ttl;
    }

    private static List<NodeId> sample(List<ByteString> list) throws ProtocolException {
        if (list.size() > MAX_SAMPLE) {
            throw bad("sample of " + list.size() + " node ids, limit " + MAX_SAMPLE);
        }
        List<NodeId> out = new ArrayList<>(list.size());
        for (ByteString b : list) {
            out.add(nodeId(b, "sample entry"));
        }
        return out;
    }

    private static List<MessageId> ids(List<ByteString> list) throws ProtocolException {
        if (list.size() > MAX_IDS) {
            throw bad(list.size() + " message ids, limit " + MAX_IDS);
        }
        List<MessageId> out = new ArrayList<>(list.size());
        for (ByteString b : list) {
            out.add(messageId(b));
        }
        return out;
    }
}
