package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import org.junit.jupiter.api.Test;

/** The random beacon among in-process nodes: the genesis committee forms, runs its DKG over links, and signs rounds anyone checks. */
class BeaconServiceTest extends RootNetworkTest {
    private DhtService root(BarnNode node, List<Contact> seeds) throws Exception {
        return roots.root(node, seeds);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what, int seconds) throws Exception {
        TestRoots.await(condition, what, seconds);
    }

    @Test
    void theGenesisCommitteeAgreesOnAGroupKeyAndSignsRoundsThatAnyNodeVerifies() throws Exception {
        RootNetwork network = rootNetwork(6, 70);
        List<BarnNode> up = network.nodes();
        List<DhtService> dhts = network.roots();
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 3), "the root network forms", 20);
        // A committee of 5 among 6 nodes; each looks for it 3 s after its start.
        BeaconService.Config config = new BeaconService.Config(5, 3000, 500, 1000);
        List<BeaconService> beacons = new ArrayList<>();
        java.nio.file.Files.createDirectories(tmp.resolve("keys"));
        for (int i = 0; i < 6; i++) {
            beacons.add(dhts.get(i).startBeacon(i == 0 ? tmp.resolve("keys") : null, config));
        }
        assertThat(tmp.resolve("keys").resolve(net.barn.daemon.store.BeaconKeyStore.FILE_NAME)).exists();
        ConcurrentHashMap<Long, Set<String>> outputs = new ConcurrentHashMap<>();
        for (BeaconService b : beacons) {
            b.onOutput(o -> outputs.computeIfAbsent(o.round(), r -> ConcurrentHashMap.newKeySet()).add(Arrays.toString(o.randomness())));
        }
        await(() -> beacons.stream().filter(b -> b.status().index() > 0).count() == 5
                && beacons.stream().allMatch(b -> b.status().members() == 5), "everyone draws the same committee of 5", 30);
        await(() -> beacons.stream().filter(b -> b.status().outputs() >= 3).count() == 5, "the members sign three rounds", 40);
        // Every member that output a round output the same value for it.
        assertThat(outputs.values()).isNotEmpty().allSatisfy(values -> assertThat(values).hasSize(1));
        Set<Integer> indices = new HashSet<>();
        beacons.stream().filter(b -> b.status().index() > 0).forEach(b -> indices.add(b.status().index()));
        assertThat(indices).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        // A node outside the committee asks members for the newest round and checks it against the group key.
        BeaconService outsider = beacons.stream().filter(b -> b.status().index() == 0).findFirst().orElseThrow();
        BeaconService.Verified v = outsider.latest(3).get(20, TimeUnit.SECONDS);
        assertThat(v.agreeing()).isEqualTo(3);
        assertThat(outputs.get(v.round())).containsExactly(Arrays.toString(v.randomness()));
        // The node that keeps its beacon key on disk keeps its presence ticket beside it, for a restart.
        await(() -> beacons.get(0).presenceTicket() != null, "the first node gets its presence ticket", 30);
        await(() -> net.barn.daemon.store.BeaconKeyStore.loadTicket(tmp.resolve("keys")).isValid(), "the ticket is on disk", 10);
        assertThat(net.barn.daemon.store.BeaconKeyStore.loadTicket(tmp.resolve("keys")).orElseThrow().epoch())
                .isLessThanOrEqualTo(beacons.get(0).presenceTicket().epoch());
    }

    /** Committees of 3 (threshold 2), 15 s epochs of 500 ms rounds, phases of 800 ms. */
    private static final BeaconService.Config SHORT_EPOCHS = new BeaconService.Config(3, 3000, 800, 500, 30);
    private List<BarnNode> nodesOfLastNetwork;
    private List<DhtService> rootsOfLastNetwork;

    /** Nine nodes on a root network (test ports from {@code firstPort}), each running the beacon with {@link #SHORT_EPOCHS}. */
    private List<BeaconService> committeesOfThreeAmongNine(int firstPort) throws Exception {
        RootNetwork network = rootNetwork(9, firstPort);
        nodesOfLastNetwork = network.nodes();
        List<DhtService> dhts = network.roots();
        rootsOfLastNetwork = dhts;
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 4), "the root network forms", 20);
        List<BeaconService> beacons = new ArrayList<>();
        for (DhtService d : dhts) {
            beacons.add(d.startBeacon(null, SHORT_EPOCHS));
        }
        return beacons;
    }

    @Test
    void theNextEpochsCommitteeTakesOverTheGroupKeyAndOutsidersFollowIt() throws Exception {
        // A seed round 14 rounds before each epoch's end draws the next committee, which differs
        // from the last most of the time.
        List<BeaconService> beacons = committeesOfThreeAmongNine(90);
        BeaconService.Config config = SHORT_EPOCHS;
        ConcurrentHashMap<Long, Set<String>> outputs = new ConcurrentHashMap<>();
        ConcurrentHashMap<Long, Set<Integer>> signers = new ConcurrentHashMap<>();
        for (int i = 0; i < beacons.size(); i++) {
            int who = i;
            beacons.get(i).onOutput(o -> {
                outputs.computeIfAbsent(o.round(), r -> ConcurrentHashMap.newKeySet()).add(Arrays.toString(o.randomness()));
                signers.computeIfAbsent(o.epoch(), r -> ConcurrentHashMap.newKeySet()).add(who);
            });
        }
        await(() -> beacons.stream().filter(b -> b.status().index() > 0).count() == 3
                && beacons.stream().allMatch(b -> b.status().outputs() >= 1 || b.status().index() == 0)
                && beacons.stream().filter(b -> b.status().outputs() >= 1).count() == 3, "the genesis committee signs", 40);
        Set<Integer> genesis = new HashSet<>();
        for (int i = 0; i < beacons.size(); i++) {
            if (beacons.get(i).status().index() > 0) {
                genesis.add(i);
            }
        }
        BeaconService outsider = null;
        for (int i = 0; i < beacons.size() && outsider == null; i++) {
            if (!genesis.contains(i)) {
                outsider = beacons.get(i);
            }
        }
        BeaconService.Verified before = outsider.latest(3).get(20, TimeUnit.SECONDS);
        // A node outside the genesis committee comes to sign rounds: the key was handed to it.
        await(() -> {
            for (int i = 0; i < beacons.size(); i++) {
                BeaconService.Status st = beacons.get(i).status();
                if (!genesis.contains(i) && st.index() > 0 && st.handovers() >= 1 && st.outputs() >= 2) {
                    return true;
                }
            }
            return false;
        }, "a committee drawn from a later seed signs", 60);
        long handedAt = beacons.stream().mapToLong(b -> b.status().epoch()).max().orElseThrow();
        // Every node that output a round output the same value for it, before and after the handover.
        assertThat(outputs.values()).isNotEmpty().allSatisfy(values -> assertThat(values).hasSize(1));
        // At most one committee of 3 signs each epoch (a member in two committees counts once).
        assertThat(signers.values()).allSatisfy(who -> assertThat(who.size()).isLessThanOrEqualTo(3));
        // The outsider's view follows the handovers, and the newest round verifies under the same group key.
        BeaconService o = outsider;
        await(() -> {
            try {
                BeaconService.Verified v = o.latest(3).get(20, TimeUnit.SECONDS);
                return v.epoch() >= handedAt && v.round() > before.round();
            } catch (Exception e) {
                return false;
            }
        }, "the outsider verifies a round of the new committee's epoch", 30);
        // It keeps getting presence tickets, now from the committee the key was handed to.
        await(() -> o.presenceTicket() != null && o.presenceTicket().epoch() >= handedAt, "the outsider holds a ticket of a later epoch", 40);
        BeaconService.Verified after = outsider.latest(3).get(20, TimeUnit.SECONDS);
        assertThat(after.groupKeyHex()).isEqualTo(before.groupKeyHex());
        assertThat(outputs.get(after.round())).containsExactly(Arrays.toString(after.randomness()));
        // Namespace stewards take the beacon's epochs: the outsider fetches the current epoch's
        // seed-round output from the committee, the same value the members output.
        await(() -> {
            EpochSeeds.Epoch ep = o.epochSeeds().current();
            long now = System.currentTimeMillis() / config.roundMillis() / config.epochRounds();
            Set<String> seedOutput = outputs.get(BeaconService.seedRound(config, ep.number()));
            return ep.number() == now && seedOutput != null && seedOutput.contains(Arrays.toString(ep.seed()));
        }, "the outsider holds the current epoch's seed", 20);
        // Old members that were not drawn again hold no share any more.
        // (Sampled between handovers: a handover every 15 s briefly moves shares from old to new members.)
        await(() -> beacons.stream().filter(b -> b.status().index() > 0).count() == 3, "exactly 3 nodes hold a share", 30);
    }

    @Test
    void aCommitteeThatLosesItsThresholdIsReplacedByARecoveryCommitteeWithANewKey() throws Exception {
        List<BeaconService> beacons = committeesOfThreeAmongNine(120);
        List<BarnNode> up = nodesOfLastNetwork;
        await(() -> beacons.stream().filter(b -> b.status().index() > 0 && b.status().outputs() >= 1).count() == 3,
                "the genesis committee signs", 40);
        // Every node sees it alive (outsiders look every 8 rounds until they have).
        BeaconService outsider = null;
        for (BeaconService b : beacons) {
            if (b.status().index() == 0 && outsider == null) {
                outsider = b;
            }
        }
        BeaconService o = outsider;
        String firstKey = o.latest(3).get(20, TimeUnit.SECONDS).groupKeyHex();
        // Two of the three members crash: one member is left, under the threshold; rounds stop.
        List<Integer> crashed = new ArrayList<>();
        for (int i = 0; i < beacons.size() && crashed.size() < 2; i++) {
            if (beacons.get(i).status().index() > 0) {
                crashed.add(i);
            }
        }
        for (int i : crashed) {
            up.get(i).close();
        }
        // After an epoch of silence every node draws the recovery committee, which runs a fresh
        // DKG: a new group key, whose rounds any node verifies.
        await(() -> {
            try {
                BeaconService.Verified v = o.latest(3).get(20, TimeUnit.SECONDS);
                return !v.groupKeyHex().equals(firstKey);
            } catch (Exception e) {
                return false;
            }
        }, "an outsider verifies a round under the recovery committee's new key", 90);
        // At least the threshold of the recovery committee is live and signs (a crashed node's key
        // record outlives it, so it can be drawn; the threshold covers it).
        await(() -> java.util.stream.IntStream.range(0, beacons.size()).filter(i -> !crashed.contains(i))
                .filter(i -> beacons.get(i).status().index() > 0 && beacons.get(i).status().outputs() > 0).count() >= 2,
                "at least the threshold (2) of live recovery members output rounds", 30);
    }

    @Test
    void nodesGetPresenceTicketsAndADrawAfterGenesisTakesOnlyIdsWithATicketFromBeforeTheDrawnEpoch() throws Exception {
        List<BeaconService> beacons = committeesOfThreeAmongNine(180);
        List<DhtService> dhts = rootsOfLastNetwork;
        // Every node, member or not, gets its ticket from the genesis committee and publishes it with its key.
        await(() -> beacons.stream().allMatch(b -> b.presenceTicket() != null), "every node holds a presence ticket", 60);
        long newest = beacons.stream().mapToLong(b -> b.presenceTicket().epoch()).max().orElseThrow();
        long oldest = beacons.stream().mapToLong(b -> b.presenceTicket().epoch()).min().orElseThrow();
        BeaconService any = beacons.get(0);
        net.barn.core.trust.beacon.BlsPublicKey group = net.barn.core.trust.beacon.BlsPublicKey.decode(
                java.util.HexFormat.of().parseHex(any.latest(3).get(20, TimeUnit.SECONDS).groupKeyHex())).orElseThrow();
        CommitteeDraw draw = new CommitteeDraw(nodesOfLastNetwork.get(0), dhts.get(0), 9);
        byte[] seed = new byte[32];
        // Without an age (genesis) all nine are candidates.
        await(() -> drawn(draw, seed, newest + 1, null) == 9, "all nine drawn at genesis", 30);
        // With an age, the nodes whose ticket record is in count: all of them, once published (8 of 9 if one is still on its way).
        await(() -> drawn(draw, seed, newest + 1, new CommitteeDraw.Age(group, 24)) >= 8,
                "the ticket holders drawn for the next epoch", 30);
        // A ticket does not serve its own epoch or an earlier one: ids must be present before the seed is known.
        assertThat(draw.draw(seed, oldest, new CommitteeDraw.Age(group, 24)).get(30, TimeUnit.SECONDS).committee()).isEmpty();
        // Tickets older than the window do not count; nor do tickets checked under another group key.
        assertThat(draw.draw(seed, newest + 30, new CommitteeDraw.Age(group, 24)).get(30, TimeUnit.SECONDS).committee()).isEmpty();
        var stranger = net.barn.core.trust.beacon.Bls.generate(new java.security.SecureRandom()).publicKey();
        assertThat(draw.draw(seed, newest + 1, new CommitteeDraw.Age(stranger, 24)).get(30, TimeUnit.SECONDS).committee()).isEmpty();
    }

    private static int drawn(CommitteeDraw draw, byte[] seed, long epoch, CommitteeDraw.Age age) {
        try {
            return draw.draw(seed, epoch, age).get(30, TimeUnit.SECONDS).committee().size();
        } catch (Exception e) {
            return -1;
        }
    }
}
