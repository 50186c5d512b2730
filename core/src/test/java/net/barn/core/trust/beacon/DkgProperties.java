package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class DkgProperties {
    @Property(tries = 30)
    void honestMembersAgreeOnTheGroupKey(@ForAll @IntRange(min = 1, max = 6) int n,
            @ForAll @IntRange(min = 1, max = 6) int t, @ForAll long seed) {
        Assume.that(t <= n);
        DkgCluster c = DkgCluster.fresh(n, t, seed).run();
        assertThat(c.groupKeys()).hasSize(1);
        GroupKey group = c.node(1).result().group();
        assertThat(group.threshold()).isEqualTo(t);
        for (DkgCluster.Node node : c.nodes) {
            DkgResult r = node.result();
            assertThat(r.qualified()).hasSize(n);
            assertThat(r.share().publicKey()).isEqualTo(group.publicShare(r.share().index()));
        }
    }
}
