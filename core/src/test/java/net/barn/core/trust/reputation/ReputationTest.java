package net.barn.core.trust.reputation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Local scores order peers by how they served this node, fade back to neutral, and stay bounded. */
class ReputationTest {
    private static final long MS = 1_000_000L;
    private static final long HOUR = 3600 * 1000 * MS;

    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[1] = (byte) (i >> 8);
        return NodeId.of(b);
    }

    @Test
    void anHonestResponsivePeerRanksAboveASlowOneAndALiar() {
        Reputation r = new Reputation(Reputation.Config.DEFAULT);
        NodeId honest = id(1);
        NodeId slow = id(2);
        NodeId liar = id(3);
        for (int i = 0; i < 20; i++) {
            long now = i * 1000 * MS;
            r.handleAnswer(now, honest, true, 40 * MS);
            r.handleAnswer(now, slow, true, 2000 * MS);
            if (i % 5 == 0) {
                r.handleTimeout(now, slow);
            }
            r.handleAnswer(now, liar, i % 2 == 0, 40 * MS); // fast, but every other answer is false
        }
        assertThat(r.rank(List.of(liar, slow, honest))).containsExactly(honest, slow, liar);
        assertThat(r.score(honest)).isGreaterThan(0.9);
        assertThat(r.score(liar)).isLessThan(0.3);
        assertThat(r.score(id(9))).as("never seen").isEqualTo(0.5);
    }

    @Test
    void relayingUptimeAndInvalidDataMoveTheScore() {
        Reputation r = new Reputation(Reputation.Config.DEFAULT);
        r.handleRelay(0, id(1), true);
        r.handleUptime(0, id(1), true);
        r.handleRelay(0, id(2), false);
        r.handleInvalid(0, id(3));
        assertThat(r.score(id(1))).isGreaterThan(0.5);
        assertThat(r.score(id(2))).isLessThan(0.5);
        assertThat(r.score(id(3))).isLessThan(r.score(id(2)));
    }

    @Test
    void decayBringsAPunishedPeerBackTowardsNeutral() {
        Reputation r = new Reputation(new Reputation.Config(HOUR, 64, 200 * MS));
        for (int i = 0; i < 10; i++) {
            r.handleInvalid(0, id(1));
        }
        double punished = r.score(0, id(1));
        assertThat(punished).isLessThan(0.05);
        assertThat(r.score(HOUR, id(1))).isBetween(punished, 0.5);
        assertThat(r.score(10 * HOUR, id(1))).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
        // Old behaviour weighs less than new: a punished peer recovers by serving well.
        for (int i = 0; i < 10; i++) {
            r.handleAnswer(3 * HOUR, id(1), true, 10 * MS);
        }
        assertThat(r.score(3 * HOUR, id(1))).isGreaterThan(0.5);
    }

    @Test
    void memoryIsBoundedAndTheLeastKnownPeerLeavesFirst() {
        Reputation r = new Reputation(new Reputation.Config(HOUR, 100, 200 * MS));
        for (int i = 0; i < 10; i++) {
            r.handleInvalid(0, id(1)); // well known: heavily observed
        }
        for (int i = 2; i < 1000; i++) {
            r.handleUptime(0, id(i), true);
        }
        assertThat(r.size()).isEqualTo(100);
        assertThat(r.score(id(1))).as("the liar is not forgotten by crowding").isLessThan(0.1);
    }

    @Test
    void rankKeepsTheCallersOrderAmongEqualScores() {
        Reputation r = new Reputation(Reputation.Config.DEFAULT);
        r.handleInvalid(0, id(5));
        assertThat(r.rank(List.of(id(5), id(3), id(4)))).containsExactly(id(3), id(4), id(5));
    }
}
