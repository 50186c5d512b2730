package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Placement;
import net.barn.wire.names.NamePolicy;
import org.junit.jupiter.api.Test;

/**
 * Salted placement of names among daemons (PROTOCOL 11.8): once the beacon salts a placement
 * period, every node places names at their points, shows its real presence ticket in its
 * answers and checks the others' under the group key; a name claimed in one period reads back
 * in later ones, after its holders handed it on.
 */
class PlacedNamesTest extends RootNetworkTest {
    /** Committees of 3, 15 s epochs of 500 ms rounds, and a placement period of one epoch: names move every 15 s. */
    private static final BeaconService.Config EVERY_EPOCH = new BeaconService.Config(3, 3000, 800, 500, 30).withPlacementEpochs(1);

    private static void await(java.util.function.BooleanSupplier condition, String what, int seconds) throws Exception {
        TestRoots.await(condition, what, seconds);
    }

    private static boolean placedWithTicket(BeaconService b, long fromPeriod) {
        Placement p = b.placement();
        return p != null && p.period() >= fromPeriod && p.holdsTicket() && p.previousSalt() != null;
    }

    @Test
    void aNameClaimedInOnePlacementPeriodReadsBackFromTicketedReplicasInLaterOnes() throws Exception {
        RootNetwork network = rootNetwork(9, 200);
        List<DhtService> dhts = network.roots();
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 4), "the root network forms", 20);
        List<BeaconService> beacons = new ArrayList<>();
        for (DhtService d : dhts) {
            beacons.add(d.startBeacon(null, EVERY_EPOCH));
        }
        await(() -> beacons.stream().allMatch(b -> placedWithTicket(b, Long.MIN_VALUE)),
                "every node places names, with a presence ticket from before the period", 120);
        long first = beacons.stream().mapToLong(b -> b.placement().period()).max().orElseThrow();
        assertThat(beacons.get(4).describe()).contains("names placed for period").contains("among the ticketed");
        for (DhtService d : dhts) {
            assertThat(d.placement().get(5, TimeUnit.SECONDS)).as("the root network's placement").isNotNull();
        }

        NameService.Outcome claimed = dhts.get(0).nameService().claim("placed", new NameService.ClaimTerms(
                30 * NameService.DAY_MILLIS, List.of(), 1, NamePolicy.getDefaultInstance())).get(90, TimeUnit.SECONDS);
        assertThat(claimed.stored()).as("replicas that stored the claim; refusals: %s", claimed.refused()).isGreaterThanOrEqualTo(5);
        NameService.Resolution now = dhts.get(5).nameService().show("placed", false).get(60, TimeUnit.SECONDS);
        assertThat(now.found()).isTrue();
        assertThat(now.state().owners()).containsExactly(network.nodes().get(0).id());
        assertThat(now.agreeing()).as("ticketed replicas agreeing").isGreaterThanOrEqualTo(5);

        // Two periods on, the name sits at another point; the holders handed it on, and a reader that never
        // read it finds it there from replicas whose tickets check under the group key.
        long claimedIn = beacons.stream().mapToLong(b -> b.placement().period()).max().orElseThrow();
        await(() -> beacons.stream().allMatch(b -> placedWithTicket(b, claimedIn + 2)), "two placement periods pass", 60);
        NameService.Resolution later = dhts.get(8).nameService().show("placed", false).get(60, TimeUnit.SECONDS);
        assertThat(later.found()).as("read %d periods after the first placement", claimedIn + 2 - first).isTrue();
        assertThat(later.state().owners()).containsExactly(network.nodes().get(0).id());
        assertThat(later.agreeing()).isGreaterThanOrEqualTo(5);
        assertThat(later.conflicting()).isZero();
    }
}
