package net.barn.core.nat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.nat.PunchPlan.Kind;
import net.barn.core.nat.PunchPlan.Offer;
import net.barn.core.nat.PunchPlan.Reach;
import org.junit.jupiter.api.Test;

class PunchPlanTest {
    private static final Offer PUBLIC = new Offer(Reach.PUBLIC, "10.71.0.1:7000", List.of());
    private static final Offer CONE = new Offer(Reach.CONE, "10.81.0.2:7000", List.of());
    private static final Offer CONE2 = new Offer(Reach.CONE, "10.83.0.2:7000", List.of());
    private static final Offer SYMMETRIC = new Offer(Reach.SYMMETRIC, "10.84.0.2:20417", List.of(20133, 20417, 20962));
    private static final Offer SYMMETRIC2 = new Offer(Reach.SYMMETRIC, "10.82.0.2:41000", List.of(3100, 41000));

    @Test
    void conesDialEachOtherFromTheirListenPorts() {
        PunchPlan.Plan p = PunchPlan.plan(CONE, CONE2, 256, new SplittableRandom(1));
        assertThat(p.kind()).isEqualTo(Kind.DIAL);
        assertThat(p.targets()).containsExactly("10.83.0.2:7000");
        assertThat(p.fromFreshPorts()).isFalse();
    }

    @Test
    void onlyADirectDialBetweenNodesThatBothSpeakQuicHasAUdpHalf() {
        PunchPlan.Plan dial = PunchPlan.plan(CONE, CONE2, 256, new SplittableRandom(1));
        assertThat(PunchPlan.hasUdpHalf(dial, true)).isTrue();
        assertThat(PunchPlan.hasUdpHalf(dial, false)).as("a peer without quic/1").isFalse();
        assertThat(PunchPlan.hasUdpHalf(PunchPlan.plan(SYMMETRIC, CONE, 256, new SplittableRandom(1)), true))
                .as("birthday searches run over TCP only").isFalse();
        // PROTOCOL.md 16.5: ten datagrams, bunched at first, the last at 1.2 s.
        assertThat(PunchPlan.udpPunchMillis()).containsExactly(0, 25, 50, 100, 200, 400, 600, 800, 1000, 1200);
        assertThat(PunchPlan.udpPunchSpanMillis()).isEqualTo(1200);
    }

    @Test
    void aSymmetricSideSpraysFromFreshPortsWhileTheConeSideProbesPredictedPortsAtItsIp() {
        PunchPlan.Plan spray = PunchPlan.plan(SYMMETRIC, CONE, 256, new SplittableRandom(1));
        assertThat(spray.kind()).isEqualTo(Kind.SPRAY);
        assertThat(spray.fromFreshPorts()).isTrue();
        assertThat(spray.targets()).hasSize(256).containsOnly("10.81.0.2:7000");

        PunchPlan.Plan probe = PunchPlan.plan(CONE, SYMMETRIC, 256, new SplittableRandom(1));
        assertThat(probe.kind()).isEqualTo(Kind.PROBE);
        assertThat(probe.fromFreshPorts()).isFalse();
        assertThat(probe.targets()).hasSize(256).doesNotHaveDuplicates().allSatisfy(t -> {
            assertThat(t).startsWith("10.84.0.2:");
            int port = Integer.parseInt(t.substring(t.indexOf(':') + 1));
            // seen 20133..20962, spread 829: the window reaches 1024 (the margin) beyond each end
            assertThat(port).isBetween(20133 - 1024, 20962 + 1024);
        });
    }

    @Test
    void aPublicSideWaitsForASymmetricOneToDialIn() {
        assertThat(PunchPlan.plan(PUBLIC, SYMMETRIC, 256, new SplittableRandom(1)).kind()).isEqualTo(Kind.WAIT);
        PunchPlan.Plan in = PunchPlan.plan(SYMMETRIC, PUBLIC, 256, new SplittableRandom(1));
        assertThat(in.kind()).isEqualTo(Kind.DIAL);
        assertThat(in.targets()).containsExactly("10.71.0.1:7000");
    }

    @Test
    void twoSymmetricNatsStayRelayed() {
        assertThat(PunchPlan.plan(SYMMETRIC, SYMMETRIC2, 256, new SplittableRandom(1)).kind()).isEqualTo(Kind.NONE);
    }

    @Test
    void predictionFindsANatThatMapsFromABlockAndHalfTheTimeOneThatMapsFromTheWholeRange() {
        SplittableRandom rng = new SplittableRandom(7);
        int blockHits = 0;
        int rangeHits = 0;
        int trials = 400;
        for (int t = 0; t < trials; t++) {
            // A NAT allocating 256 random ports from 20000..20999; three of its earlier mappings were seen.
            Set<Integer> block = new HashSet<>();
            while (block.size() < 256) {
                block.add(20000 + rng.nextInt(1000));
            }
            List<Integer> seen = List.of(20000 + rng.nextInt(1000), 20000 + rng.nextInt(1000), 20000 + rng.nextInt(1000));
            if (PunchPlan.predict(seen, 256, rng).stream().anyMatch(block::contains)) {
                blockHits++;
            }
            Set<Integer> whole = new HashSet<>();
            while (whole.size() < 256) {
                whole.add(1024 + rng.nextInt(64512));
            }
            List<Integer> seenWhole = List.of(1024 + rng.nextInt(64512), 1024 + rng.nextInt(64512), 1024 + rng.nextInt(64512));
            if (PunchPlan.predict(seenWhole, 256, rng).stream().anyMatch(whole::contains)) {
                rangeHits++;
            }
        }
        assertThat(blockHits).isEqualTo(trials);
        assertThat(rangeHits / (double) trials).as("1 - e^(-256²/64512) = 0.64 at best").isBetween(0.35, 0.75);
    }

    @Test
    void withNothingSeenTheWholeRangeIsSearched() {
        List<Integer> ports = PunchPlan.predict(List.of(), 2000, new SplittableRandom(3));
        assertThat(ports).hasSize(2000).doesNotHaveDuplicates().allSatisfy(p -> assertThat(p).isBetween(1024, 65535));
        assertThat(ports.stream().mapToInt(Integer::intValue).max().orElseThrow()).isGreaterThan(60000);
        assertThat(ports.stream().mapToInt(Integer::intValue).min().orElseThrow()).isLessThan(6000);
    }
}
