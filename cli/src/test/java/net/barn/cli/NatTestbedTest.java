package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Daemons in the NAT testbed (test/nat/testbed.sh: network namespaces joined by veth pairs,
 * Linux NATs made with iptables): three public nodes, two behind cone-like NATs and two behind
 * symmetric NATs (one mapping from the whole port range, one from a block), each learning from
 * the others which it is. All traffic stays inside the
 * namespaces the test makes and removes; it runs where root, iproute2 and iptables are, as in CI.
 */
class NatTestbedTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static boolean canBuildTestbed() {
        return Testbed.available();
    }

    private static void testbed(String prefix, String action) throws IOException, InterruptedException {
        Testbed.run(Path.of(""), prefix, action, null); // tests run in the project root
    }

    private DaemonProcess node(List<DaemonProcess> all, String netns, String name, String listen, List<Invite> peers)
            throws IOException {
        return node(all, netns, name, listen, peers, List.of());
    }

    private DaemonProcess node(List<DaemonProcess> all, String netns, String name, String listen, List<Invite> peers,
            List<String> extra) throws IOException {
        DaemonProcess d = DaemonProcess.inNamespace(netns, tmp.resolve(name), listen, peers, extra);
        all.add(d);
        return d;
    }

    private String reachability(String name) {
        try (Barn b = Barn.connect(Barn.socketIn(tmp.resolve(name)), "test", Role.CLIENT)) {
            return b.status().reachability();
        } catch (IOException e) {
            return "unreachable API: " + e.getMessage();
        }
    }

    /** Polls {@code read} until {@code done} holds of its value, for up to 90 s; returns the last value. */
    private static <T> T poll(java.util.concurrent.Callable<T> read, java.util.function.Predicate<T> done) throws Exception {
        return poll(90, read, done);
    }

    private static <T> T poll(int seconds, java.util.concurrent.Callable<T> read, java.util.function.Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        T v = read.call();
        while (!done.test(v) && System.nanoTime() < deadline) {
            Thread.sleep(250); // polling interval of the wait
            v = read.call();
        }
        return v;
    }

    private String await(String name, String prefix) throws Exception {
        return poll(() -> reachability(name), r -> r.startsWith(prefix));
    }

    private String awaitContaining(String name, String part) throws Exception {
        return poll(() -> reachability(name), r -> r.contains(part));
    }

    /** An application on node {@code from} dials {@code to}'s echo service by node id; what comes back. */
    private String echoThroughRelay(String from, Invite to) throws Exception {
        return echo(from, to, true);
    }

    /** As {@link #echoThroughRelay}; {@code relayed}: also check the application sees the link as relayed, hence limited. */
    private String echo(String from, Invite to, boolean relayed) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try (Barn b = Barn.connect(Barn.socketIn(tmp.resolve(from)), "test", Role.CLIENT);
                    var c = b.dial(to.nodeId().toString(), 7)) {
                byte[] hello = ("hello from " + from).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                c.output().write(hello);
                c.output().flush();
                byte[] back = c.input().readNBytes(hello.length);
                // The application sees that the link is relayed, hence limited.
                if (relayed) {
                    assertThat(b.peers()).filteredOn(p -> p.nodeId().equals(to.nodeId().toString()))
                            .singleElement().satisfies(p -> assertThat(p.limited()).isTrue());
                }
                return new String(back, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                last = e; // its relays may not be published yet
                Thread.sleep(500); // pause between attempts
            }
        }
        throw new AssertionError("no echo from " + to.nodeId().shortForm() + " through a relay", last);
    }

    private net.barn.sdk.PeerStatus linkTo(String from, Invite to) throws IOException {
        try (Barn b = Barn.connect(Barn.socketIn(tmp.resolve(from)), "test", Role.CLIENT)) {
            return b.peers().stream().filter(p -> p.nodeId().equals(to.nodeId().toString())).findFirst().orElseThrow();
        }
    }

    /** Whether node {@code from}'s link to {@code to} becomes direct (not through a relay) within 90 s. */
    private boolean awaitDirect(String from, Invite to) throws Exception {
        return awaitDirect(from, to, 90);
    }

    private boolean awaitDirect(String from, Invite to, int seconds) throws Exception {
        return poll(seconds, () -> {
            try (Barn b = Barn.connect(Barn.socketIn(tmp.resolve(from)), "test", Role.CLIENT)) {
                return b.peers().stream().anyMatch(p -> p.nodeId().equals(to.nodeId().toString()) && p.relayedVia().isEmpty());
            }
        }, direct -> direct);
    }

    @Test
    void nodesLearnWhetherTheyArePublicOrBehindAConeOrASymmetricNatAndNatNodesReserveRelays() throws Exception {
        assumeThat(canBuildTestbed()).as("needs root, iproute2 and iptables to build network namespaces with NATs").isTrue();
        String prefix = "bnat" + ProcessHandle.current().pid() % 100_000;
        List<DaemonProcess> daemons = new ArrayList<>();
        testbed(prefix, "up");
        try {
            String pub = prefix + "-pub";
            Invite p1 = node(daemons, pub, "p1", "10.71.0.1:7000", List.of()).invite(START);
            Invite p2 = node(daemons, pub, "p2", "10.72.0.1:7000", List.of(p1)).invite(START);
            Invite p3 = node(daemons, pub, "p3", "10.73.0.1:7000", List.of(p1, p2)).invite(START);
            Invite cone = node(daemons, prefix + "-h1", "cone", "192.168.1.2:7000", List.of(p1, p2, p3)).invite(START);
            Invite symmetric = node(daemons, prefix + "-h2", "symmetric", "192.168.2.2:7000", List.of(p1, p2, p3)).invite(START);
            Invite cone2 = node(daemons, prefix + "-h3", "cone2", "192.168.3.2:7000", List.of(p1, p2, p3)).invite(START);
            Invite block = node(daemons, prefix + "-h4", "block", "192.168.4.2:7000", List.of(p1, p2, p3)).invite(START);
            // A second node behind the second cone NAT that punches over UDP only: its links go direct over QUIC.
            Invite udpOnly = node(daemons, prefix + "-h3", "udp-only", "192.168.3.2:7001", List.of(p1, p2, p3),
                    List.of("--punch", "udp")).invite(START);

            assertThat(await("cone", "cone nat")).startsWith("cone nat").contains("0 reached").contains("seen as 10.81.0.2:7000");
            assertThat(await("symmetric", "symmetric nat")).startsWith("symmetric nat").contains("0 reached");
            assertThat(await("block", "symmetric nat")).startsWith("symmetric nat").contains("0 reached");
            for (String p : List.of("p1", "p2", "p3")) {
                assertThat(await(p, "public")).as(p).startsWith("public");
            }
            // Both NAT'd nodes then hold reservations on two public relays, and relays count them.
            assertThat(awaitContaining("cone", "reserved on 2 relays")).contains("reserved on 2 relays");
            assertThat(awaitContaining("symmetric", "reserved on 2 relays")).contains("reserved on 2 relays");
            assertThat(awaitContaining("cone2", "reserved on 2 relays")).contains("reserved on 2 relays");
            assertThat(awaitContaining("block", "reserved on 2 relays")).contains("reserved on 2 relays");
            assertThat(awaitContaining("udp-only", "reserved on 2 relays")).contains("reserved on 2 relays");
            int relayed = 0;
            for (String p : List.of("p1", "p2", "p3")) {
                String r = reachability(p);
                assertThat(r).as(p).doesNotContain("reserved on");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("relaying for (\\d+) node").matcher(r);
                relayed += m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
            assertThat(relayed).as("reservations the public nodes hold").isEqualTo(10);
            // Two symmetric NATs, which cannot reach each other directly, talk by node id: an
            // application on each dials the other's echo service, through a relay the other
            // publishes. Neither has a mapping the other can predict: they stay relayed.
            assertThat(echoThroughRelay("symmetric", block)).isEqualTo("hello from symmetric");
            assertThat(echoThroughRelay("block", symmetric)).isEqualTo("hello from block");
            assertThat(linkTo("symmetric", block).limited()).as("two symmetric NATs stay relayed").isTrue();
            // Two cone NATs: the relayed link is upgraded by a hole punch to a direct one.
            assertThat(echoThroughRelay("cone", cone2)).isEqualTo("hello from cone");
            assertThat(awaitDirect("cone", cone2)).as("the link from the cone node to the other cone node").isTrue();
            // The same between cones when one side punches over UDP only: the TCP half finds no
            // mapping, the UDP half (datagrams both ways, then QUIC) does, and the link runs over QUIC.
            assertThat(echoThroughRelay("cone", udpOnly)).isEqualTo("hello from cone");
            assertThat(awaitDirect("cone", udpOnly)).as("the link from the cone node to the UDP-only node").isTrue();
            assertThat(linkTo("cone", udpOnly).transport()).isEqualTo("quic");
            assertThat(echo("cone", udpOnly, false)).isEqualTo("hello from cone");
            // A cone and a symmetric NAT that maps from a block: the birthday search (256 fresh
            // ports on the symmetric side, 256 predicted ports probed by the cone) finds a pair.
            assertThat(echoThroughRelay("cone", block)).isEqualTo("hello from cone");
            assertThat(awaitDirect("cone", block)).as("the link from the cone node to the block-symmetric node").isTrue();
            // A cone and a symmetric NAT that maps from the whole range: the search succeeds about
            // two times in three; either way the pair keeps working.
            assertThat(echoThroughRelay("cone2", symmetric)).isEqualTo("hello from cone2");
            boolean wholeRange = awaitDirect("cone2", symmetric, 20); // the search gives up after 8 s
            System.out.println("cone / whole-range symmetric: " + (wholeRange ? "direct after a birthday search" : "stays relayed"));
            assertThat(echo("cone2", symmetric, false)).isEqualTo("hello from cone2");
            for (DaemonProcess d : daemons) { // for the record: how long the punches took
                d.stderr.stream().filter(l -> l.contains("hole punch") || l.contains("upgraded")
                        || (l.contains("link up") && l.contains("?"))).forEach(System.out::println);
            }

            // They chat: a private maze (what a barn chat channel is) of just the two symmetric
            // NAT'd nodes, whose only way to each other is a relay.
            try (Barn owner = Barn.connect(Barn.socketIn(tmp.resolve("p1")), "test", Role.CLIENT)) {
                owner.nameClaim("irc", 30);
            }
            try (Barn a = Barn.connect(Barn.socketIn(tmp.resolve("symmetric")), "chat", Role.CLIENT);
                    Barn b = Barn.connect(Barn.socketIn(tmp.resolve("block")), "chat", Role.CLIENT)) {
                var heard = new java.util.concurrent.LinkedBlockingQueue<String>();
                b.onEvent(e -> {
                    if (e instanceof net.barn.sdk.BarnEvent.MazeMessage m) {
                        heard.add(new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                });
                a.mazeJoin("irc/#nat", new byte[0], true);
                b.mazeJoin("irc/#nat", new byte[0], true);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && (a.mazeList().get(0).members().size() < 2
                        || b.mazeList().get(0).members().size() < 2)) {
                    Thread.sleep(250); // polling interval of the wait
                }
                assertThat(a.mazeList().get(0).members()).as("the maze of the two NAT'd nodes").hasSize(2);
                a.mazeSend("irc/#nat", "hello across two NATs".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo("hello across two NATs");
            }
        } catch (AssertionError e) {
            for (DaemonProcess d : daemons) { // what the nodes said about dial-backs and their verdicts
                d.stderr.stream().filter(l -> l.contains("punch") || l.contains("upgraded") || l.contains("link up")).forEach(System.err::println);
                d.stdout.stream().filter(l -> l.contains("punch") || l.contains("upgraded") || l.contains("link up")).forEach(System.err::println);
            }
            throw e;
        } finally {
            for (DaemonProcess d : daemons) {
                d.terminate(Duration.ofSeconds(10));
            }
            testbed(prefix, "down");
        }
    }
}
