package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import net.barn.core.crypto.SeededEntropy;
import org.junit.jupiter.api.Test;

/**
 * Handing a group key to a new committee: old members reshare their shares, new members end up
 * with shares of the same secret under a new threshold, and the old shares are not needed again.
 */
class ReshareTest {
    private static final byte[] MESSAGE = "signed by the next committee".getBytes(StandardCharsets.US_ASCII);

    /** The old committee: a fresh DKG among 4 with threshold 3. */
    private final DkgCluster old = DkgCluster.fresh(4, 3, 31).run();
    private final GroupKey oldGroup = old.node(1).result().group();

    /**
     * Old members {@code dealers} deal to a new committee of {@code n} with threshold t; the new
     * members are separate nodes (an old member could be both; the routing is by index).
     */
    private DkgCluster reshare(List<Integer> dealers, int n, int t, long seed) {
        SortedSet<Integer> dealerSet = new TreeSet<>(dealers);
        List<DkgConfig> configs = new ArrayList<>();
        for (int d : dealers) {
            configs.add(DkgConfig.reshare(seed, oldGroup, dealerSet, old.node(d).result().share(), n, t, 0,
                    DkgCluster.PHASE));
        }
        for (int r = 1; r <= n; r++) {
            configs.add(DkgConfig.reshare(seed, oldGroup, dealerSet, null, n, t, r, DkgCluster.PHASE));
        }
        return new DkgCluster(configs, seed);
    }

    private static List<DkgCluster.Node> receivers(DkgCluster c) {
        return c.nodes.stream().filter(x -> x.dkg.config().selfReceiver() != 0).toList();
    }

    @Test
    void newCommitteeHoldsTheSameGroupKeyAndItsThresholdSignsWithoutOldShares() {
        DkgCluster next = reshare(List.of(1, 2, 4), 5, 4, 32).run();
        List<DkgCluster.Node> members = receivers(next);
        GroupKey newGroup = members.getFirst().result().group();
        assertThat(newGroup.publicKey()).isEqualTo(oldGroup.publicKey());
        assertThat(newGroup.threshold()).isEqualTo(4);
        for (DkgCluster.Node m : members) {
            assertThat(m.result().group().publicKey()).isEqualTo(oldGroup.publicKey());
            assertThat(m.result().share().publicKey()).isEqualTo(newGroup.publicShare(m.result().share().index()));
        }
        // Only new shares sign; partials are checked against the new public shares.
        List<PartialSignature> partials = members.stream().skip(1)
                .map(m -> ThresholdBls.signPartial(m.result().share(), MESSAGE)).toList();
        BlsSignature sig = ThresholdBls.combine(newGroup, MESSAGE, partials).orElseThrow();
        assertThat(Bls.verify(oldGroup.publicKey(), MESSAGE, sig)).isTrue();
        // New shares are not old shares: an old member's partial does not pass for a new one.
        PartialSignature stale = ThresholdBls.signPartial(old.node(1).result().share(), MESSAGE);
        assertThat(ThresholdBls.verifyPartial(newGroup, MESSAGE, stale).isValid()).isFalse();
        // And three new partials, the old threshold, are no longer enough.
        assertThat(ThresholdBls.recover(4, partials.subList(0, 3)).isValid()).isFalse();
    }

    @Test
    void anOldMemberInTheNewCommitteeDealsAndReceivesInOneRun() {
        // Old members 1..4; the new committee of 3 is old member 2 (as new member 1), old member 4
        // (as new member 3) and one newcomer (new member 2): one Dkg each, as a daemon runs it.
        long seed = 36;
        SortedSet<Integer> dealers = new TreeSet<>(List.of(1, 2, 3, 4));
        int[] newIndexOfOld = {0, 0, 1, 0, 3};
        List<DkgConfig> configs = new ArrayList<>();
        for (int d : dealers) {
            configs.add(DkgConfig.reshare(seed, oldGroup, dealers, old.node(d).result().share(), 3, 2, newIndexOfOld[d],
                    DkgCluster.PHASE));
        }
        configs.add(DkgConfig.reshare(seed, oldGroup, dealers, null, 3, 2, 2, DkgCluster.PHASE));
        DkgCluster next = new DkgCluster(configs, seed).run();
        List<DkgCluster.Node> members = receivers(next);
        assertThat(members).hasSize(3);
        for (DkgCluster.Node m : members) {
            assertThat(m.result().group().publicKey()).isEqualTo(oldGroup.publicKey());
            assertThat(m.result().qualified()).containsExactly(1, 2, 3, 4);
        }
        List<PartialSignature> partials = List.of(
                ThresholdBls.signPartial(members.get(0).result().share(), MESSAGE),
                ThresholdBls.signPartial(members.get(2).result().share(), MESSAGE));
        BlsSignature sig = ThresholdBls.combine(members.getFirst().result().group(), MESSAGE, partials).orElseThrow();
        assertThat(Bls.verify(oldGroup.publicKey(), MESSAGE, sig)).isTrue();
        // An old member left out learns the outcome (the same key) but holds no new share.
        assertThat(next.node(1).result().group().publicKey()).isEqualTo(oldGroup.publicKey());
        assertThat(next.node(1).result().share()).isNull();
    }

    @Test
    void dealerResharingAnotherSecretIsRefusedAndTheRestStillHandTheKeyOver() {
        long seed = 33;
        SortedSet<Integer> dealers = new TreeSet<>(List.of(1, 2, 3, 4));
        List<DkgConfig> configs = new ArrayList<>();
        for (int d : dealers) {
            SecretShare share = old.node(d).result().share();
            if (d == 3) {
                // Dealer 3 deals a made-up secret under its own index.
                share = new SecretShare(3, Bls.generate(new SeededEntropy(77)));
            }
            configs.add(DkgConfig.reshare(seed, oldGroup, dealers, share, 3, 2, 0, DkgCluster.PHASE));
        }
        for (int r = 1; r <= 3; r++) {
            configs.add(DkgConfig.reshare(seed, oldGroup, dealers, null, 3, 2, r, DkgCluster.PHASE));
        }
        DkgCluster next = new DkgCluster(configs, seed).run();
        for (DkgCluster.Node m : receivers(next)) {
            assertThat(m.result().qualified()).containsExactly(1, 2, 4);
            assertThat(m.result().group().publicKey()).isEqualTo(oldGroup.publicKey());
            assertThat(m.events(DkgEvent.Rejected.class))
                    .anySatisfy(e -> assertThat(e.reason()).contains("dealer 3 does not reshare its old share"));
        }
        List<DkgCluster.Node> members = receivers(next);
        List<PartialSignature> partials = List.of(
                ThresholdBls.signPartial(members.get(0).result().share(), MESSAGE),
                ThresholdBls.signPartial(members.get(2).result().share(), MESSAGE));
        BlsSignature sig = ThresholdBls.combine(members.getFirst().result().group(), MESSAGE, partials).orElseThrow();
        assertThat(Bls.verify(oldGroup.publicKey(), MESSAGE, sig)).isTrue();
    }

    @Test
    void tooFewOldDealersFailRatherThanInventAKey() {
        DkgCluster next = reshare(List.of(1, 2, 3), 3, 2, 34);
        next.nodes.get(1).offline = true; // old dealer 2 never deals: two remain, three needed
        next.run();
        for (DkgCluster.Node m : receivers(next)) {
            assertThat(m.dkg.result()).isEmpty();
            assertThat(m.events(DkgEvent.Failed.class)).singleElement()
                    .satisfies(f -> assertThat(f.reason()).contains("only 2 dealers qualified, 3 needed"));
        }
    }

    @Test
    void aResharingNeedsAtLeastTheOldThresholdOfDealers() {
        assertThatThrownBy(() -> reshare(List.of(1, 2), 3, 2, 35))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("old threshold");
    }
}
