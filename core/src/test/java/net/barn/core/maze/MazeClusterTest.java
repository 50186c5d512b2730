package net.barn.core.maze;

import static net.barn.core.maze.MazeCluster.MS;
import static net.barn.core.maze.MazeCluster.SECOND;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Many members of one maze under virtual time: membership, delivery and repair end to end. */
class MazeClusterTest {
    private static byte[] payload(int i) {
        return ("line " + i).getBytes(StandardCharsets.UTF_8);
    }

    private static MazeCluster joined(int n, long seed) {
        MazeCluster c = new MazeCluster(n, seed).joinAll(100 * MS);
        c.runFor(n * 100 * MS + 5 * SECOND);
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.members()).as("%s's view", m).hasSize(n);
        }
        return c;
    }

    /** Each of {@code senders} sends {@code count} messages, one every {@code gap}. */
    private static void traffic(MazeCluster c, List<MazeCluster.Member> senders, int count, long gap) {
        SplittableRandom r = new SplittableRandom(senders.size());
        for (int i = 0; i < count; i++) {
            for (MazeCluster.Member s : senders) {
                if (s.alive) {
                    c.send(s, payload(r.nextInt(1000)));
                }
            }
            c.runFor(gap);
        }
    }

    @Test
    void everyMessageReachesEveryMemberExactlyOnceInSenderOrder() {
        MazeCluster c = joined(16, 1);
        c.loss = 0.05;
        traffic(c, c.members, 30, 100 * MS);
        c.runFor(10 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
        long delivered = c.members.stream().mapToLong(m -> m.maze.delivered()).sum();
        assertThat(delivered).isEqualTo(16L * 15 * 30);
        assertThat(c.members.stream().mapToLong(m -> m.maze.retransmissions()).sum()).as("loss was repaired").isPositive();
        assertThat(c.members.stream().mapToLong(m -> m.maze.lost()).sum()).isZero();
        for (MazeCluster.Member m : c.members) {
            assertThat(m.events).noneMatch(e -> e instanceof MazeEvent.MemberFailed);
        }
    }

    @Test
    void aLostLastMessageIsRepairedFromTheHeartbeatMarks() {
        MazeCluster c = joined(4, 2);
        MazeCluster.Member a = c.members.get(0);
        c.send(a, payload(1));
        c.runFor(SECOND);
        c.loss = 1.0;
        c.send(a, payload(2)); // nobody gets it directly
        c.runFor(10 * MS);
        c.loss = 0;
        c.runFor(5 * SECOND);
        assertThat(c.completeness(List.of(a), c.members)).isEmpty();
        assertThat(c.violations).isEmpty();
    }

    @Test
    void aCutLinkBetweenTwoMembersIsRepairedThroughAThird() {
        for (boolean reported : new boolean[] {true, false}) {
            MazeCluster c = new MazeCluster(3, 3);
            c.reportLinkDown = reported;
            c.joinAll(100 * MS).runFor(3 * SECOND);
            MazeCluster.Member a = c.members.get(0);
            MazeCluster.Member b = c.members.get(1);
            MazeCluster.Member third = c.members.get(2);
            c.cut(a, b);
            traffic(c, List.of(a, b), 40, 250 * MS);
            c.runFor(10 * SECOND);
            assertThat(c.violations).isEmpty();
            assertThat(c.completeness(c.members, c.members)).as("link down reported: %s", reported).isEmpty();
            assertThat(a.events).contains(new MazeEvent.LinkSuspect(b.id)).noneMatch(e -> e instanceof MazeEvent.MemberFailed);
            assertThat(b.events).contains(new MazeEvent.LinkSuspect(a.id)).noneMatch(e -> e instanceof MazeEvent.MemberFailed);
            assertThat(a.maze.members()).hasSize(3);
            assertThat(third.maze.relayed() + third.maze.retransmissions()).as("the third carried the messages").isPositive();
            // Once the link works again, the two hear each other directly.
            c.heal(a, b);
            c.runFor(3 * SECOND);
            assertThat(a.events).contains(new MazeEvent.LinkRestored(b.id));
            assertThat(a.maze.suspects()).isEmpty();
        }
    }

    @Test
    void aMemberReachableThroughOnlyOneOtherStaysInTheMaze() {
        MazeCluster c = joined(8, 4);
        c.loss = 0.02;
        MazeCluster.Member island = c.members.get(5);
        MazeCluster.Member bridge = c.members.get(2);
        for (MazeCluster.Member m : c.members) {
            if (m != island && m != bridge) {
                c.cut(island, m);
            }
        }
        traffic(c, c.members, 40, 200 * MS);
        c.runFor(15 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.members()).as("%s's view", m).hasSize(8);
        }
    }

    @Test
    void aCrashedMemberIsDeclaredFailedAndTheRestCarryOn() {
        MazeCluster c = joined(8, 5);
        MazeCluster.Member victim = c.members.get(3);
        traffic(c, c.members, 10, 100 * MS);
        c.crash(victim);
        long crashedAt = c.now();
        c.runFor(10 * SECOND);
        List<MazeCluster.Member> rest = c.alive();
        for (MazeCluster.Member m : rest) {
            assertThat(m.events).as("%s's events", m).contains(new MazeEvent.MemberFailed(victim.id));
            assertThat(m.maze.members()).hasSize(7).doesNotContain(victim.id);
        }
        assertThat(c.now() - crashedAt).isLessThanOrEqualTo(c.config.failureTimeoutNanos() + 5 * c.config.heartbeatIntervalNanos());
        traffic(c, rest, 20, 100 * MS);
        c.runFor(5 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(rest, rest)).isEmpty();
    }

    @Test
    void aLeavingMemberIsRemovedAsLeft() {
        MazeCluster c = joined(5, 6);
        MazeCluster.Member leaver = c.members.get(4);
        c.act(leaver, () -> leaver.maze.leave(c.now()));
        leaver.alive = false;
        c.runFor(2 * SECOND);
        for (MazeCluster.Member m : c.alive()) {
            assertThat(m.events).contains(new MazeEvent.MemberLeft(leaver.id));
            assertThat(m.maze.members()).hasSize(4);
        }
        assertThat(leaver.maze.isMember()).isFalse();
    }

    @Test
    void replaysAndMessagesFromNonMembersAreDroppedAndCounted() {
        MazeCluster c = joined(3, 7);
        MazeCluster.Member a = c.members.get(0);
        MazeCluster.Member b = c.members.get(1);
        MazeCluster.Member third = c.members.get(2);
        c.send(a, payload(1));
        c.runFor(SECOND);
        assertThat(b.from(a)).containsExactly(1L);
        String maze = MazeCluster.MAZE;

        // A replay of a delivered message, directly or relayed: dropped as a duplicate.
        long dups = b.maze.duplicatesDropped();
        c.inject(a.id, b, new MazeMessage.Data(maze, a.id, 1, payload(1), false));
        c.inject(third.id, b, new MazeMessage.Data(maze, a.id, 1, payload(1), true));
        assertThat(b.maze.duplicatesDropped()).isEqualTo(dups + 2);

        // A stranger's message, and a member's message relayed by a stranger: not members.
        NodeId stranger = NodeId.of(new byte[32]);
        long non = b.maze.droppedFromNonMembers();
        c.inject(stranger, b, new MazeMessage.Data(maze, stranger, 1, payload(2), false));
        c.inject(stranger, b, new MazeMessage.Data(maze, a.id, 2, payload(2), true));
        c.inject(third.id, b, new MazeMessage.Data(maze, stranger, 1, payload(2), true));
        c.inject(stranger, b, MazeCodecTest.heartbeat(List.of(stranger), List.of()));
        assertThat(b.maze.droppedFromNonMembers()).isEqualTo(non + 4);

        // A member claiming another member's message as its own (not relayed): forged.
        c.inject(third.id, b, new MazeMessage.Data(maze, a.id, 2, payload(3), false));
        assertThat(b.maze.droppedForged()).isEqualTo(1);

        // Over the payload limit (the codec would refuse it; the maze refuses it too).
        c.inject(a.id, b, new MazeMessage.Data(maze, a.id, 2, new byte[c.config.maxPayloadBytes() + 1], false));
        assertThat(b.maze.droppedOversize()).isEqualTo(1);

        c.runFor(3 * SECOND);
        assertThat(b.from(a)).containsExactly(1L);
        assertThat(b.deliveries.keySet()).doesNotContain(stranger);
        assertThat(b.maze.members()).doesNotContain(stranger);
    }

    @Test
    void aJoinBeyondTheLimitIsRefusedWithAReason() {
        MazeConfig config = MazeConfig.DEFAULT.withMaxMembers(4);
        MazeCluster c = new MazeCluster(4, 8, config).joinAll(100 * MS);
        c.runFor(3 * SECOND);
        MazeCluster.Member late = c.outsider();
        c.act(late, () -> late.maze.join(c.now(), List.of(c.members.get(0).id, c.members.get(2).id)));
        c.runFor(3 * SECOND);
        assertThat(late.maze.isMember()).isFalse();
        assertThat(late.events).anySatisfy(e -> {
            assertThat(e).isInstanceOf(MazeEvent.JoinRefused.class);
            MazeEvent.JoinRefused r = (MazeEvent.JoinRefused) e;
            assertThat(r.full()).isTrue();
            assertThat(r.reason()).contains("maze full").contains("4 members");
        });
        for (int i = 0; i < 4; i++) {
            assertThat(c.members.get(i).maze.members()).hasSize(4).doesNotContain(late.id);
        }
    }

    @Test
    void retransmitBuffersStayBounded() {
        MazeConfig config = MazeConfig.DEFAULT.withRetransmitBuffer(32, 20_000).withMaxPayload(1000);
        MazeCluster c = new MazeCluster(4, 9, config).joinAll(100 * MS);
        c.runFor(3 * SECOND);
        MazeCluster.Member a = c.members.get(0);
        // With one link cut, a never hears that member's acks directly: only the bounds keep its buffers small.
        c.cut(a, c.members.get(3));
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 300; i++) {
            byte[] p = new byte[1 + r.nextInt(1000)];
            r.nextBytes(p);
            c.send(c.members.get(i % 3), p);
            c.runFor(20 * MS);
        }
        c.runFor(10 * SECOND);
        assertThat(c.violations).as("buffers checked after every step").isEmpty();
        long[] largest = a.maze.largestRetransmitBuffer();
        assertThat(largest[0]).isLessThanOrEqualTo(32);
        assertThat(largest[1]).isLessThanOrEqualTo(20_000);
        assertThat(c.completeness(c.members, c.members)).isEmpty();
        // Once the cut member's reports are stale, a stops waiting for its acks: the members that
        // hear it keep its messages for it, and a's buffers empty too.
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.retransmitBufferMessages()).as("%s keeps, link still cut", m).isZero();
        }
        // Where every member acknowledges everything, the buffers empty.
        c.heal(a, c.members.get(3));
        c.runFor(10 * SECOND);
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.retransmitBufferMessages()).as("%s keeps", m).isZero();
        }
    }

    @Test
    void theFirstMemberStartsTheMazeAndLaterJoinersLearnEveryone() {
        MazeCluster c = new MazeCluster(6, 10);
        c.joinAll(6, SECOND);
        c.runFor(10 * SECOND);
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.isMember()).isTrue();
            assertThat(m.maze.members()).hasSize(6);
            assertThat(m.events).first().isInstanceOf(MazeEvent.Joined.class);
        }
        traffic(c, c.members, 5, 200 * MS);
        c.runFor(3 * SECOND);
        assertThat(c.completeness(c.members, c.members)).isEmpty();
    }

    @Test
    void viewsConvergeWhenJoinsAndViewUpdatesAreLost() {
        MazeCluster c = new MazeCluster(16, 11);
        c.loss = 0.3;
        c.joinAll(50 * MS);
        c.runFor(60 * SECOND);
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.members()).as("%s's view", m).hasSize(16);
        }
        traffic(c, c.members, 10, 200 * MS);
        c.runFor(20 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
    }
}
