package net.barn.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The random beacon among daemons in separate processes on loopback: every node publishes its
 * beacon key, the genesis committee (all of them here) forms, runs its DKG over links and signs
 * rounds. Reports the DKG time, round latency (from the round's wall-clock start to the output
 * at each member) and bytes sent per member. All processes share this machine's cores, so the
 * CPU of every member adds up here where, in a network, each member has its own.
 */
public final class BeaconBench {
    private BeaconBench() {}

    record Stats(int index, int members, long dkgMillis, long dkgBytes, long roundBytes, long outputs) {}

    public static void run(int members, int rounds, long roundMillis, boolean inProcess) throws Exception {
        if (members < 2 || members > 64 || rounds < 1 || rounds > 100 || roundMillis < 500) {
            throw new IllegalArgumentException("--members 2..64, --rounds 1..100, --round-ms >= 500");
        }
        if (inProcess) {
            BeaconInProcessBench.run(members, rounds, roundMillis);
            return;
        }
        net.barn.core.identity.PowParams pow = new net.barn.core.identity.PowParams(2, 6);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("barn-bench-beacon");
        // Everyone looks for the committee at one moment, once all daemons are up and the root
        // network has had time to form (a daemon that starts later re-draws it; that is not
        // what is measured here).
        // Every member's DKG messages must arrive, and be checked, within a phase; here all members
        // share two cores, so phases grow with the committee (the daemon's default is 10 s).
        long phaseMillis = 10_000L + 1_000L * members;
        long lookAt = System.currentTimeMillis() + 30_000L + 5_000L * members;
        List<PeerProcess> peers = new ArrayList<>();
        List<Long> latencies = new CopyOnWriteArrayList<>();
        Map<Integer, Stats> stats = new ConcurrentHashMap<>();
        long t0 = System.currentTimeMillis();
        try {
            for (int i = 0; i < members; i++) {
                List<String> args = new ArrayList<>(List.of(pow.toString(), dir.resolve("n" + i + ".sock").toString(), "dht"));
                if (!peers.isEmpty()) {
                    args.add(peers.get(0).invite().toString());
                    if (peers.size() > 1) {
                        args.add(peers.get(peers.size() - 1).invite().toString());
                    }
                }
                long startMillis = Math.max(5_000, lookAt - System.currentTimeMillis());
                String spec = members + "," + startMillis + "," + phaseMillis + "," + roundMillis;
                PeerProcess p = PeerProcess.start("b" + i, List.of("-Xmx256m", "-XX:+UseSerialGC", "-Dbarn.bench.beacon=" + spec), args);
                peers.add(p);
                int peer = i;
                Thread.ofPlatform().daemon().start(() -> read(p, peer, latencies, stats));
            }
            System.out.printf(Locale.ROOT, "barn bench beacon: %d daemons on loopback, committee of %d, threshold %d, rounds of %d ms%n",
                    members, members, members / 2 + 1, roundMillis);
            // The DKG starts up to two phase boundaries after the draw, then runs three phases.
            long deadline = lookAt + 5 * phaseMillis + (rounds + 4) * roundMillis + 120_000;
            while (System.currentTimeMillis() < deadline
                    && (stats.size() < members || stats.values().stream().anyMatch(s -> s.outputs() < rounds))) {
                Thread.sleep(500); // polling interval of the wait
            }
        } finally {
            for (PeerProcess p : peers) {
                p.close();
            }
        }
        List<Stats> all = new ArrayList<>(stats.values());
        long inCommittee = all.stream().filter(s -> s.index() > 0).count();
        List<Long> dkg = all.stream().filter(s -> s.index() > 0).map(Stats::dkgMillis).sorted().toList();
        List<Long> lat = new ArrayList<>(latencies);
        Collections.sort(lat);
        double dkgBytes = all.stream().mapToLong(Stats::dkgBytes).average().orElse(0);
        double roundBytes = all.stream().mapToLong(s -> s.outputs() == 0 ? 0 : s.roundBytes() / s.outputs()).average().orElse(0);
        System.out.printf(Locale.ROOT, "committee: %d of %d daemons drew themselves in; DKG p50 %d ms, max %d ms (phases of %d ms)%n",
                inCommittee, members, pct(dkg, 0.5), dkg.isEmpty() ? 0 : dkg.get(dkg.size() - 1), phaseMillis);
        System.out.printf(Locale.ROOT, "rounds: %d outputs; latency from the round's start p50 %d ms, p90 %d ms, max %d ms%n",
                lat.size(), pct(lat, 0.5), pct(lat, 0.9), lat.isEmpty() ? 0 : lat.get(lat.size() - 1));
        System.out.printf(Locale.ROOT, "sent per member: DKG %.1f KiB, per round %.2f KiB (payload and link framing)%n",
                dkgBytes / 1024, roundBytes / 1024);
        System.out.printf(Locale.ROOT, "wall time %.0f s%n", (System.currentTimeMillis() - t0) / 1000.0);
    }

    private static long pct(List<Long> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }

    private static void read(PeerProcess p, int peer, List<Long> latencies, Map<Integer, Stats> stats) {
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.process().getInputStream(), StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.split(" ");
                if (f[0].equals("beacon-output") && f.length == 3) {
                    latencies.add(Long.parseLong(f[2]));
                } else if (f[0].equals("beacon-stats") && f.length >= 7) {
                    if (f.length > 7 && System.getenv("BARN_BENCH_VERBOSE") != null) {
                        System.err.println("peer " + peer + ": " + f[7].replace('_', ' '));
                    }
                    stats.put(peer, new Stats(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                            Long.parseLong(f[5]), Long.parseLong(f[6])));
                }
            }
        } catch (Exception e) {
            // the peer ended
        }
    }
}
