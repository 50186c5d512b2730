package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BeaconSimulationTest {
    private static BeaconScenario.Result run(int members, int withholding, long seed) {
        BeaconScenario.Params d = BeaconScenario.Params.defaults(members, seed);
        return new BeaconScenario(new BeaconScenario.Params(members, d.threshold(), 3, withholding, seed, d.phaseNanos(),
                d.roundIntervalNanos())).run();
    }

    @Test
    void aCommitteeAgreesOnItsKeyAndEveryMemberOutputsEveryRoundDespiteAMinorityWithholding() {
        BeaconScenario.Result r = run(5, 2, 3); // t = 3: two of five withholding leave exactly enough
        assertThat(r.violations()).isEmpty();
        assertThat(r.dkgAgreed()).isTrue();
        assertThat(r.outputs()).isEqualTo(5 * 3);
        assertThat(r.missed()).isZero();
        assertThat(r.outputsAgreed()).isTrue();
        assertThat(java.util.Arrays.stream(r.roundLatency()).boxed().toList())
                .allSatisfy(l -> assertThat(l).isPositive().isLessThan(3_000_000_000L));
    }

    @Test
    void theCommitteeHandsItsKeyToADisjointCommitteeThatSignsUnderIt() {
        BeaconScenario.Result r = run(5, 0, 4);
        assertThat(r.violations()).isEmpty();
        BeaconScenario.Handover h = r.handover();
        assertThat(h.agreed()).isTrue();
        assertThat(h.signs()).isTrue();
        // Three phases of 2 s, and both sides send something: old members deal, new ones receive and stay quiet.
        assertThat(h.nanos()).isBetween(6_000_000_000L, 7_000_000_000L);
        assertThat(h.oldBytesPerMember()).isGreaterThan(h.newBytesPerMember());
    }

    @Test
    void aWithholdingGroupOfAtLeastTheThresholdSeesTheOutputsAndDeniesThemToEveryoneElse() {
        // t = 3 of 5: the three withholding members still hear the two honest partials, and have
        // their own: they learn every output, the two honest members none (the scheme's limit).
        BeaconScenario.Result r = run(5, 3, 3);
        assertThat(r.outputs()).isEqualTo(3 * 3);
        assertThat(r.missed()).isEqualTo(2 * 3);
    }

    @Test
    void theSameSeedGivesTheSameNetworkTimesAndBytes() {
        BeaconScenario.Result a = run(4, 0, 9);
        BeaconScenario.Result b = run(4, 0, 9);
        assertThat(a.roundLatency()).isEqualTo(b.roundLatency());
        assertThat(a.dkgBytesSentPerMember()).isEqualTo(b.dkgBytesSentPerMember());
        assertThat(a.roundBytesSentPerMember()).isEqualTo(b.roundBytesSentPerMember());
        assertThat(a.handover().nanos()).isEqualTo(b.handover().nanos());
        assertThat(a.handover().oldBytesPerMember()).isEqualTo(b.handover().oldBytesPerMember());
    }
}
