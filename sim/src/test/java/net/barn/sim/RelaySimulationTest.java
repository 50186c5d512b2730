package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The relay simulation at CI size: NAT'd nodes stay reachable through churn, load follows capacity, runs repeat. */
class RelaySimulationTest {
    private static RelayScenario.Result run(long seed) {
        return new RelayScenario(new RelayScenario.Params(2000, seed, 0.8, 0.4, 20, 1.0, 2, 30, 500)).run();
    }

    @Test
    void natNodesStayReachableThroughRelayChurnAndLoadFollowsCapacity() {
        RelayScenario.Result r = run(7);
        assertThat(r.reachableShare()).as("reachable node-time with 100%/h relay churn").isGreaterThanOrEqualTo(0.999);
        assertThat(r.worstMinute()).isEqualTo(1.0);
        assertThat(r.maxOverMean()).as("max/mean utilisation").isLessThan(2.0);
        // Larger relays carry more: the busiest 256-slot relay holds more than any 32-slot one.
        int max32 = r.byClass().get(32).lastKey();
        int max256 = r.byClass().get(256).lastKey();
        assertThat(max256).isGreaterThan(2 * max32);
        assertThat(r.punchSuccess()[0]).isGreaterThan(r.punchSuccess()[1]);
        assertThat(r.punchSuccess()[2]).isLessThan(0.05);
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        RelayScenario.Result a = run(11);
        RelayScenario.Result b = run(11);
        assertThat(a.minutes()).isEqualTo(b.minutes());
        assertThat(a.finalLoads()).isEqualTo(b.finalLoads());
        assertThat(a.punchSuccess()).isEqualTo(b.punchSuccess());
    }
}
