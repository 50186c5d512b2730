package net.barn.core.maze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.crypto.Ed25519;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Private mazes in the in-memory cluster, with real identities: who can read, who can forge, what rekeys. */
class PrivateMazeTest {
    private static final long MS = MazeCluster.MS;
    private static final long SECOND = MazeCluster.SECOND;

    private static MazeCluster joined(int n, long seed) {
        MazeCluster c = new MazeCluster(n, seed, MazeConfig.DEFAULT, true).joinAll(200 * MS);
        c.runFor(n * 200 * MS + 4 * SECOND);
        for (MazeCluster.Member m : c.members) {
            assertThat(m.maze.members()).as(m + "'s view").hasSize(n);
        }
        return c;
    }

    private static byte[] payload(long seed) {
        byte[] p = new byte[40 + (int) (seed % 200)];
        new SplittableRandom(seed).nextBytes(p);
        return p;
    }

    private static void traffic(MazeCluster c, List<MazeCluster.Member> senders, int each, long gap) {
        for (int i = 0; i < each; i++) {
            for (MazeCluster.Member s : senders) {
                c.send(s, payload(s.index * 1000L + i));
            }
            c.runFor(gap);
        }
    }

    /** The Data payloads {@code sender} sent after {@code from} (one per receiver, deduplicated by sequence). */
    private static List<MazeMessage.Data> sentBy(MazeCluster c, MazeCluster.Member sender, int from) {
        return c.captured.subList(from, c.captured.size()).stream().filter(d -> d.sender().equals(sender.id))
                .collect(java.util.stream.Collectors.toMap(MazeMessage.Data::seq, d -> d, (a, b) -> a, java.util.TreeMap::new))
                .values().stream().toList();
    }

    /** Has {@code sender} send {@code payload}, lets it travel, and returns the Sealed Data it sent. */
    private static MazeMessage.Data sendSealed(MazeCluster c, MazeCluster.Member sender, byte[] payload, long travel) {
        int mark = c.captured.size();
        c.send(sender, payload);
        c.runFor(travel);
        return sentBy(c, sender, mark).stream().filter(PrivateMazeTest::isSealed).findFirst().orElseThrow();
    }

    private static boolean isSealed(MazeMessage.Data d) {
        try {
            return PrivateKeys.decode(d.payload()) instanceof PrivateKeys.Sealed;
        } catch (PrivateKeys.BadPayload e) {
            return false;
        }
    }

    @Test
    void membersReadEachOthersMessagesExactlyOnceInOrder() {
        MazeCluster c = joined(8, 101);
        traffic(c, c.members, 15, 60 * MS);
        c.runFor(5 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
        for (MazeCluster.Member m : c.members) {
            assertThat(m.sealed.sealedDelivered()).isEqualTo(7 * 15);
            assertThat(m.sealed.droppedForged()).isZero();
        }
        // What travels is ciphertext: no payload appears in the clear in any Data.
        byte[] secret = payload(3 * 1000L + 4);
        assertThat(c.captured).noneMatch(d -> indexOf(d.payload(), secret) >= 0);
    }

    @Test
    void keyTrafficStopsOnceEveryMemberHoldsEveryKey() {
        MazeCluster c = joined(12, 108);
        traffic(c, c.members, 3, 100 * MS);
        c.runFor(5 * SECOND);
        int mark = c.captured.size();
        traffic(c, c.members, 10, 200 * MS);
        c.runFor(10 * SECOND);
        long keyTraffic = c.captured.subList(mark, c.captured.size()).stream().filter(d -> !isSealed(d)).count();
        assertThat(keyTraffic).as("Hellos and KeyShares sent in steady state").isZero();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
    }

    @Test
    void messagesAreRepairedAroundACutLinkAndUnderLoss() {
        MazeCluster c = new MazeCluster(6, 102, MazeConfig.DEFAULT, true);
        c.loss = 0.05;
        c.joinAll(200 * MS);
        c.runFor(6 * SECOND);
        c.cut(c.members.get(0), c.members.get(1));
        c.cut(c.members.get(2), c.members.get(3));
        traffic(c, c.members, 20, 80 * MS);
        c.runFor(15 * SECOND);
        assertThat(c.violations).isEmpty();
        assertThat(c.completeness(c.members, c.members)).isEmpty();
    }

    @Test
    void aNewcomerCannotReadWhatWasSentBeforeItCame() {
        MazeCluster c = new MazeCluster(5, 103, MazeConfig.DEFAULT, true).joinAll(4, 200 * MS);
        c.runFor(5 * SECOND);
        MazeCluster.Member a = c.members.get(0);
        MazeMessage.Data before = sendSealed(c, a, payload(1), SECOND);
        assertThat(c.members.get(1).sealed.opens(a.id, before.payload())).as("a member then reads it").isTrue();

        MazeCluster.Member late = c.members.get(4);
        c.act(late, () -> late.sealed.join(c.now(), List.of(a.id)));
        c.runFor(5 * SECOND);
        assertThat(late.maze.members()).hasSize(5);
        MazeMessage.Data after = sendSealed(c, a, payload(2), 2 * SECOND);

        assertThat(late.from(a)).containsExactly(after.seq());
        assertThat(late.sealed.opens(a.id, after.payload())).isTrue();
        assertThat(late.sealed.opens(a.id, before.payload())).as("the key of a message sent before it joined").isFalse();
        assertThat(c.violations).isEmpty();
    }

    @Test
    void aMemberThatLeftCannotReadWhatFollows() {
        MazeCluster c = joined(4, 104);
        MazeCluster.Member a = c.members.get(0);
        MazeCluster.Member leaver = c.members.get(3);
        int generationBefore = a.sealed.generation();
        // The leaver keeps its keys (as a member that left and kept a copy of them would).
        PrivateMaze spy = leaver.sealed;
        c.act(leaver, () -> leaver.sealed.leave(c.now()));
        leaver.alive = false;
        c.runFor(3 * SECOND);
        assertThat(a.maze.members()).hasSize(3).doesNotContain(leaver.id);
        assertThat(a.sealed.generation()).isEqualTo(generationBefore + 1);

        MazeMessage.Data after = sendSealed(c, a, payload(7), 2 * SECOND);
        assertThat(c.members.get(1).from(a)).contains(after.seq());
        assertThat(spy.opens(a.id, after.payload())).as("a fresh key after it left").isFalse();
        assertThat(c.violations).isEmpty();
    }

    @Test
    void aFailedMemberIsRekeyedAwayFromToo() {
        MazeCluster c = joined(4, 105);
        MazeCluster.Member a = c.members.get(0);
        MazeCluster.Member victim = c.members.get(2);
        c.crash(victim);
        c.runFor(12 * SECOND);
        assertThat(a.maze.members()).hasSize(3);
        MazeMessage.Data after = sendSealed(c, a, payload(8), 2 * SECOND);
        assertThat(victim.sealed.opens(a.id, after.payload())).isFalse();
        assertThat(c.members.get(1).sealed.opens(a.id, after.payload())).isTrue();
    }

    @Test
    void aRelayingMemberCanNeitherForgeNorReplayAnotherMembersMessages() {
        MazeCluster c = joined(3, 106);
        MazeCluster.Member a = c.members.get(0);
        MazeCluster.Member b = c.members.get(1);
        MazeCluster.Member mallory = c.members.get(2);
        MazeMessage.Data genuine = sendSealed(c, a, payload(1), SECOND);
        long next = genuine.seq() + 1;
        String maze = MazeCluster.MAZE;

        // A replay of a's sealed message under a fresh sequence number, relayed by a member.
        c.inject(mallory.id, b, new MazeMessage.Data(maze, a.id, next, genuine.payload(), true));
        c.runFor(200 * MS);
        assertThat(b.sealed.droppedReplayed()).isEqualTo(1);

        // Mallory holds a's key as every member does: she seals a message with it and signs it herself.
        int g = a.sealed.generation();
        int st = a.sealed.step();
        byte[] aKey = mallory.sealed.heldKey(a.id, g, st);
        assertThat(aKey).isNotNull();
        Ed25519.SigningKey notA = Ed25519.fromSeed(new byte[32]);
        byte[] ct = PrivateKeys.seal(aKey, PrivateKeys.dataNonce(99), PrivateKeys.dataAad(maze, a.id, g, st, 99),
                "transfer everything to mallory".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] forged = PrivateKeys.encode(new PrivateKeys.Sealed(g, st, 99, ct,
                notA.sign(PrivateKeys.dataSigned(maze, a.id, g, st, 99, ct))));
        c.inject(mallory.id, b, new MazeMessage.Data(maze, a.id, next + 1, forged, true));
        // And garbage that is no private payload at all.
        c.inject(mallory.id, b, new MazeMessage.Data(maze, a.id, next + 2, new byte[] {1, 2, 3}, true));
        c.runFor(200 * MS);
        assertThat(b.sealed.droppedForged()).isEqualTo(1);
        assertThat(b.sealed.droppedUnsealed()).isEqualTo(1);
        assertThat(b.events).contains(new MazeEvent.Lost(a.id, next, next), new MazeEvent.Lost(a.id, next + 1, next + 1));
        assertThat(b.events).noneMatch(e -> e instanceof MazeEvent.Delivered d && d.seq() > genuine.seq());
        assertThat(c.violations).as("nothing a did not send is delivered as a's").isEmpty();
    }

    @Test
    void aJoinInTheOtherModeIsRefusedWithAReason() {
        MazeCluster c = joined(3, 107);
        NodeId plainId = NodeId.of(new byte[32]);
        Maze plain = new Maze(MazeConfig.DEFAULT, MazeCluster.MAZE, plainId);
        plain.join(0, List.of(c.members.get(0).id));
        MazeMessage join = plain.pollTransmit().message();
        c.inject(plainId, c.members.get(0), join);
        assertThat(c.members.get(0).maze.refusedForMode()).isEqualTo(1);
        assertThat(c.members.get(0).maze.members()).doesNotContain(plainId);
        plain.handleMessage(1, c.members.get(0).id, new MazeMessage.JoinReply(MazeCluster.MAZE, false, MazeMessage.Refusal.MODE,
                64, List.of(), List.of()));
        assertThat(plain.pollEvent()).isEqualTo(new MazeEvent.JoinRefused(false, "the maze is private: join it as a private maze"));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
