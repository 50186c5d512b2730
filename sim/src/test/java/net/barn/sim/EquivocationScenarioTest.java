package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Equivocators are found out and excluded network-wide within seconds, and frame nobody. */
class EquivocationScenarioTest {
    private static EquivocationScenario.Result run(long seed) {
        return new EquivocationScenario(EquivocationScenario.Params.defaults(400, seed).withAdversary(0.03).withMinutes(6)).run();
    }

    @Test
    void evidenceExcludesEveryDetectedOffenderAtNearlyEveryHonestNodeAndCutsItsSuccess() {
        EquivocationScenario.Result r = run(1);
        EquivocationScenario.summary(r, System.out);
        String replay = r.params().replayCommand();
        assertThat(r.adversaries()).isEqualTo(12);
        // Detection is by chance (a read hearing both versions); an offender starting late may go unseen.
        assertThat(r.undetected()).as(replay).isLessThanOrEqualTo(1);
        int detected = r.adversaries() - r.undetected();
        assertThat(r.secondsTo99()).as(replay).hasSize(detected);
        assertThat(r.p99SecondsTo99()).as(replay).isLessThan(5);
        assertThat(r.coverageByMinute()[r.coverageByMinute().length - 1]).as(replay)
                .isGreaterThan(0.95 * detected / r.adversaries());
        // Without the defence every read of an offender's record takes one of its two values.
        assertThat(r.undefended().successShare()).isEqualTo(1.0);
        assertThat(r.defended().successShare()).as(replay).isLessThan(0.5);
        assertThat(r.defended().acceptedAfterEvidenceReached()).isZero();
        assertThat(r.defended().successAfterDetection()).as(replay).isLessThan(0.02);
        // Forged evidence framing honest nodes is refused and reported, and excludes no one.
        assertThat(r.fakesSent()).isPositive();
        assertThat(r.fakesReported()).isEqualTo(r.fakesSent());
        assertThat(r.falselyExcluded()).isZero();
    }

    @Test
    void theSameSeedGivesTheSameResult() {
        assertThat(run(5).fingerprint()).isEqualTo(run(5).fingerprint());
        assertThat(run(5).fingerprint()).isNotEqualTo(run(6).fingerprint());
    }

    @Test
    void theSummaryEndsWithTheReplayCommand() {
        EquivocationScenario.Result r = run(2);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        EquivocationScenario.summary(r, new PrintStream(b, true, StandardCharsets.UTF_8));
        String text = b.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("first evidence to 99% of honest nodes")
                .contains("replay: bin/barn sim attack --kind equivocate --adversary 0.03 --nodes 400 --seed 2");
    }
}
