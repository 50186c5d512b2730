package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import net.barn.core.ErrorCode;
import net.barn.core.identity.Invite;
import net.barn.core.link.Preamble;
import net.barn.core.testing.TestIdentities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BarnNodeTest {
    @TempDir
    Path tmp;
    private TestNodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new TestNodes(tmp);
    }

    @AfterEach
    void tearDown() {
        nodes.close();
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5); // polling interval of the wait, not a wait for an event
        }
    }

    /** Writes on one thread and reads on this one: echo holds back when its replies are not read. */
    static byte[] echo(PeerLink link, byte[] data) throws IOException {
        try (BlockingStream s = link.openBlocking(BuiltinServices.ECHO_PORT)) {
            s.setReadTimeout(10_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.out().write(data);
                    s.out().close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = s.in().readAllBytes();
            writer.join();
            return back;
        }
    }

    @Test
    void dialsByInviteAndBothSidesSeeOneLink() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        assertThat(link.peerId()).isEqualTo(b.id());
        await(() -> b.link(a.id()).isPresent(), Duration.ofSeconds(5), "b to see the link");
        assertThat(a.dial(b.invite()).get()).as("dialing again reuses the link").isSameAs(link);
    }

    @Test
    void echoesAStreamThroughTheLink() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(5).nextBytes(data);
        assertThat(echo(link, data)).isEqualTo(data);
    }

    @Test
    void opensStreamsByServiceNameAndToBoundPorts() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        b.bind(4242, s -> {
            BlockingStream bs = BlockingStream.attach(s);
            Thread.ofVirtual().start(() -> {
                try (bs) {
                    byte[] request = bs.in().readAllBytes();
                    bs.out().write(("port 4242 got " + request.length + " bytes").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        });
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        try (BlockingStream s = link.openBlocking(4242)) {
            s.out().write(new byte[10]);
            s.out().close();
            assertThat(new String(s.in().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("port 4242 got 10 bytes");
        }
        try (BlockingStream s = link.openBlocking("echo")) {
            s.out().write("by name".getBytes(StandardCharsets.UTF_8));
            s.out().close();
            assertThat(new String(s.in().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("by name");
        }
    }

    @Test
    void streamToAnUnboundPortIsResetWithPortUnreachable() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        BlockingStream s = link.openBlocking(31337);
        assertThatThrownBy(() -> s.in().read())
                .isInstanceOf(LinkException.class)
                .hasMessageContaining("PORT_UNREACHABLE").hasMessageContaining("31337");
        assertThat(link.isActive()).as("a refused stream leaves the link up").isTrue();
        assertThat(echo(link, new byte[] {1})).containsExactly(1);
    }

    @Test
    void datagramsEchoBetweenPorts() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        CompletableFuture<String> got = new CompletableFuture<>();
        a.bindDatagrams(5000, (from, dst, src, payload) -> {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            got.complete(from.peerId().shortForm() + ":" + src + " " + new String(bytes, StandardCharsets.UTF_8));
        });
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        assertThat(link.sendDatagram(BuiltinServices.ECHO_PORT, 5000, "hi".getBytes(StandardCharsets.UTF_8)).get()).isTrue();
        assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo(b.id().shortForm() + ":7 hi");
        assertThatThrownBy(() -> link.sendDatagram(7, 5000, new byte[1201]).get())
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inviteWhoseIdIsNotTheAnsweringNodesIsRefused() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        Invite forged = new Invite(TestIdentities.of(3).id(), b.invite().addresses());
        assertThatThrownBy(() -> a.dial(forged).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(LinkException.class)
                .hasMessageContaining("IDENTITY_MISMATCH");
        assertThat(a.links()).isEmpty();
    }

    @Test
    void simultaneousDialsLeaveOneLinkBothSidesAgreeOn() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        CompletableFuture<PeerLink> ab = a.dial(b.invite());
        CompletableFuture<PeerLink> ba = b.dial(a.invite());
        CompletableFuture.allOf(ab.exceptionally(e -> null), ba.exceptionally(e -> null)).get(10, TimeUnit.SECONDS);
        await(() -> a.links().size() == 1 && b.links().size() == 1
                && a.links().get(0).isActive() && b.links().get(0).isActive()
                && a.links().get(0).isOutbound() != b.links().get(0).isOutbound(),
                Duration.ofSeconds(5), "one agreed link");
        assertThat(echo(a.links().get(0), new byte[] {9})).containsExactly(9);
    }

    @Test
    void shuttingDownTellsPeersWhy() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        CompletableFuture<String> down = new CompletableFuture<>();
        a.addListener(new NodeListener() {
            @Override
            public void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {
                down.complete(code + " byPeer=" + byPeer);
            }
        });
        a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        // The dialer is linked once it sent the last handshake message; wait for b to read it.
        await(() -> b.link(a.id()).isPresent(), Duration.ofSeconds(5), "b to see the link");
        b.close();
        assertThat(down.get(10, TimeUnit.SECONDS)).isEqualTo("SHUTDOWN byPeer=true");
    }

    @Test
    void garbageFromOneConnectionDoesNotDisturbOtherLinks() throws Exception {
        BarnNode a = nodes.start(1);
        BarnNode b = nodes.start(2);
        PeerLink link = a.dial(b.invite()).get(10, TimeUnit.SECONDS);
        InetSocketAddress bAddr = b.listenAddress();
        try (Socket junk = new Socket(bAddr.getAddress(), bAddr.getPort())) {
            junk.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            junk.setSoTimeout(5000);
            assertThat(junk.getInputStream().read()).as("the node hangs up on non-BARN traffic").isEqualTo(-1);
        }
        try (Socket truncated = new Socket(bAddr.getAddress(), bAddr.getPort())) {
            OutputStream o = truncated.getOutputStream();
            o.write(Preamble.encode(1));
            o.write(new byte[] {0x10, 0x00, 1, 2, 3}); // frame header promises 4096 bytes, sends 3
        }
        assertThat(echo(link, "still here".getBytes(StandardCharsets.UTF_8))).asString().isEqualTo("still here");
    }

    @Test
    void connectionThatStallsMidHandshakeIsClosedAtTheDeadline() throws Exception {
        BarnNode b = nodes.start(2);
        InetSocketAddress bAddr = b.listenAddress();
        try (Socket stall = new Socket(bAddr.getAddress(), bAddr.getPort())) {
            stall.getOutputStream().write(Preamble.encode(1)); // then nothing
            stall.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            InputStream in = stall.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(8));
        }
    }

    @Test
    void unknownVersionGetsTheNodesPreambleAndAHangUp() throws Exception {
        BarnNode b = nodes.start(2);
        InetSocketAddress bAddr = b.listenAddress();
        try (Socket s = new Socket(bAddr.getAddress(), bAddr.getPort())) {
            s.getOutputStream().write(Preamble.encode(9));
            s.setSoTimeout(5000);
            byte[] answer = s.getInputStream().readAllBytes();
            assertThat(answer).hasSize(2 + Preamble.LENGTH);
            assertThat(answer[1]).isEqualTo((byte) Preamble.LENGTH);
            assertThat(Preamble.version(java.util.Arrays.copyOfRange(answer, 2, answer.length))).isEqualTo(1);
        }
    }

    @Test
    void bindingATakenPortOrServiceFails() throws Exception {
        BarnNode a = nodes.start(1);
        assertThatThrownBy(() -> a.bind(BuiltinServices.ECHO_PORT, s -> { })).hasMessageContaining("already bound");
        assertThatThrownBy(() -> a.bind("echo", s -> { })).hasMessageContaining("already bound");
        assertThatThrownBy(() -> a.bind("Not A Name", s -> { })).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listeningOnAPortInUseIsAClearError() throws Exception {
        BarnNode a = nodes.start(1);
        NodeConfig clash = NodeConfig.defaults(tmp.resolve("clash"), a.listenAddress());
        assertThatThrownBy(() -> nodes.start(9, clash)).isInstanceOf(IOException.class).hasMessageContaining("in use");
        assertThat(List.of(a.invite().addresses().get(0).port())).containsExactly(a.listenAddress().getPort());
        // The node's UDP port is the same number: a port taken for UDP only is refused as clearly.
        try (java.net.DatagramSocket udp = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            NodeConfig udpClash = NodeConfig.defaults(tmp.resolve("udp-clash"), (java.net.InetSocketAddress) udp.getLocalSocketAddress());
            assertThatThrownBy(() -> nodes.start(10, udpClash)).isInstanceOf(IOException.class).hasMessageContaining("in use");
        }
    }
}
