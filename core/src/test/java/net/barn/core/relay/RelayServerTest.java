package net.barn.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** The relay's reservations, circuits, limits and shedding, and how clients choose relays. */
class RelayServerTest {
    private static final long S = 1_000_000_000L;

    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) (i >> 8);
        b[1] = (byte) i;
        return NodeId.of(b);
    }

    private static RelayConfig small() {
        return new RelayConfig(4, 3, 2, 2, 60 * S, 1000, 30 * S, 0.9, 0.5);
    }

    @Test
    void reservesRenewsAndRefusesBeyondItsLimitsWithReasons() {
        RelayServer r = new RelayServer(small());
        assertThat(r.reserve(0, id(1), "10.1")).isInstanceOf(RelayServer.Reserved.class);
        assertThat(r.reserve(0, id(2), "10.1")).isInstanceOf(RelayServer.Reserved.class);
        assertThat(r.reserve(0, id(3), "10.1")).isEqualTo(new RelayServer.Refused("at most 2 reservations for one network"));
        assertThat(r.reserve(0, id(3), "10.2")).isInstanceOf(RelayServer.Reserved.class);
        RelayServer.Reserved fourth = (RelayServer.Reserved) r.reserve(0, id(4), "10.3");
        assertThat(fourth.spare()).isZero();
        assertThat(r.reserve(0, id(5), "10.4")).isEqualTo(new RelayServer.Refused("relay full: 4 reservations held"));
        // A renewal is not a new reservation, and moves the expiry on.
        RelayServer.Reserved renewed = (RelayServer.Reserved) r.reserve(30 * S, id(1), "10.1");
        assertThat(renewed.expiresAt()).isEqualTo(90 * S);
        r.expire(61 * S);
        assertThat(r.holds(id(2))).isFalse();
        assertThat(r.holds(id(1))).isTrue();
        assertThat(r.refusals()).isEqualTo(2);
    }

    @Test
    void circuitsGoOnlyToReservedNodesAndCloseAtTheirLimits() {
        RelayServer r = new RelayServer(small());
        r.reserve(0, id(1), "10.1");
        assertThat(r.connect(0, id(9), id(2))).isEqualTo(new RelayServer.Refused("no reservation for " + id(2).shortForm()
                + " at this relay"));
        RelayServer.Opened c = (RelayServer.Opened) r.connect(0, id(9), id(1));
        assertThat(c.bytes()).isEqualTo(1000);
        assertThat(r.carried(S, c.circuit(), 600)).isNull();
        assertThat(r.carried(S, c.circuit(), 600)).isEqualTo("circuit carried its 1000 bytes");
        assertThat(r.circuits()).isZero();
        RelayServer.Opened d = (RelayServer.Opened) r.connect(0, id(9), id(1));
        assertThat(r.connect(0, id(8), id(1))).isInstanceOf(RelayServer.Opened.class);
        assertThat(r.connect(0, id(7), id(1))).isEqualTo(new RelayServer.Refused("at most 2 circuits per node"));
        assertThat(r.expire(31 * S)).contains(d.circuit());
        assertThat(r.connect(31 * S, id(1), id(1))).isEqualTo(new RelayServer.Refused("a circuit to oneself"));
    }

    @Test
    void memberCircuitsNeedNoReservationAndHaveNoLimitsButCountTowardTheCaps() {
        RelayServer r = new RelayServer(small());
        RelayServer.Opened m = (RelayServer.Opened) r.connectMembers(0, id(9), id(2));
        assertThat(m.bytes()).isEqualTo(Long.MAX_VALUE);
        assertThat(r.carried(S, m.circuit(), 1_000_000)).as("far past a public circuit's 1000 bytes").isNull();
        assertThat(r.expire(365 * 24 * 3600 * S)).doesNotContain(m.circuit());
        assertThat(r.connectMembers(0, id(8), id(2))).isInstanceOf(RelayServer.Opened.class);
        assertThat(r.connectMembers(0, id(7), id(2))).isEqualTo(new RelayServer.Refused("at most 2 circuits per node"));
        assertThat(r.connectMembers(0, id(2), id(2))).isEqualTo(new RelayServer.Refused("a circuit to oneself"));
    }

    @Test
    void aRelayAboveItsHighWaterShedsItsNewestReservationsAndNamesThem() {
        RelayServer r = new RelayServer(new RelayConfig(10, 10, 10, 2, 600 * S, 1000, 30 * S, 0.8, 0.5));
        for (int i = 0; i < 9; i++) {
            r.reserve(i * S, id(i), "g" + i);
        }
        assertThat(r.shed(10 * S)).containsExactly(id(8), id(7), id(6), id(5));
        assertThat(r.reservations()).isEqualTo(5);
        assertThat(r.shed(11 * S)).isEmpty();
        assertThat(r.spare()).isEqualTo(0.5);
        assertThat(r.reserve(12 * S, id(8), "g8")).isEqualTo(new RelayServer.Refused(
                "this relay shed your reservation: it is near its limits, move to another"));
        assertThat(r.reserve(12 * S, id(20), "g20")).isInstanceOf(RelayServer.Reserved.class);
    }

    @Test
    void choosingByUtilisationSpreadsClientsInProportionToCapacity() {
        // 20 relays, half with 4 times the capacity; each client asks, and the relays answer their current load.
        List<Integer> capacity = new ArrayList<>();
        Map<NodeId, Integer> load = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            capacity.add(i < 10 ? 32 : 128);
        }
        RelayChooser chooser = new RelayChooser(new SplittableRandom(1));
        for (int client = 0; client < 800; client++) {
            List<RelayChooser.Candidate> relays = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                double used = load.getOrDefault(id(i), 0);
                relays.add(new RelayChooser.Candidate(id(i), "g" + i, 1 - used / capacity.get(i), capacity.get(i), 50_000_000L));
            }
            for (RelayChooser.Candidate c : chooser.choose(relays, Set.of(), Set.of(), 2)) {
                load.merge(c.id(), 1, Integer::sum);
            }
        }
        double[] util = new double[20];
        for (int i = 0; i < 20; i++) {
            util[i] = load.getOrDefault(id(i), 0) / (double) capacity.get(i);
        }
        double mean = java.util.Arrays.stream(util).average().orElseThrow();
        double max = java.util.Arrays.stream(util).max().orElseThrow();
        assertThat(max / mean).as("max over mean utilisation").isLessThan(1.5);
        assertThat(load.get(id(15))).as("a large relay carries more").isGreaterThan(2 * load.get(id(5)));
    }

    @Test
    void nearerRelaysArePreferredWhenLoadsAreEqual() {
        List<RelayChooser.Candidate> relays = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            relays.add(new RelayChooser.Candidate(id(i), "g" + i, 1.0, 64, (i + 1) * 10_000_000L));
        }
        RelayChooser chooser = new RelayChooser(new SplittableRandom(3));
        for (int t = 0; t < 100; t++) {
            assertThat(chooser.choose(relays, Set.of(), Set.of(), 2)).allMatch(c -> c.rttNanos() <= 100_000_000L);
        }
    }

    @Test
    void choosingAvoidsFullRelaysExcludedOnesAndSharedNetworks() {
        List<RelayChooser.Candidate> relays = List.of(new RelayChooser.Candidate(id(1), "a", 0.0, 8, 1),
                new RelayChooser.Candidate(id(2), "b", 0.5, 8, 1), new RelayChooser.Candidate(id(3), "b", 0.9, 8, 1),
                new RelayChooser.Candidate(id(4), "c", 0.9, 8, 1));
        RelayChooser chooser = new RelayChooser(new SplittableRandom(2));
        for (int i = 0; i < 50; i++) {
            List<RelayChooser.Candidate> got = chooser.choose(relays, Set.of(id(4)), Set.of(), 3);
            assertThat(got).hasSize(1).allMatch(c -> c.group().equals("b"));
        }
        assertThat(chooser.choose(relays, Set.of(), Set.of("b", "c"), 2)).isEmpty();
    }

    @Test
    void atTwoReservationsPerRelaySmallRelaysStillCarryTheirShare() {
        // 40 relays of 32 and 40 of 256 slots, 240 reservations: a fair share of 0.67 for a small
        // relay and 5.3 for a large one. Ranking by (used + 1) / capacity would leave every small
        // relay empty (1/32 > 7/256); the Webster quotient gives nearly all of them one each.
        List<Integer> capacity = new ArrayList<>();
        Map<NodeId, Integer> load = new HashMap<>();
        for (int i = 0; i < 80; i++) {
            capacity.add(i % 2 == 0 ? 32 : 256);
        }
        RelayChooser chooser = new RelayChooser(new SplittableRandom(5));
        for (int client = 0; client < 120; client++) {
            List<RelayChooser.Candidate> relays = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                double used = load.getOrDefault(id(i), 0);
                long rtt = 10_000_000L + Math.floorMod((client * 31 + i) * 2654435761L, 90) * 1_000_000L; // each client its own view
                relays.add(new RelayChooser.Candidate(id(i), "g" + i, 1 - used / capacity.get(i), capacity.get(i), rtt));
            }
            for (RelayChooser.Candidate c : chooser.choose(relays, Set.of(), Set.of(), 2)) {
                load.merge(c.id(), 1, Integer::sum);
            }
        }
        java.util.function.IntPredicate small = i -> i % 2 == 0;
        long smallUsed = java.util.stream.IntStream.range(0, 80).filter(small).filter(i -> load.containsKey(id(i))).count();
        assertThat(smallUsed).as("small relays holding a reservation").isGreaterThanOrEqualTo(30);
        assertThat(java.util.stream.IntStream.range(0, 80).filter(small).map(i -> load.getOrDefault(id(i), 0)).max().orElseThrow())
                .as("small relays hold at most two while large ones have room").isLessThanOrEqualTo(2);
    }

    @Test
    void aNodeMovesOnlyToAClearlyEmptierRelayAndNeverBackAgain() {
        RelayChooser.Candidate smallWithIt = new RelayChooser.Candidate(id(1), "a", 1 - 1 / 32.0, 32, 1);
        RelayChooser.Candidate largeAtFive = new RelayChooser.Candidate(id(2), "b", 1 - 5 / 256.0, 256, 1);
        RelayChooser.Candidate largeAtNine = new RelayChooser.Candidate(id(3), "c", 1 - 9 / 256.0, 256, 1);
        RelayChooser.Candidate smallEmpty = new RelayChooser.Candidate(id(4), "d", 1.0, 32, 1);
        assertThat(RelayChooser.worthMoving(smallWithIt, largeAtFive)).as("1 of 32 against 6 of 256").isFalse();
        assertThat(RelayChooser.worthMoving(largeAtNine, smallEmpty)).as("9 of 256 against 1 of 32").isTrue();
        // After that move the small relay holds it (1 of 32) and the large one 8: moving back is not worth it.
        RelayChooser.Candidate smallNow = new RelayChooser.Candidate(id(4), "d", 1 - 1 / 32.0, 32, 1);
        RelayChooser.Candidate largeNow = new RelayChooser.Candidate(id(3), "c", 1 - 8 / 256.0, 256, 1);
        assertThat(RelayChooser.worthMoving(smallNow, largeNow)).isFalse();
    }
}
