package net.barn.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.nat.ReachCodec;
import net.barn.daemon.netty.LinkFrameDecoder;
import net.barn.daemon.netty.LinkFrameEncoder;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's UDP port (the same number as its TCP listen port, docs/PROTOCOL.md 16.5): it
 * answers and sends reachability datagrams ("BRN1" magic) and carries links over QUIC, one
 * bidirectional QUIC stream per link, on which the link runs exactly as over TCP (handshake,
 * frames, mux). QUIC gives a link reliability, order and congestion control over datagrams,
 * which is what lets a UDP hole punch carry one. Its TLS layer authenticates nothing (each
 * node presents a throwaway self-signed certificate): the link handshake inside authenticates
 * both node ids, as it does over TCP.
 *
 * <p>A dial binds a second socket to the same port (SO_REUSEPORT) and connects it to the
 * peer: its datagrams leave from the port whose NAT mapping the peer was told, and the kernel
 * hands the peer's answers to the connected socket, ahead of the listening one.
 */
final class UdpEndpoint {
    private static final Logger log = LoggerFactory.getLogger(UdpEndpoint.class);
    static final String ALPN = "barn/1";
    /** QUIC closes a connection silent this long; the link's own keepalive runs well inside it. */
    static final long IDLE_SECONDS = 120;
    /** How long an inbound QUIC connection may go without opening its link's stream. */
    static final long STREAM_WAIT_SECONDS = 10;
    private static final io.netty.util.AttributeKey<Boolean> CARRIES_LINK = io.netty.util.AttributeKey.valueOf("barn.carriesLink");
    /** QUIC connections (a link each) this port holds at once, handshaking or not. */
    private final int maxConnections;

    private final BarnNode node;
    private final Channel channel;
    private final QuicSslContext clientTls;
    private final AtomicInteger connections = new AtomicInteger();
    private volatile BiConsumer<InetSocketAddress, byte[]> datagrams = (from, bytes) -> {};
    /** Punches waiting to hear the peer's first punch datagram, by its address. */
    private final java.util.Map<InetSocketAddress, CompletableFuture<Void>> awaitingPunch = new java.util.concurrent.ConcurrentHashMap<>();
    /** Where punch datagrams came from lately, and when (the peer may act a moment before this node): at most 64. */
    private final java.util.LinkedHashMap<InetSocketAddress, Long> recentPunches = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<InetSocketAddress, Long> eldest) {
            return size() > 64;
        }
    };
    private static final long RECENT_PUNCH_NANOS = TimeUnit.SECONDS.toNanos(2);

    private UdpEndpoint(BarnNode node, Channel channel, QuicSslContext clientTls, int maxConnections) {
        this.node = node;
        this.channel = channel;
        this.clientTls = clientTls;
        this.maxConnections = maxConnections;
    }

    /** Binds {@code at} for datagrams and QUIC; null (and a log line) when UDP is not available there. */
    static UdpEndpoint bind(BarnNode node, InetSocketAddress at, int maxConnections, SecureRandom entropy) {
        UdpEndpoint[] self = new UdpEndpoint[1];
        boolean quic;
        try {
            quic = io.netty.handler.codec.quic.Quic.isAvailable();
        } catch (LinkageError e) {
            quic = false;
        }
        if (!quic) { // reachability datagrams still work; links stay on TCP
            log.info("no QUIC on this platform ({}): links run over TCP only", unavailable());
            try {
                Channel ch = new Bootstrap().group(node.eventLoopGroup()).channel(NioDatagramChannel.class)
                        .handler(new BarnDatagrams(self)).bind(at).syncUninterruptibly().channel();
                self[0] = new UdpEndpoint(node, ch, null, 0);
                return self[0];
            } catch (RuntimeException e) {
                log.info("no UDP on {}: NAT mappings stay unknown ({})", at, e.toString());
                return null;
            }
        }
        try {
            KeyPair tlsKey = tlsKey(entropy);
            QuicSslContext serverTls = QuicSslContextBuilder.forServer(tlsKey.getPrivate(), null, selfSigned(tlsKey))
                    .applicationProtocols(ALPN).build();
            QuicSslContext clientTls = QuicSslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).applicationProtocols(ALPN).build();
            ChannelHandler server = transport(new QuicServerCodecBuilder())
                    .sslContext(serverTls)
                    .tokenHandler(NO_RETRY)
                    .handler(new Admission(self))
                    .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel ch) {
                            ch.parent().attr(CARRIES_LINK).set(Boolean.TRUE);
                            ch.closeFuture().addListener(f -> ch.parent().close());
                            if (!node.acceptChannel(ch)) {
                                ch.parent().close();
                            }
                        }
                    })
                    .build();
            Channel ch = new Bootstrap().group(node.eventLoopGroup()).channel(NioDatagramChannel.class)
                    .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), BarnNode.REUSE_PORT)
                    .handler(new ChannelInitializer<NioDatagramChannel>() {
                        @Override
                        protected void initChannel(NioDatagramChannel c) {
                            c.pipeline().addLast(new BarnDatagrams(self), server);
                        }
                    })
                    .bind(at).syncUninterruptibly().channel();
            self[0] = new UdpEndpoint(node, ch, clientTls, maxConnections);
            return self[0];
        } catch (Exception | LinkageError e) {
            log.info("no UDP on {}: NAT mappings stay unknown and links run over TCP only ({})", at, e.toString());
            return null;
        }
    }

    /**
     * No address-validation round trip (QUIC Retry): QUIC's own limit (a server sends at most
     * three times what an unproven address sent) bounds what a spoofed source can draw.
     */
    private static final io.netty.handler.codec.quic.QuicTokenHandler NO_RETRY = new io.netty.handler.codec.quic.QuicTokenHandler() {
        @Override
        public boolean writeToken(io.netty.buffer.ByteBuf out, io.netty.buffer.ByteBuf dcid, InetSocketAddress address) {
            return false;
        }

        @Override
        public int validateToken(io.netty.buffer.ByteBuf token, InetSocketAddress address) {
            return -1;
        }

        @Override
        public int maxTokenLength() {
            return 0;
        }
    };

    private static String unavailable() {
        try {
            Throwable cause = io.netty.handler.codec.quic.Quic.unavailabilityCause();
            return cause == null ? "unknown" : cause.toString();
        } catch (LinkageError e) {
            return e.toString();
        }
    }

    /** Whether links run over QUIC on this port (the native QUIC library loaded). */
    boolean quic() {
        return clientTls != null;
    }

    private static <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B transport(B b) {
        return b.maxIdleTimeout(IDLE_SECONDS, TimeUnit.SECONDS)
                .initialMaxData(16L << 20)
                .initialMaxStreamDataBidirectionalLocal(8L << 20)
                .initialMaxStreamDataBidirectionalRemote(8L << 20)
                .initialMaxStreamsBidirectional(1) // one stream, the link: the link's mux does the rest
                .initialMaxStreamsUnidirectional(0);
    }

    private boolean admit(QuicChannel connection) {
        if (connections.incrementAndGet() > maxConnections) {
            connections.decrementAndGet();
            log.debug("dropping QUIC connection from {}: {} held", connection.remoteSocketAddress(), maxConnections);
            return false;
        }
        connection.closeFuture().addListener(f -> connections.decrementAndGet());
        return true;
    }

    /** Where reachability datagrams go (on an event-loop thread). */
    void onDatagram(BiConsumer<InetSocketAddress, byte[]> handler) {
        this.datagrams = handler;
    }

    void send(InetSocketAddress to, byte[] bytes) {
        channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(bytes), to));
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /**
     * Dials {@code to} over QUIC from this port and runs a link on the connection's one stream:
     * the initiator side when {@code initiator}. When {@code taken} is given, the link starts
     * only if no other connection of the same punch took it first (else this one closes).
     */
    CompletableFuture<PeerLink> dial(InetSocketAddress to, NodeId expected, AtomicBoolean taken, int timeoutMillis) {
        CompletableFuture<PeerLink> result = new CompletableFuture<>();
        if (!quic()) {
            result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST, "no QUIC on this node: " + unavailable()));
            return result;
        }
        ChannelHandler codec = transport(new QuicClientCodecBuilder()).sslContext(clientTls).build();
        UdpEndpoint[] self = {this};
        new Bootstrap().group(node.eventLoopGroup()).channel(NioDatagramChannel.class)
                .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), BarnNode.REUSE_PORT)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel c) {
                        c.pipeline().addLast(new BarnDatagrams(self), codec);
                    }
                })
                .localAddress(localAddress())
                .connect(to)
                .addListener((io.netty.channel.ChannelFuture bound) -> {
                    if (!bound.isSuccess()) {
                        result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                                "cannot dial " + to + " over UDP: " + bound.cause().getMessage()));
                        return;
                    }
                    Channel udp = bound.channel();
                    java.util.concurrent.atomic.AtomicReference<QuicChannel> connection = new java.util.concurrent.atomic.AtomicReference<>();
                    result.whenComplete((l, e) -> {
                        if (e != null) { // closing the connection tells the peer, then closes the socket
                            QuicChannel q = connection.get();
                            if (q != null) {
                                q.close();
                            } else {
                                udp.close();
                            }
                        }
                    });
                    io.netty.util.concurrent.ScheduledFuture<?> deadline = udp.eventLoop().schedule(() ->
                            result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                                    "no QUIC connection to " + to + " in " + timeoutMillis + " ms")),
                            timeoutMillis, TimeUnit.MILLISECONDS);
                    result.whenComplete((l, e) -> deadline.cancel(false));
                    QuicChannel.newBootstrap(udp)
                            .handler(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    udp.close(); // the socket served this connection only
                                    ctx.fireChannelInactive();
                                }
                            })
                            .streamHandler(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.close(); // the listener side opens no streams
                                }
                            })
                            .remoteAddress(to)
                            .connect()
                            .addListener((io.netty.util.concurrent.Future<QuicChannel> connected) -> {
                                if (!connected.isSuccess()) {
                                    result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                                            "QUIC to " + to + " failed: " + connected.cause().getMessage()));
                                    return;
                                }
                                QuicChannel quic = connected.getNow();
                                connection.set(quic);
                                if (result.isDone()) {
                                    quic.close();
                                    return;
                                }
                                quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
                                    @Override
                                    protected void initChannel(QuicStreamChannel ch) {
                                        ch.closeFuture().addListener(f -> quic.close());
                                        if (taken != null) {
                                            ch.pipeline().addLast(new BarnNode.FirstConnectionOnly(taken, result));
                                        }
                                        ch.pipeline().addLast(new LinkFrameDecoder(false), new LinkFrameEncoder(),
                                                new LinkDriver(node, true, expected, result, false));
                                    }
                                });
                            });
                });
        return result;
    }

    /**
     * Completes when a punch datagram from {@code from} arrives, or after {@code fallbackMillis}
     * whatever happened: the peer's datagram getting through shows its NAT is open toward this
     * node, so a QUIC dial sent then is not dropped there and needs no resend (about a second).
     */
    CompletableFuture<Void> heardPunch(InetSocketAddress from, long fallbackMillis) {
        CompletableFuture<Void> heard = new CompletableFuture<>();
        synchronized (recentPunches) {
            Long at = recentPunches.get(from);
            if (at != null && System.nanoTime() - at < RECENT_PUNCH_NANOS) {
                heard.complete(null);
                return heard;
            }
        }
        awaitingPunch.put(from, heard);
        channel.eventLoop().schedule(() -> {
            awaitingPunch.remove(from, heard);
            heard.complete(null);
        }, fallbackMillis, TimeUnit.MILLISECONDS);
        return heard;
    }

    private void punchArrived(InetSocketAddress from) {
        synchronized (recentPunches) {
            recentPunches.remove(from);
            recentPunches.put(from, System.nanoTime());
        }
        CompletableFuture<Void> heard = awaitingPunch.remove(from);
        if (heard != null) {
            heard.complete(null);
        }
    }

    /** Sends a punch datagram to {@code to} from this port at each of {@code offsetsMillis} from now. */
    void punch(InetSocketAddress to, byte[] nonce, long[] offsetsMillis) {
        byte[] bytes = ReachCodec.punch(nonce);
        for (long at : offsetsMillis) {
            channel.eventLoop().schedule(() -> send(to, bytes), at, TimeUnit.MILLISECONDS);
        }
    }

    void close() {
        channel.close();
    }

    /** Counts each inbound QUIC connection against the port's limit; one instance serves every connection. */
    @ChannelHandler.Sharable
    private static final class Admission extends ChannelInboundHandlerAdapter {
        private final UdpEndpoint[] endpoint;

        Admission(UdpEndpoint[] endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            UdpEndpoint e = endpoint[0];
            if (e == null || !e.admit((QuicChannel) ctx.channel())) {
                ctx.close();
                return;
            }
            // A connection that opens no link stream soon would hold a slot until QUIC's idle timeout.
            ctx.channel().eventLoop().schedule(() -> {
                if (ctx.channel().attr(CARRIES_LINK).get() == null) {
                    ctx.close();
                }
            }, STREAM_WAIT_SECONDS, TimeUnit.SECONDS);
            ctx.fireChannelActive();
        }
    }

    /** Takes this protocol's datagrams off the port and passes everything else to QUIC. */
    private static final class BarnDatagrams extends ChannelInboundHandlerAdapter {
        private final UdpEndpoint[] endpoint;

        BarnDatagrams(UdpEndpoint[] endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p && p.content().readableBytes() <= ReachCodec.MAX_DATAGRAM) {
                byte[] bytes = ByteBufUtil.getBytes(p.content());
                if (ReachCodec.hasMagic(bytes)) {
                    try {
                        ReachCodec.Datagram d = ReachCodec.decodeDatagram(bytes);
                        InetSocketAddress from = p.sender();
                        p.release();
                        UdpEndpoint e = endpoint[0];
                        if (e != null && d instanceof ReachCodec.PunchDatagram) {
                            e.punchArrived(from);
                        } else if (e != null) {
                            e.datagrams.accept(from, bytes);
                        }
                        return;
                    } catch (net.barn.core.ProtocolException notOurs) {
                        // a QUIC packet can begin with the same four bytes: QUIC decides
                    }
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static KeyPair tlsKey(SecureRandom entropy) throws java.security.GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256, entropy);
        return g.generateKeyPair();
    }

    private static X509Certificate selfSigned(KeyPair key) throws Exception {
        X500Name name = new X500Name("CN=barn");
        long now = System.currentTimeMillis();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                new Date(now - TimeUnit.DAYS.toMillis(1)), new Date(now + TimeUnit.DAYS.toMillis(3650)), name, key.getPublic());
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }
}
