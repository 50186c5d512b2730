package net.barn.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Among relays with similar load the better-scored is picked; a relay that failed this node's circuits sinks. */
class RelayChooserReputationTest {
    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        return NodeId.of(b);
    }

    @Test
    void ofTwoEquallyLoadedRelaysTheBetterScoredIsPicked() {
        List<RelayChooser.Candidate> relays = List.of(
                new RelayChooser.Candidate(id(1), "g1", 0.5, 64, 10_000_000L), // nearer
                new RelayChooser.Candidate(id(2), "g2", 0.5, 64, 20_000_000L));
        Map<NodeId, Double> scores = Map.of(id(1), 0.45, id(2), 0.8);
        RelayChooser chooser = new RelayChooser(new SplittableRandom(3), x -> false, scores::get);
        for (int t = 0; t < 100; t++) {
            assertThat(chooser.choose(relays, Set.of(), Set.of(), 1)).extracting(RelayChooser.Candidate::id).containsExactly(id(2));
        }
        RelayChooser unscored = new RelayChooser(new SplittableRandom(3));
        assertThat(unscored.choose(relays, Set.of(), Set.of(), 1)).as("without scores the nearer wins the tie")
                .extracting(RelayChooser.Candidate::id).containsExactly(id(1));
    }

    @Test
    void aRelayThatFailedCircuitsSinksBelowBusierOnesAndIsPickedOnlyWhenNoneIsLeft() {
        List<RelayChooser.Candidate> relays = List.of(
                new RelayChooser.Candidate(id(1), "g1", 1.0, 128, 5_000_000L), // empty, large, near: best by load
                new RelayChooser.Candidate(id(2), "g2", 0.5, 8, 20_000_000L),
                new RelayChooser.Candidate(id(3), "g3", 0.5, 8, 30_000_000L));
        Map<NodeId, Double> scores = Map.of(id(1), 0.2, id(2), 0.5, id(3), 0.5);
        RelayChooser chooser = new RelayChooser(new SplittableRandom(4), x -> false, scores::get);
        for (int t = 0; t < 100; t++) {
            assertThat(chooser.choose(relays, Set.of(), Set.of(), 2)).extracting(RelayChooser.Candidate::id)
                    .containsExactlyInAnyOrder(id(2), id(3));
        }
        List<RelayChooser.Candidate> all = chooser.choose(relays, Set.of(), Set.of(), 3);
        assertThat(all).hasSize(3);
        assertThat(all.get(2).id()).as("when no other is left, it still serves, last").isEqualTo(id(1));
        assertThat(new RelayChooser(new SplittableRandom(4)).choose(relays, Set.of(), Set.of(), 1))
                .as("without scores it wins by load").extracting(RelayChooser.Candidate::id).containsExactly(id(1));
    }
}
