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

    /**
     * Reads the name until 5 ticketed replicas agree on it (30 s at most): a read that falls on
     * a period's first seconds, while some nodes still answer for the last period, hears fewer.
     */
    private static NameService.Resolution readBack(DhtService reader) throws Exception {
        NameService.Resolution[] last = new NameService.Resolution[1];
        TestRoots.await(() -> {
            try {
                last[0] = reader.nameService().show("placed", false).get(20, TimeUnit.SECONDS);
                return last[0].found() && last[0].agreeing() >= 5;
            } catch (Exception e) {
                return false;
            }
        }, "a read that 5 ticketed replicas agree on", 30);
        return last[0];
    }

    @Test
    @org.junit.jupiter.api.Timeout(300) // the beacon's DKG and first tickets take most of a minute on a loaded machine
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
        NameService.Resolution now = readBack(dhts.get(5));
        assertThat(now.state().owners()).containsExactly(network.nodes().get(0).id());

        // Two periods on, the name sits at another point; the holders handed it on, and a reader that never
        // read it finds it there from replicas whose tickets check under the group key.
        long claimedIn = beacons.stream().mapToLong(b -> b.placement().period()).max().orElseThrow();
        await(() -> beacons.stream().allMatch(b -> b.placement().period() >= claimedIn + 2), "two placement periods pass", 60);
        NameService.Resolution later = readBack(dhts.get(8));
        assertThat(later.state().owners()).as("read %d periods after the first placement", claimedIn + 2 - first)
                .containsExactly(network.nodes().get(0).id());
        assertThat(later.conflicting()).isZero();
    }
}
