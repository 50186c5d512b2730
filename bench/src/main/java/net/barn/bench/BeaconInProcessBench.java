package net.barn.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BeaconService;
import net.barn.daemon.DhtService;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.store.DataDir;
import net.barn.daemon.store.StateStore;

/**
 * The random beacon among daemons in one process on loopback ({@code barn bench beacon
 * --in-process}): the same nodes, root network and beacon as separate processes, without a JVM
 * (and its compiler) per member, so that 32 or 64 members fit on a small machine. Links still go
 * through sockets on loopback; all members share the process's cores.
 */
final class BeaconInProcessBench {
    private BeaconInProcessBench() {}

    static void run(int members, int rounds, long roundMillis) throws Exception {
        PowParams pow = new PowParams(2, 6);
        Path dir = Files.createTempDirectory("barn-bench-beacon");
        long phaseMillis = 5_000L + 250L * members;
        List<BarnNode> nodes = new ArrayList<>();
        List<DhtService> dhts = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        List<Long> latencies = new CopyOnWriteArrayList<>();
        long t0 = System.currentTimeMillis();
        try {
            for (int i = 0; i < members; i++) {
                NodeConfig config = NodeConfig.defaults(dir.resolve("n" + i), new InetSocketAddress("127.0.0.1", 0)).withPow(pow);
                BarnNode node = BarnNode.start(config, Identity.generate(new SecureRandom(), pow), new SecureRandom());
                open.add(0, node);
                StateStore store = StateStore.open(DataDir.open(config.dataDir()));
                open.add(0, store);
                List<Contact> seeds = new ArrayList<>();
                if (i > 0) {
                    seeds.add(new Contact(nodes.get(0).id(), nodes.get(0).invite().addresses().get(0)));
                    seeds.add(new Contact(nodes.get(i - 1).id(), nodes.get(i - 1).invite().addresses().get(0)));
                }
                DhtService dht = DhtService.start(node, store, DhtConfig.DEFAULT, seeds);
                open.add(0, dht);
                nodes.add(node);
                dhts.add(dht);
            }
            // Everyone looks for the committee at one moment, once the root network has formed.
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline && dhts.stream().anyMatch(d -> table(d) < Math.min(members - 1, 20))) {
                Thread.sleep(200); // polling interval of the wait
            }
            long lookAt = System.currentTimeMillis() + 15_000;
            List<BeaconService> beacons = new ArrayList<>();
            for (DhtService d : dhts) {
                BeaconService b = d.startBeacon(null, new BeaconService.Config(members, lookAt - System.currentTimeMillis(), phaseMillis,
                        roundMillis));
                b.onOutput(o -> latencies.add(System.currentTimeMillis() - o.round() * roundMillis));
                beacons.add(b);
            }
            System.out.printf(Locale.ROOT, "barn bench beacon --in-process: %d daemons in one process on loopback, committee of at "
                    + "most %d (an even draw drops its farthest), rounds of %d ms, DKG phases of %d ms%n", members, members, roundMillis,
                    phaseMillis);
            long end = lookAt + 8 * phaseMillis + (rounds + 4) * roundMillis + 60_000;
            while (System.currentTimeMillis() < end && (beacons.stream().noneMatch(b -> b.status().index() > 0)
                    || beacons.stream().filter(b -> b.status().index() > 0).anyMatch(b -> b.status().outputs() < rounds))) {
                Thread.sleep(500); // polling interval of the wait
            }
            List<BeaconService.Status> in = beacons.stream().map(BeaconService::status).filter(s -> s.index() > 0).toList();
            List<Long> dkg = new ArrayList<>(in.stream().map(BeaconService.Status::dkgMillis).sorted().toList());
            List<Long> lat = new ArrayList<>(latencies);
            Collections.sort(lat);
            double dkgBytes = in.stream().mapToLong(BeaconService.Status::dkgBytesSent).average().orElse(0);
            double roundBytes = in.stream().mapToLong(s -> s.outputs() == 0 ? 0 : s.roundBytesSent() / s.outputs()).average().orElse(0);
            System.out.printf(Locale.ROOT, "committee: %d members, threshold %d; DKG p50 %d ms, max %d ms%n", in.size(),
                    in.isEmpty() ? 0 : in.get(0).threshold(), pct(dkg, 0.5), dkg.isEmpty() ? 0 : dkg.get(dkg.size() - 1));
            System.out.printf(Locale.ROOT, "rounds: %d member outputs; latency from the round's start p50 %d ms, p90 %d ms, max %d ms%n",
                    lat.size(), pct(lat, 0.5), pct(lat, 0.9), lat.isEmpty() ? 0 : lat.get(lat.size() - 1));
            System.out.printf(Locale.ROOT, "sent per member: DKG %.1f KiB, per round %.2f KiB (payload and link framing)%n",
                    dkgBytes / 1024, roundBytes / 1024);
            System.out.printf(Locale.ROOT, "wall time %.0f s%n", (System.currentTimeMillis() - t0) / 1000.0);
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing down; the next one still closes
                }
            }
        }
    }

    private static int table(DhtService d) {
        try {
            return d.stats().get(5, TimeUnit.SECONDS).routingTable();
        } catch (Exception e) {
            return 0;
        }
    }

    private static long pct(List<Long> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }
}
