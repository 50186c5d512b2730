package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeterminismTest {
    private static DhtScenario.Result run(long seed) {
        return new DhtScenario(DhtScenario.Params.defaults(150, seed).withMinutes(3, 1).withRates(20, 60)).run();
    }

    @Test
    void theSameSeedGivesTheSameTraceHashAndTheSameResults() {
        DhtScenario.Result a = run(2026);
        DhtScenario.Result b = run(2026);
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
        assertThat(b.samples()).isEqualTo(a.samples());
        assertThat(b.faults()).isEqualTo(a.faults());
    }

    @Test
    void anotherSeedGivesAnotherRun() {
        assertThat(run(2027).traceHash()).isNotEqualTo(run(2026).traceHash());
    }
}
