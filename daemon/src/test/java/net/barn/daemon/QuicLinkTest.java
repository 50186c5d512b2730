package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.barn.core.nat.Reachability;
import net.barn.core.testing.TestIdentities;
import org.junit.jupiter.api.Test;

/**
 * Links over QUIC on the node's UDP port (docs/PROTOCOL.md 16.5): real nodes on loopback.
 */
class QuicLinkTest extends RootNetworkTest {
    private static void echo(PeerLink link, int size, long seed) throws Exception {
        byte[] sent = new byte[size];
        new Random(seed).nextBytes(sent);
        assertThat(TestRoots.echo(link, sent)).as("every byte echoed over the link, in order").isEqualTo(sent);
    }

    @Test
    void aLinkRunsOverQuicAndCarriesStreamsBothWays() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode a = nodes.start(11);
        BarnNode b = nodes.start(12);

        PeerLink link = a.dialUdp(b.listenAddress(), b.id()).get(10, TimeUnit.SECONDS);

        assertThat(link.transport()).isEqualTo("quic");
        assertThat(link.remoteAddress()).isEqualTo(b.listenAddress());
        TestRoots.await(() -> b.link(a.id()).isPresent(), "the listener holds the link", 10);
        PeerLink there = b.link(a.id()).orElseThrow();
        assertThat(there.transport()).isEqualTo("quic");
        assertThat(there.remoteAddress().getPort()).as("the dial left from the node's own port")
                .isEqualTo(a.listenAddress().getPort());
        echo(link, 2 << 20, 1);
        echo(there, 256 << 10, 2);
    }

    @Test
    void aQuicDialToTheWrongIdFailsWithTheReasonAndLeavesNoLink() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode a = nodes.start(21);
        BarnNode b = nodes.start(22);
        var someoneElse = TestIdentities.of(23).id();

        assertThatThrownBy(() -> a.dialUdp(b.listenAddress(), someoneElse).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(LinkException.class)
                .cause().hasMessageContaining(someoneElse.shortForm());
        assertThat(a.link(b.id())).isEmpty();
        // And the listener still takes a correct dial.
        assertThat(a.dialUdp(b.listenAddress(), b.id()).get(10, TimeUnit.SECONDS).transport()).isEqualTo("quic");
    }

    @Test
    void aQuicConnectionThatOpensNoLinkStreamIsClosedAndFreesItsSlot() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode b = nodes.start(51);
        var group = new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.nio.NioIoHandler.newFactory());
        try {
            var tls = io.netty.handler.codec.quic.QuicSslContextBuilder.forClient()
                    .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE).applicationProtocols("barn/1").build();
            io.netty.channel.Channel udp = new io.netty.bootstrap.Bootstrap().group(group)
                    .channel(io.netty.channel.socket.nio.NioDatagramChannel.class)
                    .handler(new io.netty.handler.codec.quic.QuicClientCodecBuilder().sslContext(tls)
                            .maxIdleTimeout(300, TimeUnit.SECONDS).initialMaxData(1 << 20).build())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            var idle = io.netty.handler.codec.quic.QuicChannel.newBootstrap(udp)
                    .streamHandler(new io.netty.channel.ChannelInboundHandlerAdapter())
                    .remoteAddress(b.listenAddress()).connect().get(10, TimeUnit.SECONDS);
            long opened = System.nanoTime();
            // It says nothing more: the node closes it well before QUIC's own idle timeout (120 s).
            assertThat(idle.closeFuture().await(UdpEndpoint.STREAM_WAIT_SECONDS + 10, TimeUnit.SECONDS))
                    .as("closed by the node").isTrue();
            assertThat((System.nanoTime() - opened) / 1e9).isGreaterThan(UdpEndpoint.STREAM_WAIT_SECONDS - 1);
            udp.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void junkOnTheUdpPortIsDroppedAndTheNodeGoesOnServing() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode a = nodes.start(31);
        BarnNode b = nodes.start(32);
        Random random = new Random(31);
        try (DatagramSocket junk = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (int i = 0; i < 200; i++) {
                byte[] bytes = new byte[1 + random.nextInt(1300)];
                random.nextBytes(bytes);
                switch (i % 4) {
                    case 0 -> System.arraycopy("BRN1".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, Math.min(4, bytes.length));
                    case 1 -> bytes[0] = (byte) (0xc0 | (bytes[0] & 0x0f)); // looks like a QUIC long header
                    default -> { }
                }
                junk.send(new DatagramPacket(bytes, bytes.length, b.listenAddress()));
            }
        }
        PeerLink link = a.dialUdp(b.listenAddress(), b.id()).get(10, TimeUnit.SECONDS);
        echo(link, 64 << 10, 3);
    }

    @Test
    void aRelayedLinkUpgradesToQuicByAUdpHolePunchAndItsStreamMoves() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(41);
        BarnNode hidden = nodes.start(42);
        BarnNode dialler = nodes.start(43);
        hidden.setPunchTransports(false, true);
        dialler.setPunchTransports(false, true);
        relay.reachability().assume(Reachability.Verdict.PUBLIC);
        hidden.reachability().assume(Reachability.Verdict.CONE_NAT);
        hidden.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        dialler.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> hidden.relay().relays().contains(relay.id()), "the hidden node reserves on the relay", 30);
        // On loopback both nodes are in fact reachable: they offer their listen addresses, and the
        // punch's UDP half (datagrams both ways, then QUIC from the dialler) runs as between cones.
        hidden.reachability().assume(Reachability.Verdict.PUBLIC);
        dialler.reachability().assume(Reachability.Verdict.PUBLIC);

        PeerLink relayed = dialler.relay().dialVia(relay.id(), hidden.id()).get(15, TimeUnit.SECONDS);
        assertThat(relayed.transport()).isEqualTo("relay");
        BlockingStream opened = relayed.openBlocking(BuiltinServices.ECHO_PORT);

        TestRoots.await(() -> dialler.link(hidden.id()).map(l -> l.transport().equals("quic")).orElse(false),
                "the punch brings up a QUIC link", 30);
        TestRoots.await(() -> !relayed.isActive(), "the relayed link closes once its stream moved", 30);
        assertThat(hidden.link(dialler.id()).orElseThrow().transport()).isEqualTo("quic");
        opened.setReadTimeout(10_000);
        opened.out().write("moved".getBytes(StandardCharsets.UTF_8));
        opened.out().close();
        assertThat(opened.in().readAllBytes()).asString().isEqualTo("moved");
        assertThat(opened.stream().link().transport()).isEqualTo("quic");
        echo(dialler.link(hidden.id()).orElseThrow(), 512 << 10, 4);
    }
}
