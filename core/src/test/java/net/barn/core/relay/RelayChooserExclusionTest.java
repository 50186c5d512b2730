package net.barn.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** A relay excluded for proven misbehaviour is never chosen, however empty and near it is. */
class RelayChooserExclusionTest {
    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) (i >> 8);
        b[1] = (byte) i;
        return NodeId.of(b);
    }

    @Test
    void anExcludedRelayIsNeverPicked() {
        List<RelayChooser.Candidate> relays = new ArrayList<>();
        relays.add(new RelayChooser.Candidate(id(0), "g0", 1.0, 1000, 1_000_000L)); // the best by far
        for (int i = 1; i < 10; i++) {
            relays.add(new RelayChooser.Candidate(id(i), "g" + i, 0.5, 64, 50_000_000L));
        }
        RelayChooser chooser = new RelayChooser(new SplittableRandom(5), Set.of(id(0))::contains);
        for (int t = 0; t < 200; t++) {
            assertThat(chooser.choose(relays, Set.of(), Set.of(), 2)).extracting(RelayChooser.Candidate::id)
                    .hasSize(2).doesNotContain(id(0));
        }
        assertThat(new RelayChooser(new SplittableRandom(5)).choose(relays, Set.of(), Set.of(), 9))
                .extracting(RelayChooser.Candidate::id).contains(id(0));
    }
}
