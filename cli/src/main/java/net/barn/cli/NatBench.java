package net.barn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnConnection;
import net.barn.sdk.Role;

/**
 * {@code barn bench nat}: stream throughput through a relay against a direct link, between
 * daemons behind the NATs of the testbed ({@link Testbed}), each NAT's link to the public
 * network limited to one rate both ways, as home uplinks are. Relayed: the two symmetric NATs,
 * which stay relayed; direct: the two cone NATs, whose link a hole punch makes direct, once
 * over TCP and once over QUIC (a second node behind the second cone NAT punches over UDP
 * only). Every path crosses two limited NAT links. The public nodes' relays allow 4 GiB per circuit so that one
 * circuit carries a whole run. Each measurement is one echo stream, written as fast as
 * flow control lets for a while; throughput counts the bytes that came back.
 */
final class NatBench {
    private static final Duration START = Duration.ofSeconds(60);
    private static final int CHUNK = 64 * 1024;

    private NatBench() {}

    static void run(String rate, double seconds, int runs) throws Exception {
        if (!Testbed.available()) {
            throw new IllegalStateException("needs root, iproute2 and iptables: it builds network namespaces with NATs");
        }
        if (seconds <= 0 || seconds > 60 || runs < 1 || runs > 10) {
            throw new IllegalArgumentException("--seconds in (0, 60], --runs 1..10");
        }
        Path root = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent().getParent().getParent();
        Path tmp = Files.createTempDirectory("barn-bench-nat");
        String prefix = "bnb" + ProcessHandle.current().pid() % 100_000;
        List<DaemonProcess> daemons = new ArrayList<>();
        Testbed.run(root, prefix, "up", "none".equals(rate) ? null : rate);
        try {
            String pub = prefix + "-pub";
            Invite p1 = node(daemons, tmp, pub, "p1", "10.71.0.1:7000", List.of()).invite(START);
            Invite p2 = node(daemons, tmp, pub, "p2", "10.72.0.1:7000", List.of(p1)).invite(START);
            Invite p3 = node(daemons, tmp, pub, "p3", "10.73.0.1:7000", List.of(p1, p2)).invite(START);
            List<Invite> seeds = List.of(p1, p2, p3);
            node(daemons, tmp, prefix + "-h1", "cone", "192.168.1.2:7000", seeds).invite(START);
            Invite symmetric = node(daemons, tmp, prefix + "-h2", "symmetric", "192.168.2.2:7000", seeds).invite(START);
            Invite cone2 = node(daemons, tmp, prefix + "-h3", "cone2", "192.168.3.2:7000", seeds).invite(START);
            Invite block = node(daemons, tmp, prefix + "-h4", "block", "192.168.4.2:7000", seeds).invite(START);
            Invite udpOnly = node(daemons, tmp, prefix + "-h3", "udp-only", "192.168.3.2:7001", seeds, List.of("--punch", "udp"))
                    .invite(START);
            for (String n : List.of("cone", "symmetric", "cone2", "block", "udp-only")) {
                if (!poll(120, () -> reachability(tmp, n).contains("reserved on"))) {
                    throw new IllegalStateException(n + " reserved no relay: " + reachability(tmp, n));
                }
            }
            // The two cone nodes link (relayed first) and the punch makes the link direct.
            reach(tmp.resolve("cone"), cone2);
            if (!poll(90, () -> !limited(tmp.resolve("cone"), cone2))) {
                throw new IllegalStateException("the cone nodes' link never became direct");
            }
            reach(tmp.resolve("cone"), udpOnly);
            if (!poll(90, () -> !limited(tmp.resolve("cone"), udpOnly))) {
                throw new IllegalStateException("the cone and UDP-only nodes' link never became direct");
            }
            String cone2Transport = transport(tmp.resolve("cone"), cone2);
            String udpTransport = transport(tmp.resolve("cone"), udpOnly);
            reach(tmp.resolve("symmetric"), block);
            if (!limited(tmp.resolve("symmetric"), block)) {
                throw new IllegalStateException("the symmetric nodes' link is not relayed");
            }
            System.out.printf(Locale.ROOT, "barn bench nat: NAT links limited to %s each way; %d runs of %.0f s, one echo stream each%n",
                    rate, runs, seconds);
            double[] relayed = new double[runs];
            double[] direct = new double[runs];
            double[] quic = new double[runs];
            for (int r = 0; r < runs; r++) {
                relayed[r] = echo(tmp.resolve("symmetric"), block, seconds);
                direct[r] = echo(tmp.resolve("cone"), cone2, seconds);
                quic[r] = echo(tmp.resolve("cone"), udpOnly, seconds);
                System.out.printf(Locale.ROOT, "run %d: relayed (symmetric/symmetric) %.2f MiB/s, direct (cone/cone, %s) %.2f MiB/s,"
                        + " direct (cone/cone, %s) %.2f MiB/s%n", r + 1, relayed[r], cone2Transport, direct[r], udpTransport, quic[r]);
            }
            double rel = median(relayed);
            double dir = median(direct);
            double q = median(quic);
            System.out.printf(Locale.ROOT, "median: relayed %.2f MiB/s, direct over %s %.2f MiB/s, direct over %s %.2f MiB/s;"
                    + " relayed / direct %.2f (%s), %.2f (%s)%n", rel, cone2Transport, dir, udpTransport, q, rel / dir, cone2Transport,
                    rel / q, udpTransport);
            for (DaemonProcess d : daemons) { // how long each punch took, from the nodes' logs
                d.stderr.stream().filter(l -> l.contains("hole punch with") && l.contains("succeeded")).forEach(System.out::println);
            }
        } finally {
            for (DaemonProcess d : daemons) {
                try {
                    d.terminate(Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    d.close();
                }
            }
            Testbed.run(root, prefix, "down", null);
        }
    }

    private static DaemonProcess node(List<DaemonProcess> all, Path tmp, String netns, String name, String listen, List<Invite> peers)
            throws IOException {
        return node(all, tmp, netns, name, listen, peers, List.of());
    }

    private static DaemonProcess node(List<DaemonProcess> all, Path tmp, String netns, String name, String listen, List<Invite> peers,
            List<String> extra) throws IOException {
        // Relays carry a whole run on one circuit (16 MiB by default would end it).
        List<String> args = new ArrayList<>(List.of("--relay-circuit-mib", "4096"));
        args.addAll(extra);
        DaemonProcess d = DaemonProcess.inNamespace(netns, tmp.resolve(name), listen, peers, args);
        all.add(d);
        return d;
    }

    private static String reachability(Path tmp, String name) {
        try (Barn b = Barn.connect(Barn.socketIn(tmp.resolve(name)), "bench", Role.CLIENT)) {
            return b.status().reachability();
        } catch (IOException e) {
            return "unreachable API: " + e.getMessage();
        }
    }

    /** Echoes a little from {@code api} to {@code to} until it works (its relays may not be published yet), for up to 60 s. */
    private static void reach(Path api, Invite to) throws Exception {
        IOException last = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                echo(api, to, 0.2);
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(500); // pause between attempts
            }
        }
        throw new IllegalStateException("no stream to " + to.nodeId().shortForm(), last);
    }

    private static boolean limited(Path api, Invite to) throws IOException {
        try (Barn b = Barn.connect(Barn.socketIn(api), "bench", Role.CLIENT)) {
            return b.peers().stream().anyMatch(p -> p.nodeId().equals(to.nodeId().toString()) && !p.relayedVia().isEmpty());
        }
    }

    private static String transport(Path api, Invite to) throws IOException {
        try (Barn b = Barn.connect(Barn.socketIn(api), "bench", Role.CLIENT)) {
            return b.peers().stream().filter(p -> p.nodeId().equals(to.nodeId().toString())).map(p -> p.transport())
                    .findFirst().orElse("no link");
        }
    }

    private static boolean poll(int seconds, java.util.concurrent.Callable<Boolean> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (done.call()) {
                return true;
            }
            Thread.sleep(250); // polling interval of the wait
        }
        return false;
    }

    /**
     * One echo stream from the node at {@code api} to {@code to}: writes for {@code seconds},
     * then finishes; MiB/s of the bytes echoed back, from the first write to the last byte read.
     */
    static double echo(Path api, Invite to, double seconds) throws Exception {
        try (Barn b = Barn.connect(Barn.socketIn(api), "bench", Role.CLIENT); BarnConnection c = b.dial(to.nodeId().toString(), 7)) {
            AtomicLong received = new AtomicLong();
            AtomicLong lastByte = new AtomicLong();
            Thread reader = Thread.ofPlatform().start(() -> {
                byte[] buf = new byte[CHUNK];
                try (InputStream in = c.input()) {
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        received.addAndGet(n);
                        lastByte.set(System.nanoTime());
                    }
                } catch (IOException e) {
                    // the stream ended; what was read counts
                }
            });
            byte[] chunk = new byte[CHUNK];
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            OutputStream out = c.output();
            while (System.nanoTime() < end) {
                out.write(chunk);
            }
            out.close();
            reader.join(Duration.ofSeconds(30));
            long elapsed = Math.max(1, lastByte.get() - start);
            return received.get() / 1048576.0 / (elapsed / 1e9);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
