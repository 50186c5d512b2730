package net.barn.bench;

import java.io.IOException;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.PeerLink;

/**
 * A relayed link beside a direct one, in one run and one process on loopback: a node reached
 * through a relay's circuit (the relay splices two streams; the two ends run their own link
 * over it) against the same two nodes linked directly. Throughput of one stream to the discard
 * service and echo round trips, alternating, the median of each reported with the ratio.
 */
public final class RelayBench {
    private RelayBench() {}

    public static void run(double seconds, int runs) throws Exception {
        if (seconds <= 0 || seconds > 60 || runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--seconds 0..60, --runs 1..20");
        }
        try (RelayTrio trio = RelayTrio.start("barn-bench-relay")) {
            BarnNode relay = trio.relay();
            BarnNode hidden = trio.hidden();
            BarnNode dialler = trio.dialler();
            double[][] relayed = new double[runs][];
            double[][] direct = new double[runs][];
            for (int r = 0; r < runs; r++) {
                PeerLink via = dialler.relay().dialVia(relay.id(), hidden.id()).get(15, TimeUnit.SECONDS);
                relayed[r] = measure(via, seconds);
                closeAndWait(dialler, via);
                PeerLink straight = dialler.dial(hidden.invite()).get(10, TimeUnit.SECONDS);
                direct[r] = measure(straight, seconds);
                closeAndWait(dialler, straight);
            }
            double tR = median(relayed, 0);
            double tD = median(direct, 0);
            double rR = median(relayed, 1);
            double rD = median(direct, 1);
            System.out.printf("# barn bench relay, %s: 3 nodes in one process on loopback, %d runs of %.1f s, Java %s%n%n",
                    LocalDate.now(), runs, seconds, Runtime.version());
            System.out.println("| measurement | relayed (through a circuit) | direct | ratio relayed / direct |");
            System.out.println("|---|---|---|---|");
            System.out.printf("| throughput, 1 stream | %.0f MiB/s | %.0f MiB/s | %.2f |%n", tR, tD, tR / tD);
            System.out.printf("| echo round trip p50 | %.0f µs | %.0f µs | %.2f |%n", rR, rD, rR / rD);
        }
    }

    /** MiB/s of one stream to discard, and the p50 echo round trip in microseconds. */
    private static double[] measure(PeerLink link, double seconds) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        long t0 = System.nanoTime();
        long bytes;
        BlockingStream s = link.openBlocking(BuiltinServices.DISCARD_PORT);
        bytes = BenchSupport.pump(s.out(), chunk, seconds);
        s.out().close();
        if (!s.awaitFinished(60, TimeUnit.SECONDS)) {
            throw new IOException("discard did not finish");
        }
        s.close();
        double mib = bytes / (1024.0 * 1024.0) / ((System.nanoTime() - t0) / 1e9);
        double rtt;
        try (BlockingStream e = link.openBlocking(BuiltinServices.ECHO_PORT)) {
            rtt = BenchSupport.roundTrips(e.in(), e.out())[0];
        }
        return new double[] {mib, rtt};
    }

    private static void closeAndWait(BarnNode node, PeerLink link) throws InterruptedException {
        link.close("bench: next measurement");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (node.link(link.peerId()).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(10); // polling interval: the link goes
        }
    }

    private static double median(double[][] runs, int column) {
        double[] v = Arrays.stream(runs).mapToDouble(r -> r[column]).sorted().toArray();
        return v[v.length / 2];
    }
}
