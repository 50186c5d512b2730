package net.barn.core.maze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever bytes a peer sends, the codec answers with a message or a ProtocolException, and the maze survives it. */
class MazeCodecProperties {
    private static final String MAZE = MazeCodecTest.MAZE;

    @Property(tries = 2000)
    void randomBytesNeverEscapeAsAnythingButProtocolException(@ForAll @Size(max = 600) byte[] garbage) {
        try {
            MazeMessage m = MazeCodec.decode(garbage, MAZE);
            assertThat(m.maze()).isEqualTo(MAZE);
        } catch (ProtocolException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 2000)
    void mutatedValidMessagesNeverEscapeAsAnythingButProtocolException(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int flips) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] wire = MazeCodec.encode(sample(r));
        for (int i = 0; i < flips; i++) {
            int at = r.nextInt(wire.length);
            wire[at] = (byte) r.nextInt(256);
        }
        if (r.nextBoolean()) {
            wire = java.util.Arrays.copyOf(wire, r.nextInt(wire.length + 1));
        }
        try {
            MazeMessage m = MazeCodec.decode(wire, MAZE);
            // whatever decodes re-encodes to something that decodes the same
            assertThat(MazeCodec.decode(MazeCodec.encode(m), MAZE).maze()).isEqualTo(MAZE);
        } catch (ProtocolException expected) {
            // fine: refused
        }
    }

    /** A member fed any sequence of well-formed messages from a handful of peers never throws and stays bounded. */
    @Property(tries = 200)
    void theMazeSurvivesAnySequenceOfValidMessages(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MazeConfig config = MazeConfig.DEFAULT.withMaxMembers(5).withRetransmitBuffer(8, 16_384);
        NodeId self = MazeCodecTest.id(100);
        Maze maze = new Maze(config, MAZE, self);
        maze.join(0, r.nextBoolean() ? List.of() : List.of(MazeCodecTest.id(1)));
        long now = 0;
        for (int i = 0; i < 300; i++) {
            now += r.nextLong(1_000_000_000L);
            NodeId from = r.nextInt(10) == 0 ? self : MazeCodecTest.id(1 + r.nextInt(8));
            switch (r.nextInt(12)) {
                case 0 -> maze.handleTimeout(now);
                case 1 -> maze.handleLinkDown(now, from);
                case 2 -> {
                    if (maze.isMember()) {
                        maze.send(now, new byte[r.nextInt(100)]);
                    }
                }
                default -> maze.handleMessage(now, from, sample(r));
            }
            while (maze.pollTransmit() != null) {
                // drain
            }
            while (maze.pollEvent() != null) {
                // drain
            }
            assertThat(maze.members()).hasSizeLessThanOrEqualTo(5);
            assertThat(maze.largestRetransmitBuffer()[0]).isLessThanOrEqualTo(8);
            assertThat(maze.largestOutOfOrderBuffer()[0]).isLessThanOrEqualTo(config.outOfOrderMessages());
            assertThat(maze.pollTimeout()).isGreaterThanOrEqualTo(0);
        }
    }

    private static MazeMessage sample(SplittableRandom r) {
        NodeId a = MazeCodecTest.id(1 + r.nextInt(8));
        List<NodeId> ids = new ArrayList<>();
        List<MazeMessage.Mark> marks = new ArrayList<>();
        for (int i = 1 + r.nextInt(8); i > 0; i--) {
            NodeId x = MazeCodecTest.id(1 + r.nextInt(8));
            if (!ids.contains(x)) {
                ids.add(x);
                marks.add(new MazeMessage.Mark(x, r.nextInt(40)));
            }
        }
        long first = 1 + r.nextInt(30);
        return switch (r.nextInt(8)) {
            case 0 -> new MazeMessage.Join(MAZE, ids, marks);
            case 1 -> r.nextBoolean() ? new MazeMessage.JoinReply(MAZE, true, MazeMessage.Refusal.NONE, 5, ids, marks)
                    : new MazeMessage.JoinReply(MAZE, false, MazeMessage.Refusal.FULL, 5, List.of(), List.of());
            case 2 -> new MazeMessage.Leave(MAZE);
            case 3 -> {
                List<Integer> unheard = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    if (r.nextInt(4) == 0) {
                        unheard.add(i);
                    }
                }
                MazeMessage.Heartbeat h = MazeCodecTest.heartbeat(ids, unheard);
                // now and then without its view, as most heartbeats go
                yield r.nextBoolean() ? h : new MazeMessage.Heartbeat(MAZE, h.viewDigest(), List.of(), h.delivered(), h.unheard());
            }
            case 4 -> new MazeMessage.ViewUpdate(MAZE, marks);
            case 5 -> new MazeMessage.Nack(MAZE, a, List.of(new MazeMessage.SeqRange(first, first + r.nextInt(20))));
            default -> new MazeMessage.Data(MAZE, r.nextBoolean() ? a : MazeCodecTest.id(1 + r.nextInt(8)), 1 + r.nextInt(40),
                    new byte[r.nextInt(200)], r.nextBoolean());
        };
    }
}
