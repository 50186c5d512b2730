package net.barn.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.barn.daemon.BuiltinServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK against real nodes and their local API, all in this JVM. */
class SdkTest {
    @TempDir
    Path tmp;
    private LocalNodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new LocalNodes(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    private Barn connect(LocalNodes.Running n, String app, Role role) throws IOException {
        return nodes.track(Barn.connect(n.socket(), app, role));
    }

    @Test
    void appOnOneNodeDialsAPortAnAppOnAnotherNodeServes() throws Exception {
        var one = nodes.start(1);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn server = connect(two, "server", Role.SERVER);
        Barn client = connect(one, "client", Role.CLIENT);
        BarnListener listener = server.listen(7000);
        byte[] request = new byte[2 * 1024 * 1024 + 5];
        new Random(3).nextBytes(request);
        CompletableFuture<byte[]> served = CompletableFuture.supplyAsync(() -> {
            try (BarnConnection c = listener.accept()) {
                byte[] got = c.input().readAllBytes();
                c.output().write(("got " + got.length).getBytes(StandardCharsets.UTF_8));
                return got;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (BarnConnection c = client.dial(server.nodeId(), 7000)) {
            c.output().write(request);
            c.output().close();
            assertThat(new String(c.input().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("got " + request.length);
            assertThat(c.peer()).isEqualTo(server.nodeId());
        }
        assertThat(served.get(30, TimeUnit.SECONDS)).isEqualTo(request);
    }

    @Test
    void dialsServicesByNameIncludingTheBuiltInEcho() throws Exception {
        var one = nodes.start(1);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn client = connect(one, "client", Role.CLIENT);
        try (BarnConnection c = client.dial(two.node().id().toString(), BuiltinServices.ECHO_PORT)) {
            c.output().write("ping".getBytes(StandardCharsets.UTF_8));
            c.output().close();
            assertThat(c.input().readAllBytes()).asString().isEqualTo("ping");
        }
    }

    @Test
    void clientRoleCannotBindOrAccept() throws Exception {
        var one = nodes.start(1);
        Barn client = connect(one, "client", Role.CLIENT);
        assertThatThrownBy(() -> client.listen(7000))
                .isInstanceOf(BarnException.class).hasMessageContaining("client applications may not bind")
                .satisfies(e -> assertThat(((BarnException) e).code()).isEqualTo(BarnException.NOT_ALLOWED));
    }

    @Test
    void policyThatGrantsOnlyTheClientRoleRefusesAServerAtConnect() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "chat"
                ports = ["6667"]
                """, 99_999);
        assertThatThrownBy(() -> Barn.connect(one.socket(), "chat", Role.SERVER))
                .isInstanceOf(BarnException.class).hasMessageContaining("only as a client");
        try (Barn ok = Barn.connect(one.socket(), "chat", Role.CLIENT)) {
            assertThat(ok.grant().getPortsList()).containsExactly("6667");
        }
    }

    @Test
    void callerNoRuleMatchesIsRefusedWithAReason() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "chat"
                """, 99_999); // this test's user is not the owner here
        assertThatThrownBy(() -> Barn.connect(one.socket(), "worm", Role.CLIENT))
                .isInstanceOf(BarnException.class).hasMessageContaining("'worm' is not allowed by the node's policy");
    }

    @Test
    void portsServicesAndNamespacesOutsidePolicyAreRefused() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "game"
                role = "server"
                ports = ["7000-7010"]
                services = ["chess/*"]
                namespaces = ["chess"]
                """, 99_999);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn game = connect(one, "game", Role.SERVER);
        assertThat(game.listen(7005).port()).isEqualTo(7005);
        assertThatThrownBy(() -> game.listen(8000)).hasMessageContaining("port 8000 is outside");
        assertThat(game.listen("chess/game-42").service()).isEqualTo("chess/game-42");
        assertThatThrownBy(() -> game.listen("irc/nick")).hasMessageContaining("service irc/nick is outside");
        String peer = two.node().id().toString();
        assertThatThrownBy(() -> game.dial(peer, BuiltinServices.ECHO_PORT)).hasMessageContaining("port 7 is outside");
        assertThatThrownBy(() -> game.dial(peer, "echo")).hasMessageContaining("service echo is outside");
    }

    @Test
    void namespaceNetworksAndNamesOutsidePolicyAreRefused() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "chat"
                namespaces = ["irc"]
                """, 99_999);
        Barn chat = connect(one, "chat", Role.CLIENT);
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                () -> chat.nsJoin("chess"), () -> chat.nsJoin("Chess"),
                () -> chat.nsBroadcast("chess", new byte[] {1}), () -> chat.nameResolve("chess/@alice"))) {
            assertThatThrownBy(call).isInstanceOf(BarnException.class).hasMessageContaining("namespace chess is outside")
                    .satisfies(e -> assertThat(((BarnException) e).code()).isEqualTo(BarnException.NOT_ALLOWED));
        }
        // Claiming or registering acts as the node: not for a non-admin application.
        assertThatThrownBy(() -> chat.nameClaim("irc", 30)).hasMessageContaining("only admin applications");
        assertThatThrownBy(() -> chat.nsJoinNode("irc", new byte[0])).hasMessageContaining("only admin applications");
    }

    @Test
    void bytesPerSecondLimitHolds() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "slow"
                ports = ["9"]
                bytes_per_second = 100000
                """, 99_999);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn slow = connect(one, "slow", Role.CLIENT);
        long t0 = System.nanoTime();
        try (BarnConnection c = slow.dial(two.node().id().toString(), BuiltinServices.DISCARD_PORT)) {
            byte[] chunk = new byte[10_000];
            for (int i = 0; i < 30; i++) {
                c.output().write(chunk);
            }
            c.output().close();
            c.input().readAllBytes(); // discard finishes once it has everything
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // 300 kB at 100 kB/s with a one-second burst: at least two seconds.
        assertThat(seconds).isGreaterThan(1.8);
    }

    @Test
    void tenThousandBindsAreRefusedPastTheLimitAndHurtNoOneElse() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "greedy"
                role = "server"
                ports = ["*"]
                max_binds = 8

                [[allow]]
                user = "*"
                app = "polite"
                role = "server"
                ports = ["*"]
                """, 99_999);
        Barn greedy = connect(one, "greedy", Role.SERVER);
        int bound = 0;
        int refused = 0;
        for (int port = 20_000; port < 30_000; port++) {
            try {
                greedy.listen(port);
                bound++;
            } catch (BarnException e) {
                assertThat(e.code()).isEqualTo(BarnException.LIMIT);
                refused++;
            }
        }
        assertThat(bound).isEqualTo(8);
        assertThat(refused).isEqualTo(9_992);
        Barn polite = connect(one, "polite", Role.SERVER);
        assertThat(polite.listen(40_000).port()).isEqualTo(40_000);
        assertThatThrownBy(() -> polite.listen(20_000)).hasMessageContaining("already bound")
                .satisfies(e -> assertThat(((BarnException) e).code()).isEqualTo(BarnException.IN_USE));
    }

    @Test
    void garbageOrOversizedInputEndsOnlyThatSession() throws Exception {
        var one = nodes.start(1);
        Barn healthy = connect(one, "healthy", Role.SERVER);
        for (byte[] bad : new byte[][] {
                {0, 0, 0, 5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, // not protobuf
                {0x7f, 0, 0, 0}}) { // announces a 2 GB message
            try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                raw.connect(UnixDomainSocketAddress.of(one.socket()));
                raw.write(ByteBuffer.wrap(bad));
                ByteBuffer answer = ByteBuffer.allocate(4096);
                int total = 0;
                int n;
                while ((n = raw.read(answer)) > 0) {
                    total += n;
                }
                assertThat(n).as("the node hangs up").isEqualTo(-1);
                assertThat(new String(answer.array(), 0, total, StandardCharsets.UTF_8))
                        .containsAnyOf("not an AppMessage", "limit");
            }
        }
        assertThat(healthy.listen(7100).port()).isEqualTo(7100);
        assertThat(healthy.status().nodeId()).isEqualTo(one.node().id().toString());
    }

    @Test
    void aReaderThatNeverReadsStallsOnlyItsOwnStream() throws Exception {
        var one = nodes.start(1);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn lazy = connect(two, "lazy", Role.SERVER);
        BarnListener lazyListener = lazy.listen(7200);
        Barn sender = connect(one, "sender", Role.CLIENT);
        BarnConnection stuck = sender.dial(lazy.nodeId(), 7200);
        CompletableFuture<Void> flooding = CompletableFuture.runAsync(() -> {
            try {
                OutputStream o = stuck.output();
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 1000; i++) { // 64 MB: far beyond every window on the way
                    o.write(chunk);
                }
            } catch (IOException expectedWhenTornDown) {
                // the test ends by closing everything
            }
        });
        lazyListener.accept(); // accepted, never read
        // Meanwhile another application on the same nodes moves 4 MB through the same link.
        Barn other = connect(one, "other", Role.CLIENT);
        byte[] data = new byte[4 * 1024 * 1024];
        try (BarnConnection c = other.dial(two.node().id().toString(), BuiltinServices.ECHO_PORT)) {
            c.setReadTimeout(20_000);
            CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                try {
                    c.output().write(data);
                    c.output().close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(c.input().readAllBytes()).hasSize(data.length);
            w.get(20, TimeUnit.SECONDS);
        }
        assertThat(flooding).isNotDone();
    }

    @Test
    void policyReloadKeepsAllowedSessionsEndsOthersAndRefusesABrokenFile() throws Exception {
        var one = nodes.start(1, """
                [[allow]]
                user = "*"
                app = "stays"

                [[allow]]
                user = "*"
                app = "goes"
                """, 99_999);
        Barn stays = connect(one, "stays", Role.CLIENT);
        Barn goes = connect(one, "goes", Role.CLIENT);
        CopyOnWriteArrayList<BarnEvent> goesEvents = new CopyOnWriteArrayList<>();
        goes.onEvent(goesEvents::add);
        Files.writeString(one.policy(), "[[allow]]\nuser = \"*\"\napp = \"stays\"\n");
        assertThat(one.api().reloadPolicy()).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (goesEvents.stream().noneMatch(e -> e instanceof BarnEvent.Notice n && n.message().contains("no longer allowed"))) {
            assertThat(System.nanoTime()).as("the dropped session is told why").isLessThan(deadline);
            Thread.sleep(10); // polling interval of the wait
        }
        assertThat(stays.status().sessions()).isGreaterThanOrEqualTo(1);
        Files.writeString(one.policy(), "[[allow]]\nuser = \"*\"\napp = \"stays\"\nrole = \"boss\"\n");
        assertThat(one.api().reloadPolicy()).as("a broken file is refused").isFalse();
        assertThat(one.api().policy().rules()).hasSize(1);
        assertThat(stays.status().nodeId()).isEqualTo(one.node().id().toString());
    }

    @Test
    void datagramsTravelBetweenApplications() throws Exception {
        var one = nodes.start(1);
        var two = nodes.start(2);
        LocalNodes.link(one, two);
        Barn a = connect(one, "a", Role.SERVER);
        Barn b = connect(two, "b", Role.SERVER);
        DatagramPort pa = a.bindDatagrams(5000);
        DatagramPort pb = b.bindDatagrams(5001);
        pa.send(b.nodeId(), 5001, "hello".getBytes(StandardCharsets.UTF_8));
        Datagram got = pb.receive(10, TimeUnit.SECONDS);
        assertThat(got).isNotNull();
        assertThat(new String(got.data(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(got.peer()).isEqualTo(a.nodeId());
        assertThat(got.sourcePort()).isEqualTo(5000);
        assertThatThrownBy(() -> pa.send(b.nodeId(), 5001, new byte[1201])).isInstanceOf(IOException.class);
    }

    @Test
    void statusPeersAndLinkEventsDescribeTheNode() throws Exception {
        var one = nodes.start(1);
        var two = nodes.start(2);
        Barn watcher = connect(one, "watcher", Role.CLIENT);
        CopyOnWriteArrayList<BarnEvent> events = new CopyOnWriteArrayList<>();
        watcher.onEvent(events::add);
        watcher.subscribeLinks();
        LocalNodes.link(one, two);
        NodeStatus s = watcher.status();
        assertThat(s.links()).isEqualTo(1);
        assertThat(s.invite()).startsWith("barn:" + s.nodeId());
        assertThat(watcher.peers()).extracting(PeerStatus::nodeId).containsExactly(two.node().id().toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (events.stream().noneMatch(e -> e instanceof BarnEvent.LinkUp)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5); // polling interval of the wait
        }
    }

    @Test
    void streamsAndBindingsEndWhenTheApplicationGoesAway() throws Exception {
        var one = nodes.start(1);
        Barn first = Barn.connect(one.socket(), "first", Role.SERVER);
        first.listen(7300);
        first.close();
        Barn second = connect(one, "second", Role.SERVER);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                assertThat(second.listen(7300).port()).isEqualTo(7300);
                break;
            } catch (BarnException stillBound) {
                assertThat(System.nanoTime()).as("the port is freed").isLessThan(deadline);
                Thread.sleep(10); // polling interval of the wait
            }
        }
    }

}
