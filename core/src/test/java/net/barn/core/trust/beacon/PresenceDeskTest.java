package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** A member signs presence tickets only for the epoch under way, before the next seed, and within its per-group and per-epoch limits. */
class PresenceDeskTest {
    /** Epochs of 100 rounds; phases as long as rounds, so the seed round is 9 rounds before the epoch ends. */
    private final Epochs epochs = new Epochs(1000, 100, 1000);
    private final PresenceDesk desk = new PresenceDesk(epochs, 2, 3);

    private static NodeId id(int b) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) b);
        return NodeId.of(bytes);
    }

    @Test
    void signsForTheEpochUnderWayOnly() {
        assertThat(desk.admit(350, 3, id(1), "10.1")).isNull();
        assertThat(desk.admit(350, 2, id(1), "10.1")).contains("epoch under way (3)");
        assertThat(desk.admit(350, 4, id(1), "10.1")).contains("not 4");
    }

    @Test
    void closesOneRoundBeforeTheSeedRoundOfTheNextEpoch() {
        assertThat(epochs.seedRound(4)).isEqualTo(391);
        assertThat(desk.closesAt(3)).isEqualTo(390);
        assertThat(desk.admit(389, 3, id(1), "10.1")).isNull();
        assertThat(desk.admit(390, 3, id(2), "10.1")).contains("closed at round 390");
        assertThat(desk.admit(395, 3, id(3), "10.2")).contains("closed");
    }

    @Test
    void limitsIdsPerGroupAndPerEpochAndCountsARepeatOnce() {
        assertThat(desk.admit(300, 3, id(1), "10.1")).isNull();
        assertThat(desk.admit(301, 3, id(1), "10.1")).isNull(); // the same id asking again
        assertThat(desk.admit(302, 3, id(2), "10.1")).isNull();
        assertThat(desk.admit(303, 3, id(3), "10.1")).contains("already went to 10.1");
        assertThat(desk.admit(304, 3, id(4), "10.2")).isNull();
        assertThat(desk.admit(305, 3, id(5), "10.3")).contains("all 3 tickets of epoch 3");
        assertThat(desk.signedThisEpoch()).isEqualTo(3);
    }

    @Test
    void aNewEpochStartsWithFreshLimits() {
        desk.admit(300, 3, id(1), "10.1");
        desk.admit(301, 3, id(2), "10.1");
        assertThat(desk.admit(400, 4, id(3), "10.1")).isNull();
        assertThat(desk.signedThisEpoch()).isEqualTo(1);
    }

    @Test
    void answersOneIdAtMostThreeTimesAnEpochSoRepeatsCannotBuyTheMembersCpu() {
        for (int i = 0; i < PresenceDesk.ANSWERS_PER_ID; i++) {
            assertThat(desk.admit(300 + i, 3, id(1), "10.1")).isNull();
        }
        assertThat(desk.admit(310, 3, id(1), "10.1")).contains("already sent to this node 3 times");
        assertThat(desk.admit(400, 4, id(1), "10.1")).isNull();
    }
}
