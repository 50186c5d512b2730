package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The random beacon among in-process nodes: the genesis committee forms, runs its DKG over links, and signs rounds anyone checks. */
class BeaconServiceTest {
    @TempDir
    Path tmp;

    private TestNodes nodes;
    private final TestRoots roots = new TestRoots();

    @AfterEach
    void stop() throws Exception {
        roots.close();
        if (nodes != null) {
            nodes.close();
        }
    }

    private DhtService root(BarnNode node, List<Contact> seeds) throws Exception {
        return roots.root(node, seeds);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what, int seconds) throws Exception {
        TestRoots.await(condition, what, seconds);
    }

    @Test
    void theGenesisCommitteeAgreesOnAGroupKeyAndSignsRoundsThatAnyNodeVerifies() throws Exception {
        nodes = new TestNodes(tmp);
        List<BarnNode> up = new ArrayList<>();
        List<DhtService> dhts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            up.add(nodes.start(70 + i));
        }
        Contact seed = new Contact(up.get(0).id(), up.get(0).invite().addresses().get(0));
        for (int i = 0; i < 6; i++) {
            dhts.add(root(up.get(i), i == 0 ? List.of() : List.of(seed)));
        }
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
    }

}
