package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Colluding ids attack held and in-flight names; no honest read may end up with an attacker as owner. */
class NameAttackScenarioTest {
    private static NameAttackScenario.Result run(double malicious, long seed) {
        return new NameAttackScenario(NameAttackScenario.Params.defaults(400, seed).with(malicious, 8, 60, 0.1)).run();
    }

    @Test
    void aFifthOfTheIdsColludingTakeNoNameInAnyTrial() {
        NameAttackScenario.Result r = run(0.2, 3);
        assertThat(r.claimed()).as("honest claims").isGreaterThanOrEqualTo(8);
        assertThat(r.trials()).isGreaterThanOrEqualTo(55);
        assertThat(r.violations()).as("replay: %s", r.params().replayCommand("/tmp/names")).isEmpty();
        assertThat(r.successes()).isZero();
        // The colluders were at work: honest reads saw their forgeries and flagged them.
        assertThat(r.tallies().values().stream().mapToInt(NameAttackScenario.Tally::readsFlaggingConflict).sum()).isPositive();
        // And no honest replica took a forgery: holders refuse them, empty replicas ask the others first.
        assertThat(r.tallies().values().stream().mapToInt(NameAttackScenario.Tally::honestReplicasStoringForgery).sum()).isZero();
    }

    @Test
    void aColludingMajorityDoesTakeNamesSoTheCheckCanFail() {
        NameAttackScenario.Result r = run(0.7, 3);
        assertThat(r.successes()).isPositive();
        assertThat(r.violations()).isNotEmpty();
    }
}
