package net.barn.core.maze;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.namespace.NameSyntax;
import net.barn.wire.maze.Data;
import net.barn.wire.maze.Heartbeat;
import net.barn.wire.maze.Join;
import net.barn.wire.maze.JoinReply;
import net.barn.wire.maze.Leave;
import net.barn.wire.maze.Mark;
import net.barn.wire.maze.Nack;
import net.barn.wire.maze.SeqRange;
import net.barn.wire.maze.ViewUpdate;

/**
 * Maze messages to and from their protobuf encoding (barn/maze.proto). Decoding checks
 * everything a peer controls (sizes, counts, ranges, duplicates, the maze name) and reports
 * any breach as a {@link ProtocolException}, so the state machine only sees well-formed records.
 */
public final class MazeCodec {
    public static final int MAX_MESSAGE = 32_768;
    public static final int MAX_PAYLOAD = 16_384;
    /** Node ids (members, marks, unheard) one message lists at most; also the largest member limit. */
    public static final int MAX_MEMBERS = 256;
    public static final int MAX_RANGES = 16;
    /** Sequence numbers one Nack asks for at most, over all its ranges. */
    public static final int MAX_NACK_SEQS = 512;
    /** Sequence numbers stay below 2^62: far beyond any real sender, and safe from overflow. */
    public static final long MAX_SEQ = (1L << 62) - 1;
    public static final int MAX_NAME_BYTES = 255;

    private MazeCodec() {}

    /** Whether {@code name} is a valid maze name: a name in normal form (docs/PROTOCOL.md section 11.1), at most 255 bytes. */
    public static boolean validMaze(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return false;
        }
        try {
            return NameSyntax.normalise(name).equals(name);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static byte[] encode(MazeMessage m) {
        net.barn.wire.maze.MazeMessage.Builder b = net.barn.wire.maze.MazeMessage.newBuilder().setMaze(m.maze());
        switch (m) {
            case MazeMessage.Join j -> b.setJoin(Join.newBuilder().addAllMembers(ids(j.members())).addAllMarks(marks(j.marks()))
                    .setPrivate(j.isPrivate()));
            case MazeMessage.JoinReply r -> b.setJoinReply(JoinReply.newBuilder().setAccepted(r.accepted())
                    .setRefusal(switch (r.refusal()) {
                        case NONE -> JoinReply.Refusal.REFUSAL_NONE;
                        case FULL -> JoinReply.Refusal.REFUSAL_FULL;
                        case MODE -> JoinReply.Refusal.REFUSAL_MODE;
                    })
                    .setLimit(r.limit()).addAllMembers(ids(r.members())).addAllMarks(marks(r.marks())));
            case MazeMessage.Leave l -> b.setLeave(Leave.getDefaultInstance());
            case MazeMessage.Heartbeat h -> b.setHeartbeat(Heartbeat.newBuilder()
                    .setViewDigest(ByteString.copyFrom(java.nio.ByteBuffer.allocate(8).putLong(h.viewDigest()).array()))
                    .addAllView(ids(h.view())).addAllDelivered(h.delivered()).addAllUnheard(h.unheard()));
            case MazeMessage.ViewUpdate v -> b.setViewUpdate(ViewUpdate.newBuilder().addAllAdded(marks(v.added())));
            case MazeMessage.Data d -> b.setData(Data.newBuilder().setSender(bytes(d.sender())).setSeq(d.seq())
                    .setPayload(ByteString.copyFrom(d.payload())).setRelayed(d.relayed()));
            case MazeMessage.Nack n -> b.setNack(Nack.newBuilder().setSender(bytes(n.sender())).addAllRanges(n.ranges().stream()
                    .map(r -> SeqRange.newBuilder().setFirst(r.first()).setLast(r.last()).build()).toList()));
        }
        return b.build().toByteArray();
    }

    /** Decodes with the protocol's payload limit. */
    public static MazeMessage decode(byte[] bytes, String expectedMaze) throws ProtocolException {
        return decode(bytes, expectedMaze, MAX_PAYLOAD);
    }

    /** Decodes a message expected to belong to {@code expectedMaze}, accepting payloads of at most {@code maxPayloadBytes}. */
    public static MazeMessage decode(byte[] bytes, String expectedMaze, int maxPayloadBytes) throws ProtocolException {
        if (bytes == null) {
            throw bad("no message");
        }
        if (bytes.length > MAX_MESSAGE) {
            throw bad("maze message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        net.barn.wire.maze.MazeMessage m;
        try {
            m = net.barn.wire.maze.MazeMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a MazeMessage");
        }
        String maze = m.getMaze();
        if (!validMaze(maze)) {
            throw bad("bad maze name");
        }
        if (!maze.equals(expectedMaze)) {
            throw bad("message for maze '" + maze + "' on a link of maze '" + expectedMaze + "'");
        }
        return switch (m.getKindCase()) {
            case JOIN -> new MazeMessage.Join(maze, nodeIds(m.getJoin().getMembersList(), "member", 0),
                    marks(m.getJoin().getMarksList(), 0), m.getJoin().getPrivate());
            case JOIN_REPLY -> {
                JoinReply r = m.getJoinReply();
                MazeMessage.Refusal refusal = switch (r.getRefusalValue()) {
                    case JoinReply.Refusal.REFUSAL_NONE_VALUE -> MazeMessage.Refusal.NONE;
                    case JoinReply.Refusal.REFUSAL_FULL_VALUE -> MazeMessage.Refusal.FULL;
                    case JoinReply.Refusal.REFUSAL_MODE_VALUE -> MazeMessage.Refusal.MODE;
                    default -> throw bad("unknown refusal " + r.getRefusalValue());
                };
                if (r.getAccepted() != (refusal == MazeMessage.Refusal.NONE)) {
                    throw bad("a JoinReply is accepted exactly when its refusal is REFUSAL_NONE");
                }
                if (Integer.compareUnsigned(r.getLimit(), MAX_MEMBERS) > 0) {
                    throw bad("member limit " + Integer.toUnsignedString(r.getLimit()) + " above " + MAX_MEMBERS);
                }
                if (!r.getAccepted() && (r.getMembersCount() > 0 || r.getMarksCount() > 0)) {
                    throw bad("a refusal carries no view");
                }
                yield new MazeMessage.JoinReply(maze, r.getAccepted(), refusal, r.getLimit(),
                        nodeIds(r.getMembersList(), "member", 0), marks(r.getMarksList(), 0));
            }
            case LEAVE -> new MazeMessage.Leave(maze);
            case HEARTBEAT -> heartbeat(maze, m.getHeartbeat());
            case VIEW_UPDATE -> new MazeMessage.ViewUpdate(maze, marks(m.getViewUpdate().getAddedList(), 1));
            case DATA -> {
                Data d = m.getData();
                if (d.getPayload().size() > Math.min(maxPayloadBytes, MAX_PAYLOAD)) {
                    throw bad("payload of " + d.getPayload().size() + " bytes, limit " + Math.min(maxPayloadBytes, MAX_PAYLOAD));
                }
                long seq = d.getSeq();
                if (seq < 1 || seq > MAX_SEQ) {
                    throw bad("sequence number " + Long.toUnsignedString(seq) + " outside 1..2^62-1");
                }
                yield new MazeMessage.Data(maze, nodeId(d.getSender(), "sender"), seq, d.getPayload().toByteArray(), d.getRelayed());
            }
            case NACK -> {
                Nack n = m.getNack();
                List<SeqRange> list = n.getRangesList();
                if (list.isEmpty() || list.size() > MAX_RANGES) {
                    throw bad(list.size() + " ranges in a Nack, need 1.." + MAX_RANGES);
                }
                List<MazeMessage.SeqRange> out = new ArrayList<>(list.size());
                long total = 0;
                long previous = 0;
                for (SeqRange r : list) {
                    long first = r.getFirst();
                    long last = r.getLast();
                    if (first < 1 || last > MAX_SEQ || last < first || first <= previous) {
                        throw bad("Nack ranges must satisfy 1 <= first <= last < 2^62, ascending and disjoint");
                    }
                    total += last - first + 1;
                    if (total > MAX_NACK_SEQS) {
                        throw bad("a Nack asks for more than " + MAX_NACK_SEQS + " messages");
                    }
                    previous = last;
                    out.add(new MazeMessage.SeqRange(first, last));
                }
                yield new MazeMessage.Nack(maze, nodeId(n.getSender(), "sender"), out);
            }
            case KIND_NOT_SET -> throw bad("empty or unknown maze message");
        };
    }

    /**
     * The digest naming a view: the first 8 bytes of SHA-256("barn-maze-view-v1" || the node
     * ids sorted ascending), as a big-endian long. {@code sortedView} must be sorted.
     */
    public static long viewDigest(List<NodeId> sortedView) {
        java.security.MessageDigest d = net.barn.core.crypto.Sha256.newDigest();
        d.update(VIEW_CONTEXT);
        for (NodeId id : sortedView) {
            d.update(id.toBytes());
        }
        return java.nio.ByteBuffer.wrap(d.digest()).getLong();
    }

    private static final byte[] VIEW_CONTEXT = "barn-maze-view-v1".getBytes(StandardCharsets.US_ASCII);

    private static MazeMessage.Heartbeat heartbeat(String maze, Heartbeat h) throws ProtocolException {
        if (h.getViewDigest().size() != 8) {
            throw bad("a view digest is 8 bytes, got " + h.getViewDigest().size());
        }
        long digest = h.getViewDigest().asReadOnlyByteBuffer().getLong();
        int n = h.getDeliveredCount();
        if (n < 1 || n > MAX_MEMBERS) {
            throw bad(n + " marks in a heartbeat, need 1.." + MAX_MEMBERS);
        }
        List<NodeId> view = nodeIds(h.getViewList(), "view member", 0);
        if (!view.isEmpty()) {
            for (int i = 1; i < view.size(); i++) {
                if (view.get(i - 1).compareTo(view.get(i)) >= 0) {
                    throw bad("a heartbeat's view must be sorted ascending");
                }
            }
            if (view.size() != n) {
                throw bad("a heartbeat marks " + n + " members of a view of " + view.size());
            }
            if (viewDigest(view) != digest) {
                throw bad("a heartbeat's view does not match its digest");
            }
        }
        List<Long> delivered = new ArrayList<>(n);
        for (long d : h.getDeliveredList()) {
            if (d < 0 || d > MAX_SEQ) {
                throw bad("mark " + Long.toUnsignedString(d) + " above 2^62-1");
            }
            delivered.add(d);
        }
        List<Integer> unheard = new ArrayList<>(h.getUnheardCount());
        int previous = -1;
        for (int i : h.getUnheardList()) {
            if (i < 0 || i >= n || i <= previous) {
                throw bad("unheard indexes must be ascending and below the number of marks");
            }
            previous = i;
            unheard.add(i);
        }
        return new MazeMessage.Heartbeat(maze, digest, view, delivered, unheard);
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, why);
    }

    private static ByteString bytes(NodeId id) {
        return ByteString.copyFrom(id.toBytes());
    }

    private static List<ByteString> ids(List<NodeId> ids) {
        return ids.stream().map(MazeCodec::bytes).toList();
    }

    private static List<Mark> marks(List<MazeMessage.Mark> marks) {
        return marks.stream().map(k -> Mark.newBuilder().setMember(bytes(k.member())).setDelivered(k.delivered()).build()).toList();
    }

    private static NodeId nodeId(ByteString b, String what) throws ProtocolException {
        if (b.size() != NodeId.LENGTH) {
            throw bad(what + " must be a 32-byte node id, got " + b.size() + " bytes");
        }
        return NodeId.of(b.toByteArray());
    }

    private static List<NodeId> nodeIds(List<ByteString> list, String what, int min) throws ProtocolException {
        if (list.size() < min || list.size() > MAX_MEMBERS) {
            throw bad(list.size() + " node ids, need " + min + ".." + MAX_MEMBERS);
        }
        List<NodeId> out = new ArrayList<>(list.size());
        Set<NodeId> seen = new HashSet<>();
        for (ByteString b : list) {
            NodeId id = nodeId(b, what);
            if (!seen.add(id)) {
                throw bad(what + " listed twice");
            }
            out.add(id);
        }
        return out;
    }

    private static List<MazeMessage.Mark> marks(List<Mark> list, int min) throws ProtocolException {
        if (list.size() < min || list.size() > MAX_MEMBERS) {
            throw bad(list.size() + " marks, need " + min + ".." + MAX_MEMBERS);
        }
        List<MazeMessage.Mark> out = new ArrayList<>(list.size());
        Set<NodeId> seen = new HashSet<>();
        for (Mark k : list) {
            NodeId id = nodeId(k.getMember(), "marked member");
            if (!seen.add(id)) {
                throw bad("a member marked twice");
            }
            long d = k.getDelivered();
            if (d < 0 || d > MAX_SEQ) {
                throw bad("mark " + Long.toUnsignedString(d) + " above 2^62-1");
            }
            out.add(new MazeMessage.Mark(id, d));
        }
        return out;
    }
}
