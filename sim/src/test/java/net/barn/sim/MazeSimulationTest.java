package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A maze at CI size: 16 members, cut links, loss and a crash. Among the survivors every
 * message must arrive exactly once, in sender order, and every message of a live sender must
 * reach every survivor; the same seed must replay the same run. A failure names the command
 * that replays it.
 */
class MazeSimulationTest {
    private static MazeScenario.Params params(long seed) {
        return MazeScenario.Params.defaults(16, seed).with(2, 0.03, 6, 1).withRate(8);
    }

    @Test
    void survivorsDeliverEveryMessageExactlyOnceInOrderDespiteCutsLossAndACrash() {
        MazeScenario.Params p = params(7);
        MazeScenario.Result r = new MazeScenario(p).run();
        String replay = "seed " + p.seed() + "; replay: " + p.replayCommand();
        assertThat(r.violations()).as("invariants, " + replay).isEmpty();
        assertThat(r.sent()).as("messages sent, " + replay).isGreaterThan(500);
        assertThat(r.survivorDeliveries()).as("deliveries, " + replay).isEqualTo(r.expectedDeliveries());
        assertThat(r.survivors()).isEqualTo(15);
        assertThat(r.failuresDeclared()).as("the crash was noticed by all, " + replay).isGreaterThanOrEqualTo(14);
        assertThat(r.retransmissions() + r.relayed()).as("repairs happened, " + replay).isPositive();
        assertThat(r.lost()).isZero();
        assertThat(MazeScenario.Result.percentile(r.latencyMs(), 0.5)).as("median latency, " + replay).isLessThan(300);
        assertThat(r.wallSeconds()).as("wall time").isLessThan(15);
    }

    @Test
    void theSameSeedGivesTheSameTraceHash() {
        MazeScenario.Result a = new MazeScenario(params(2026)).run();
        MazeScenario.Result b = new MazeScenario(params(2026)).run();
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
        assertThat(b.latencyMs()).isEqualTo(a.latencyMs());
        assertThat(b.bytes()).isEqualTo(a.bytes());
        MazeScenario.Result c = new MazeScenario(params(2027)).run();
        assertThat(c.traceHash()).isNotEqualTo(a.traceHash());
    }
}
