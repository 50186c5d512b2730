package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Namespace overlays at CI size: 300 nodes in 10 namespaces under churn and wide-area faults.
 * Every broadcast must reach every member that was live throughout its window, safety must
 * hold, and the same seed must replay the same run. A failure names the command that replays it.
 */
class NamespaceSimulationTest {
    private static NamespaceScenario.Params params(long seed) {
        return NamespaceScenario.Params.defaults(300, 10, seed).withChurn(2.0).withMinutes(4);
    }

    @Test
    void everyLiveMemberReceivesEveryBroadcastUnderChurnAndFaults() {
        NamespaceScenario.Params p = params(7);
        NamespaceScenario.Result r = new NamespaceScenario(p).run();
        String replay = "seed " + p.seed() + "; replay: " + p.replayCommand("/tmp/barn-ns-" + p.seed());
        assertThat(r.violations()).as("safety, " + replay).isEmpty();
        assertThat(r.churnEvents()).as("churn happened, " + replay).isGreaterThan(10);
        assertThat(r.broadcasts()).as("broadcasts judged, " + replay).hasSizeGreaterThan(150);
        assertThat(r.eligible()).as("eligible deliveries, " + replay).isGreaterThan(5000);
        assertThat(r.misses()).as("missed deliveries, " + replay).isEmpty();
        assertThat(r.covered()).as("coverage of live members, " + replay).isEqualTo(r.eligible());
        assertThat(r.joinToFirstMs()).as("rejoins timed, " + replay).isNotEmpty();
        assertThat(NamespaceScenario.Result.percentile(r.hops(), 0.5)).as("median hops, " + replay).isLessThanOrEqualTo(8);
        assertThat(r.redundancy(true)).as("eager copies per receiver, " + replay).isBetween(1.0, 2.0);
        assertThat(r.wallSeconds()).as("wall time").isLessThan(20);
    }

    @Test
    void theSameSeedGivesTheSameTraceHashAndResults() {
        NamespaceScenario.Result a = new NamespaceScenario(params(2026)).run();
        NamespaceScenario.Result b = new NamespaceScenario(params(2026)).run();
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
        assertThat(b.broadcasts()).isEqualTo(a.broadcasts());
        assertThat(b.hops()).isEqualTo(a.hops());
        assertThat(b.latencyMs()).isEqualTo(a.latencyMs());
        assertThat(b.faults()).isEqualTo(a.faults());
        NamespaceScenario.Result c = new NamespaceScenario(params(2027)).run();
        assertThat(c.traceHash()).isNotEqualTo(a.traceHash());
    }
}
