package net.barn.core.maze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Two members on a perfect link, passing messages by hand: what a restart and unreadable heartbeats do. */
class MazeRestartTest {
    private static final String MAZE = MazeCodecTest.MAZE;
    private static final long SECOND = 1_000_000_000L;

    /** Moves every queued message between the mazes (through the codec) until none is left, collecting their events. */
    private static void pump(long now, Map<NodeId, Maze> mazes, Map<NodeId, List<MazeEvent>> events) throws ProtocolException {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (Maze m : mazes.values()) {
                Maze.Transmit t;
                while ((t = m.pollTransmit()) != null) {
                    Maze to = mazes.get(t.to());
                    if (to != null) {
                        to.handleMessage(now, m.self(), MazeCodec.decode(MazeCodec.encode(t.message()), MAZE));
                        moved = true;
                    }
                }
                MazeEvent e;
                while ((e = m.pollEvent()) != null) {
                    events.computeIfAbsent(m.self(), x -> new ArrayList<>()).add(e);
                }
            }
        }
    }

    private static List<Long> delivered(List<MazeEvent> events, NodeId sender) {
        return events.stream().filter(e -> e instanceof MazeEvent.Delivered d && d.sender().equals(sender))
                .map(e -> ((MazeEvent.Delivered) e).seq()).toList();
    }

    @Test
    void aMemberThatRestartsIsRecognisedByItsJoinAndCountsFromOneAgain() throws ProtocolException {
        NodeId a = MazeCodecTest.id(1);
        NodeId b = MazeCodecTest.id(2);
        Maze ma = new Maze(MazeConfig.DEFAULT, MAZE, a);
        Maze mb = new Maze(MazeConfig.DEFAULT, MAZE, b);
        Map<NodeId, Maze> mazes = new java.util.LinkedHashMap<>(Map.of(a, ma, b, mb));
        Map<NodeId, List<MazeEvent>> events = new java.util.HashMap<>();
        ma.join(0, List.of());
        mb.join(0, List.of(a));
        pump(0, mazes, events);
        for (int i = 0; i < 5; i++) {
            mb.send(SECOND, new byte[] {(byte) i});
        }
        pump(SECOND, mazes, events);
        assertThat(delivered(events.get(a), b)).containsExactly(1L, 2L, 3L, 4L, 5L);

        // b crashes and comes back at once, with no memory: its numbering starts again.
        Maze reborn = new Maze(MazeConfig.DEFAULT, MAZE, b);
        mazes.put(b, reborn);
        reborn.join(2 * SECOND, List.of(a));
        pump(2 * SECOND, mazes, events);
        assertThat(reborn.isMember()).isTrue();
        reborn.send(3 * SECOND, new byte[] {42});
        pump(3 * SECOND, mazes, events);
        assertThat(delivered(events.get(a), b)).containsExactly(1L, 2L, 3L, 4L, 5L, 1L);
        assertThat(ma.members()).containsExactly(a, b);
    }

    @Test
    void aHeartbeatWhoseViewIsUnknownIsCountedAndTheNextFullOneIsRead() throws ProtocolException {
        NodeId a = MazeCodecTest.id(1);
        NodeId b = MazeCodecTest.id(2);
        Maze ma = new Maze(MazeConfig.DEFAULT, MAZE, a);
        Maze mb = new Maze(MazeConfig.DEFAULT, MAZE, b);
        Map<NodeId, Maze> mazes = Map.of(a, ma, b, mb);
        Map<NodeId, List<MazeEvent>> events = new java.util.HashMap<>();
        ma.join(0, List.of());
        mb.join(0, List.of(a));
        pump(0, mazes, events);
        List<NodeId> view = new ArrayList<>(List.of(a, b));
        view.sort(null);
        long digest = MazeCodec.viewDigest(view);
        // A heartbeat without its view, before b ever sent the view: unreadable.
        ma.handleMessage(SECOND / 2, b, new MazeMessage.Heartbeat(MAZE, digest, List.of(), List.of(0L, 0L), List.of()));
        assertThat(ma.reportsUnreadable()).isEqualTo(1);
        // With the view: read, and it tells a that b sent 3 messages it has not seen.
        List<Long> marks = view.get(0).equals(b) ? List.of(3L, 0L) : List.of(0L, 3L);
        ma.handleMessage(SECOND, b, new MazeMessage.Heartbeat(MAZE, digest, view, marks, List.of()));
        assertThat(ma.reportsUnreadable()).isEqualTo(1);
        ma.handleTimeout(SECOND + MazeConfig.DEFAULT.nackDelayNanos());
        Maze.Transmit t = ma.pollTransmit();
        while (t != null && !(t.message() instanceof MazeMessage.Nack)) {
            t = ma.pollTransmit();
        }
        assertThat(t).isNotNull();
        assertThat(t.to()).isEqualTo(b);
        assertThat(((MazeMessage.Nack) t.message()).ranges()).containsExactly(new MazeMessage.SeqRange(1, 3));
    }
}
