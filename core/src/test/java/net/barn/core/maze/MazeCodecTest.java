package net.barn.core.maze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.wire.maze.Data;
import net.barn.wire.maze.Heartbeat;
import net.barn.wire.maze.Join;
import net.barn.wire.maze.JoinReply;
import net.barn.wire.maze.Mark;
import net.barn.wire.maze.Nack;
import net.barn.wire.maze.SeqRange;
import net.barn.wire.maze.ViewUpdate;
import org.junit.jupiter.api.Test;

class MazeCodecTest {
    static final String MAZE = "irc/#barn";
    private static final ByteString ID32 = ByteString.copyFrom(new byte[32]);
    private static final ByteString ID31 = ByteString.copyFrom(new byte[31]);

    static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[31] = (byte) (i >> 8);
        return NodeId.of(b);
    }

    private static ByteString idBytes(int i) {
        return ByteString.copyFrom(id(i).toBytes());
    }

    private static net.barn.wire.maze.MazeMessage.Builder msg() {
        return net.barn.wire.maze.MazeMessage.newBuilder().setMaze(MAZE);
    }

    private static Mark mark(ByteString id, long d) {
        return Mark.newBuilder().setMember(id).setDelivered(d).build();
    }

    private static SeqRange range(long first, long last) {
        return SeqRange.newBuilder().setFirst(first).setLast(last).build();
    }

    private static void rejects(net.barn.wire.maze.MazeMessage.Builder b, String reason) {
        assertThatThrownBy(() -> MazeCodec.decode(b.build().toByteArray(), MAZE))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
    }

    @Test
    void everyMessageSurvivesARoundTrip() throws ProtocolException {
        List<MazeMessage.Mark> marks = List.of(new MazeMessage.Mark(id(1), 0), new MazeMessage.Mark(id(2), MazeCodec.MAX_SEQ));
        List<MazeMessage> all = List.of(
                new MazeMessage.Join(MAZE, List.of(id(1), id(2)), marks),
                new MazeMessage.Join(MAZE, List.of(), List.of()),
                new MazeMessage.JoinReply(MAZE, true, MazeMessage.Refusal.NONE, 64, List.of(id(3)), marks),
                new MazeMessage.JoinReply(MAZE, false, MazeMessage.Refusal.FULL, 64, List.of(), List.of()),
                new MazeMessage.Leave(MAZE),
                heartbeat(List.of(id(2), id(1)), List.of(1)),
                new MazeMessage.Heartbeat(MAZE, 77, List.of(), List.of(5L, 0L, 9L), List.of()),
                new MazeMessage.ViewUpdate(MAZE, List.of(new MazeMessage.Mark(id(5), 7))),
                new MazeMessage.Nack(MAZE, id(4), List.of(new MazeMessage.SeqRange(1, 3), new MazeMessage.SeqRange(7, 7))));
        for (MazeMessage m : all) {
            assertThat(MazeCodec.decode(MazeCodec.encode(m), MAZE)).isEqualTo(m);
        }
        MazeMessage.Data d = new MazeMessage.Data(MAZE, id(9), 42, new byte[MazeCodec.MAX_PAYLOAD], true);
        MazeMessage.Data back = (MazeMessage.Data) MazeCodec.decode(MazeCodec.encode(d), MAZE);
        assertThat(back.sender()).isEqualTo(id(9));
        assertThat(back.seq()).isEqualTo(42);
        assertThat(back.payload()).isEqualTo(d.payload());
        assertThat(back.relayed()).isTrue();
    }

    /** A heartbeat carrying {@code members} as its view (sorted here), marks 1, 2, 3... */
    static MazeMessage.Heartbeat heartbeat(List<NodeId> members, List<Integer> unheard) {
        List<NodeId> view = new java.util.ArrayList<>(members);
        view.sort(null);
        List<Long> delivered = new java.util.ArrayList<>();
        for (int i = 0; i < view.size(); i++) {
            delivered.add(i + 1L);
        }
        return new MazeMessage.Heartbeat(MAZE, MazeCodec.viewDigest(view), view, delivered, unheard);
    }

    @Test
    void aFullHeartbeatOfTheLargestMazeFitsInOneMessage() throws ProtocolException {
        List<NodeId> ids = new java.util.ArrayList<>();
        List<Integer> all = new java.util.ArrayList<>();
        for (int i = 0; i < MazeCodec.MAX_MEMBERS; i++) {
            ids.add(id(i));
            all.add(i);
        }
        byte[] wire = MazeCodec.encode(heartbeat(ids, all));
        assertThat(wire.length).isLessThanOrEqualTo(MazeCodec.MAX_MESSAGE);
        assertThat(MazeCodec.decode(wire, MAZE)).isInstanceOf(MazeMessage.Heartbeat.class);
    }

    @Test
    void rejectsGarbageEmptyAndOversizedMessages() {
        assertThatThrownBy(() -> MazeCodec.decode(new byte[] {(byte) 0xff, 1, 2}, MAZE)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> MazeCodec.decode(null, MAZE)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> MazeCodec.decode(new byte[MazeCodec.MAX_MESSAGE + 1], MAZE))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("limit");
        rejects(msg(), "empty or unknown");
    }

    @Test
    void rejectsAnotherMazeOrABadName() {
        rejects(msg().setMaze("irc/#other").setLeave(net.barn.wire.maze.Leave.getDefaultInstance()), "on a link of maze");
        rejects(msg().setMaze("IRC/#barn").setLeave(net.barn.wire.maze.Leave.getDefaultInstance()), "bad maze name");
        rejects(msg().setMaze("").setLeave(net.barn.wire.maze.Leave.getDefaultInstance()), "bad maze name");
        rejects(msg().setMaze("a/b/c/d/e").setLeave(net.barn.wire.maze.Leave.getDefaultInstance()), "bad maze name");
    }

    @Test
    void rejectsBadData() {
        rejects(msg().setData(Data.newBuilder().setSender(ID31).setSeq(1)), "32-byte node id");
        rejects(msg().setData(Data.newBuilder().setSender(ID32).setSeq(0)), "sequence number");
        rejects(msg().setData(Data.newBuilder().setSender(ID32).setSeq(-1)), "sequence number");
        rejects(msg().setData(Data.newBuilder().setSender(ID32).setSeq(1L << 62)), "sequence number");
        rejects(msg().setData(Data.newBuilder().setSender(ID32).setSeq(1)
                .setPayload(ByteString.copyFrom(new byte[MazeCodec.MAX_PAYLOAD + 1]))), "payload");
        assertThatThrownBy(() -> MazeCodec.decode(msg().setData(Data.newBuilder().setSender(ID32).setSeq(1)
                .setPayload(ByteString.copyFrom(new byte[101]))).build().toByteArray(), MAZE, 100))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("limit 100");
    }

    @Test
    void rejectsBadNacks() {
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32)), "ranges");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID31).addRanges(range(1, 1))), "32-byte node id");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(0, 1))), "ascending");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(5, 4))), "ascending");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(5, 9)).addRanges(range(9, 12))), "disjoint");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(9, 12)).addRanges(range(1, 2))), "ascending");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(1, MazeCodec.MAX_NACK_SEQS + 1))), "more than");
        rejects(msg().setNack(Nack.newBuilder().setSender(ID32).addRanges(range(1, Long.MAX_VALUE))), "2^62");
        Nack.Builder many = Nack.newBuilder().setSender(ID32);
        for (int i = 0; i <= MazeCodec.MAX_RANGES; i++) {
            many.addRanges(range(2L * i + 1, 2L * i + 1));
        }
        rejects(msg().setNack(many), "ranges");
    }

    @Test
    void rejectsBadMembershipMessages() {
        rejects(msg().setJoin(Join.newBuilder().addMembers(ID31)), "32-byte node id");
        rejects(msg().setJoin(Join.newBuilder().addMembers(ID32).addMembers(ID32)), "listed twice");
        rejects(msg().setJoin(Join.newBuilder().addMarks(mark(ID32, 1)).addMarks(mark(ID32, 2))), "marked twice");
        rejects(msg().setJoin(Join.newBuilder().addMarks(mark(ID32, -5))), "mark");
        Join.Builder big = Join.newBuilder();
        for (int i = 0; i <= MazeCodec.MAX_MEMBERS; i++) {
            big.addMembers(idBytes(i));
        }
        rejects(msg().setJoin(big), "node ids");
        ByteString digest8 = ByteString.copyFrom(new byte[8]);
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8)), "marks in a heartbeat");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().addDelivered(1)), "view digest");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(-1)), "mark");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(1).addUnheard(1)), "unheard indexes");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(1).addDelivered(1)
                .addUnheard(1).addUnheard(0)), "unheard indexes");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(1).addView(ID31)), "32-byte node id");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(1).addView(idBytes(1))), "digest");
        rejects(msg().setHeartbeat(Heartbeat.newBuilder().setViewDigest(digest8).addDelivered(1).addDelivered(1)
                .addView(idBytes(2)).addView(idBytes(1))), "sorted");
        long d = MazeCodec.viewDigest(List.of(id(1)));
        rejects(msg().setHeartbeat(Heartbeat.newBuilder()
                .setViewDigest(ByteString.copyFrom(java.nio.ByteBuffer.allocate(8).putLong(d).array()))
                .addDelivered(1).addDelivered(2).addView(idBytes(1))), "marks 2 members of a view of 1");
        rejects(msg().setViewUpdate(ViewUpdate.newBuilder()), "marks");
        rejects(msg().setJoinReply(JoinReply.newBuilder().setAccepted(true).setRefusal(JoinReply.Refusal.REFUSAL_FULL)), "accepted exactly");
        rejects(msg().setJoinReply(JoinReply.newBuilder().setAccepted(false)), "accepted exactly");
        rejects(msg().setJoinReply(JoinReply.newBuilder().setRefusalValue(7)), "unknown refusal");
        rejects(msg().setJoinReply(JoinReply.newBuilder().setRefusal(JoinReply.Refusal.REFUSAL_FULL).addMembers(ID32)), "no view");
        rejects(msg().setJoinReply(JoinReply.newBuilder().setAccepted(true).setLimit(-1)), "member limit");
    }

    @Test
    void mazeNamesAreNamesInNormalForm() {
        assertThat(MazeCodec.validMaze("irc/#barn")).isTrue();
        assertThat(MazeCodec.validMaze("chess/game-42")).isTrue();
        assertThat(MazeCodec.validMaze("chess")).isTrue();
        assertThat(MazeCodec.validMaze("Chess/game")).isFalse();
        assertThat(MazeCodec.validMaze("chess//x")).isFalse();
        assertThat(MazeCodec.validMaze(null)).isFalse();
        assertThatThrownBy(() -> new Maze(MazeConfig.DEFAULT, "not a name", id(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
