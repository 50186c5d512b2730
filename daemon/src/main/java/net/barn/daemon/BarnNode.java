package net.barn.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.core.ErrorCode;
import net.barn.core.identity.Identity;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.link.LinkConfig;
import net.barn.core.link.LinkCredentials;
import net.barn.core.link.VerifiedKeys;
import net.barn.core.mux.ServiceName;
import net.barn.daemon.netty.LinkFrameDecoder;
import net.barn.daemon.netty.LinkFrameEncoder;
import net.barn.daemon.store.DataDir;
import net.barn.daemon.store.IdentityStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running BARN node: accepts and dials links, serves bound ports and services, and keeps
 * one authenticated link per peer. Thread-safe; network work runs on Netty event loops.
 */
public final class BarnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BarnNode.class);

    private final NodeConfig config;
    private final Identity identity;
    private final SecureRandom entropy;
    private final LinkCredentials credentials;
    private volatile LinkConfig linkConfig;
    private final VerifiedKeys verifiedKeys = new VerifiedKeys(4096);
    private final EventLoopGroup group;
    private final ReachabilityService reachability;
    /** The UDP port (reachability datagrams, QUIC links); null where UDP could not be bound. */
    private final UdpEndpoint udp;
    private volatile boolean punchTcp = true;
    private volatile boolean punchUdp = true;
    private final RelayService relay;
    /**
     * This node's own scores of its peers (docs/TRUST-MODEL.md, local reputation): fed by the
     * root network's answers and timeouts, by relays' reservations and circuits, and by link
     * uptime; never sent to anyone.
     */
    private final net.barn.core.trust.reputation.Reputation reputation =
            new net.barn.core.trust.reputation.Reputation(net.barn.core.trust.reputation.Reputation.Config.DEFAULT);
    private final CircuitLinks circuits;
    private final Channel server;
    private final InetSocketAddress boundAddress;
    private final List<PeerAddress> advertised;
    private final Map<NodeId, PeerLink> links = new ConcurrentHashMap<>();
    private final Map<NodeId, CompletableFuture<PeerLink>> pendingDials = new ConcurrentHashMap<>();
    private final Map<Integer, StreamAcceptor> ports = new ConcurrentHashMap<>();
    private final Map<String, StreamAcceptor> services = new ConcurrentHashMap<>();
    private final Map<Integer, DatagramHandler> datagramPorts = new ConcurrentHashMap<>();
    private final List<NodeListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.Set<LinkDriver> drivers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pendingInbound = new AtomicInteger();
    private final AtomicLong datagramsUnbound = new AtomicLong();
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong streamsRefused = new AtomicLong();
    private final long startedAtMillis = System.currentTimeMillis();
    private volatile boolean closing;

    private BarnNode(NodeConfig config, Identity identity, SecureRandom entropy) throws IOException {
        this.config = config;
        this.identity = identity;
        this.entropy = entropy;
        this.credentials = LinkCredentials.create(identity, entropy);
        InetSocketAddress listen = REUSE_PORT ? claimPort(config.listen()) : config.listen();
        this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(), NioIoHandler.newFactory());
        try {
            ServerBootstrap sb = new ServerBootstrap();
            if (REUSE_PORT) { // hole punching dials from the listen port while it listens
                sb.option(io.netty.channel.socket.nio.NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true);
            }
            ChannelFuture bind = sb
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            acceptChannel(ch);
                        }
                    })
                    .bind(listen)
                    .syncUninterruptibly();
            this.server = bind.channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new IOException("cannot listen on " + describe(config.listen()) + ": address in use", e);
            }
            throw new IOException("cannot listen on " + describe(config.listen()) + ": " + e.getMessage(), e);
        }
        this.boundAddress = (InetSocketAddress) server.localAddress();
        this.advertised = config.advertise().isEmpty() ? deriveAddresses(boundAddress) : config.advertise();
        this.udp = UdpEndpoint.bind(this, boundAddress, config.maxLinks() + config.maxPendingHandshakes(), entropy);
        LinkConfig withAddresses = config.link().withListenAddresses(advertised);
        if (!withAddresses.capabilities().contains(LinkConfig.MOVE)) {
            withAddresses = withAddresses.withCapability(LinkConfig.MOVE);
        }
        if (udp != null && udp.quic() && !withAddresses.capabilities().contains(LinkConfig.QUIC)) {
            withAddresses = withAddresses.withCapability(LinkConfig.QUIC); // links also over QUIC on the same port number
        }
        this.linkConfig = withAddresses;
        BuiltinServices.install(this);
        this.circuits = new CircuitLinks(this);
        this.reachability = ReachabilityService.start(this);
        this.relay = new RelayService(this, net.barn.core.relay.RelayConfig.DEFAULT);
        new PunchService(this);
        group.next().scheduleAtFixedRate(this::noteUptime, UPTIME_SECONDS, UPTIME_SECONDS, TimeUnit.SECONDS);
        if (config.idleLinkNanos() > 0) {
            long period = Math.max(1_000_000_000L, config.idleLinkNanos() / 4);
            group.next().scheduleAtFixedRate(this::closeIdleLinks, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** Starts a node with the identity in its data directory (created on first start). */
    public static BarnNode start(NodeConfig config) throws IOException {
        SecureRandom entropy = new SecureRandom();
        Identity identity = IdentityStore.loadOrCreate(DataDir.open(config.dataDir()), config.link().pow(), entropy);
        return start(config, identity, entropy);
    }

    /** Starts a node with a given identity (tests, benchmarks, the in-process demo). */
    public static BarnNode start(NodeConfig config, Identity identity, SecureRandom entropy) throws IOException {
        BarnNode node = new BarnNode(config, identity, entropy);
        log.info("node {} listening on {}", identity.id().shortForm(), describe(node.boundAddress));
        for (Invite peer : config.peers()) {
            node.dial(peer).whenComplete((link, error) -> {
                if (error != null) {
                    log.warn("could not reach peer {}: {}", peer.nodeId().shortForm(), rootMessage(error));
                }
            });
        }
        return node;
    }

    // ---------------------------------------------------------------- identity and addresses

    public NodeId id() {
        return identity.id();
    }

    public Identity identity() {
        return identity;
    }

    public InetSocketAddress listenAddress() {
        return boundAddress;
    }

    /** The invite others use to reach this node: its id and advertised addresses. */
    public Invite invite() {
        return new Invite(identity.id(), advertised.stream().limit(Invite.MAX_ADDRESSES).toList());
    }

    public long startedAtMillis() {
        return startedAtMillis;
    }

    public NodeConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- links

    /**
     * Dials a peer by invite, trying its addresses in order; completes with the link once the
     * peer proved the invite's id, or fails with a {@link LinkException} naming why.
     */

    /**
     * Checks that a node answers at an address and proves the expected id, on a fresh
     * connection that is closed right after (never the link already open to that node).
     * This is how the root network verifies that a node which contacted us is reachable.
     */
    public CompletableFuture<Boolean> probe(Invite invite) {
        if (invite.addresses().isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<PeerLink> attempt = new CompletableFuture<>();
        connect(invite.nodeId(), invite.addresses().get(0), attempt, true);
        return attempt.handle((l, e) -> e == null);
    }

    /** Dials an address without knowing who answers: the node there proves some identity, any. */
    public CompletableFuture<PeerLink> dialAddress(PeerAddress address) {
        CompletableFuture<PeerLink> attempt = new CompletableFuture<>();
        connect(null, address, attempt, false);
        return attempt;
    }

    /**
     * Dials a peer by invite, trying its addresses in order; completes with the link once the
     * peer proved the invite's id, or fails with a {@link LinkException} naming why.
     */
    public CompletableFuture<PeerLink> dial(Invite invite) {
        PeerLink existing = links.get(invite.nodeId());
        if (existing != null) {
            return CompletableFuture.completedFuture(existing);
        }
        if (invite.nodeId().equals(id())) {
            return CompletableFuture.failedFuture(new LinkException(ErrorCode.SELF_DIAL, "the invite is this node's own"));
        }
        if (invite.addresses().isEmpty()) {
            return CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST,
                    "the invite has no address to dial"));
        }
        CompletableFuture<PeerLink> result = new CompletableFuture<>();
        CompletableFuture<PeerLink> inFlight = pendingDials.putIfAbsent(invite.nodeId(), result);
        if (inFlight != null) {
            return inFlight; // one dial per peer at a time
        }
        result.whenComplete((l, e) -> pendingDials.remove(invite.nodeId(), result));
        dialNext(invite, 0, result, null);
        return result;
    }

    private void dialNext(Invite invite, int index, CompletableFuture<PeerLink> result, Throwable last) {
        if (closing) {
            result.completeExceptionally(new LinkException(ErrorCode.SHUTDOWN, "node is shutting down"));
            return;
        }
        if (index >= invite.addresses().size()) {
            result.completeExceptionally(last);
            return;
        }
        PeerAddress address = invite.addresses().get(index);
        CompletableFuture<PeerLink> attempt = new CompletableFuture<>();
        connect(invite.nodeId(), address, attempt, false);
        attempt.whenComplete((link, error) -> {
            if (error == null) {
                result.complete(link);
            } else {
                dialNext(invite, index + 1, result, error);
            }
        });
    }

    private void connect(NodeId expected, PeerAddress address, CompletableFuture<PeerLink> attempt, boolean probe) {
        Bootstrap b = new Bootstrap();
        java.net.InetAddress from = sourceFor(address);
        if (from != null) {
            b.localAddress(from, 0);
        }
        b.group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LinkFrameDecoder(false), new LinkFrameEncoder(),
                                new LinkDriver(BarnNode.this, true, expected, attempt, probe));
                    }
                })
                .connect(address.host(), address.port())
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        attempt.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                                "cannot connect to " + address + ": " + rootMessage(f.cause())));
                    }
                });
    }

    /**
     * The address to dial {@code to} from: the listen address when the node listens on one
     * address (not a wildcard) of the same family as a literal {@code to}, so that peers see
     * the node's links come from where it can be dialled back; else null (the system picks).
     */
    private java.net.InetAddress sourceFor(PeerAddress to) {
        java.net.InetAddress listen = boundAddress == null ? null : boundAddress.getAddress();
        if (listen == null || listen.isAnyLocalAddress()) {
            return null;
        }
        boolean v6 = to.host().contains(":");
        boolean literal = v6 || to.host().chars().allMatch(c -> c == '.' || Character.isDigit(c));
        return literal && v6 == (listen instanceof java.net.Inet6Address) ? listen : null;
    }

    /**
     * Checks that nothing holds {@code listen} for TCP or UDP, by binding both there without
     * SO_REUSEPORT and letting go, and returns it with the port a port 0 got. The node's own
     * sockets share the port with each other (SO_REUSEPORT, for hole punching), which would
     * also let a second node bind it and take half of its connections: this refuses that.
     */
    private static InetSocketAddress claimPort(InetSocketAddress listen) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < (listen.getPort() == 0 ? 5 : 1); attempt++) {
            try (java.nio.channels.ServerSocketChannel tcp = java.nio.channels.ServerSocketChannel.open()) {
                tcp.bind(listen);
                InetSocketAddress got = new InetSocketAddress(listen.getAddress(), ((InetSocketAddress) tcp.getLocalAddress()).getPort());
                try (java.nio.channels.DatagramChannel udp = java.nio.channels.DatagramChannel.open()) {
                    udp.bind(got);
                }
                return got;
            } catch (BindException e) {
                last = new IOException("cannot listen on " + describe(listen) + ": address in use", e);
            } catch (java.nio.channels.UnsupportedAddressTypeException | java.nio.channels.UnresolvedAddressException e) {
                throw new IOException("cannot listen on " + describe(listen) + ": " + e, e);
            }
        }
        throw last;
    }

    /** Linux lets a socket dial from a port another listens on when both ask for SO_REUSEPORT. */
    static final boolean REUSE_PORT = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");

    /**
     * Opens TCP from this node's listen port to {@code to} for a hole punch, at the moment the
     * peer does the same toward us: the dialler of the relayed link ({@code initiator}) runs the
     * link's initiator side, the other the responder side, whichever SYN crossed first.
     */
    CompletableFuture<PeerLink> punch(PeerAddress to, NodeId expected, boolean initiator) {
        return punchMany(List.of(to), false, expected, initiator, 3000, new java.util.concurrent.atomic.AtomicBoolean());
    }

    /**
     * Opens TCP to every target at once, from the listen port (SO_REUSEPORT) or from fresh
     * ports, for a hole punch or a birthday search: the first connection whose link comes up
     * wins, the connects still pending are closed, and a second one that also formed is closed.
     * Each connect waits {@code timeoutMillis}, long enough for SYN retransmissions to meet a
     * mapping the other side opens a moment later.
     */
    CompletableFuture<PeerLink> punchMany(List<PeerAddress> targets, boolean fromFreshPorts, NodeId expected, boolean initiator,
            int timeoutMillis, java.util.concurrent.atomic.AtomicBoolean taken) {
        CompletableFuture<PeerLink> result = new CompletableFuture<>();
        if (targets.isEmpty() || (!fromFreshPorts && (!REUSE_PORT || boundAddress == null))) {
            result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                    targets.isEmpty() ? "nothing to dial" : "hole punching needs SO_REUSEPORT (Linux)"));
            return result;
        }
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024));
        if (!fromFreshPorts) {
            b.option(io.netty.channel.socket.nio.NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true)
                    .localAddress(boundAddress);
        }
        List<io.netty.channel.Channel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<io.netty.channel.Channel> winner = new java.util.concurrent.atomic.AtomicReference<>();
        // A birthday search (or a punch over TCP and UDP at once) can form several connections.
        // The initiator alone decides which one carries the link: it starts the handshake on the
        // first that connects and closes the others ({@code taken}), so both sides end with the same one.
        for (PeerAddress to : targets) {
            CompletableFuture<PeerLink> one = new CompletableFuture<>();
            io.netty.channel.ChannelFuture f = b.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (initiator) {
                        ch.pipeline().addLast(new FirstConnectionOnly(taken, one));
                    }
                    ch.pipeline().addLast(new LinkFrameDecoder(!initiator), new LinkFrameEncoder(),
                            new LinkDriver(BarnNode.this, initiator, initiator ? expected : null, one, false));
                }
            }).connect(to.host(), to.port());
            io.netty.channel.Channel channel = f.channel();
            channels.add(channel);
            one.whenComplete((link, e) -> {
                if (e == null) {
                    if (winner.compareAndSet(null, channel)) {
                        result.complete(link);
                    } else {
                        link.driver().close(ErrorCode.NO_ERROR, "another connection of the punch won");
                    }
                } else if (failed.incrementAndGet() == targets.size()) {
                    result.completeExceptionally(e);
                }
            });
            f.addListener(c -> {
                if (!c.isSuccess()) {
                    one.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                            "hole punch to " + to + " failed: " + rootMessage(c.cause())));
                }
            });
        }
        result.whenComplete((link, e) -> {
            for (io.netty.channel.Channel c : channels) {
                if (c != winner.get()) {
                    c.close(); // the search is over: connects still waiting, and connections that lost
                }
            }
        });
        return result;
    }

    /** Lets the first connection of a punch through to its link driver and closes every later one. */
    static final class FirstConnectionOnly extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final java.util.concurrent.atomic.AtomicBoolean taken;
        private final CompletableFuture<PeerLink> attempt;

        FirstConnectionOnly(java.util.concurrent.atomic.AtomicBoolean taken, CompletableFuture<PeerLink> attempt) {
            this.taken = taken;
            this.attempt = attempt;
        }

        @Override
        public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
            if (taken.compareAndSet(false, true)) {
                ctx.fireChannelActive();
                ctx.pipeline().remove(this);
            } else {
                attempt.completeExceptionally(new LinkException(ErrorCode.NO_ERROR, "another connection of the punch was first"));
                ctx.close();
            }
        }
    }

    /** How often each linked peer's uptime is noted in the reputation. */
    private static final long UPTIME_SECONDS = 60;

    /** Notes every linked peer as up (a link that drops with an error notes its peer as down, in {@link #linkClosed}). */
    private void noteUptime() {
        long now = System.nanoTime();
        for (PeerLink l : links()) {
            reputation.handleUptime(now, l.peerId(), true);
        }
    }

    /** This node's own scores of its peers; they never leave the node. */
    public net.barn.core.trust.reputation.Reputation reputation() {
        return reputation;
    }

    /** Closes links that have carried no stream for the idle time: links are made on demand. */
    private void closeIdleLinks() {
        long idle = config.idleLinkNanos();
        if (idle <= 0 || closing) {
            return;
        }
        long now = System.nanoTime();
        for (PeerLink l : links()) {
            LinkDriver d = l.driver();
            if (d.streamCount() == 0 && now - d.lastStreamActivity() >= idle) {
                d.eventLoop().execute(() -> {
                    if (d.streamCount() == 0 && System.nanoTime() - d.lastStreamActivity() >= idle) {
                        d.close(ErrorCode.NO_ERROR, "idle");
                    }
                });
            }
        }
    }

    /** Runs the responder side of a link on an accepted connection (TCP, or a QUIC stream); false if refused. */
    boolean acceptChannel(io.netty.channel.Channel ch) {
        if (closing || links.size() >= config.maxLinks()) {
            ch.close();
            return false;
        }
        if (pendingInbound.incrementAndGet() > config.maxPendingHandshakes()) {
            pendingInbound.decrementAndGet();
            log.debug("dropping connection from {}: too many handshakes in progress", ch.remoteAddress());
            ch.close();
            return false;
        }
        CompletableFuture<PeerLink> established = new CompletableFuture<>();
        established.whenComplete((l, e) -> pendingInbound.decrementAndGet());
        ch.pipeline().addLast(new LinkFrameDecoder(true), new LinkFrameEncoder(),
                new LinkDriver(this, false, null, established));
        return true;
    }

    /** The UDP port, or null where none could be bound. */
    UdpEndpoint udp() {
        return udp;
    }

    /** Which transports hole punches try (both by default); tests and the testbed single one out. */
    public void setPunchTransports(boolean tcp, boolean udp) {
        if (!tcp && !udp) {
            throw new IllegalArgumentException("a hole punch needs TCP or UDP");
        }
        this.punchTcp = tcp;
        this.punchUdp = udp;
    }

    boolean punchesOverTcp() {
        return punchTcp;
    }

    boolean punchesOverUdp() {
        return punchUdp && udp != null && udp.quic();
    }

    /**
     * Dials {@code to} over QUIC from this node's port, as a link's initiator; null where this
     * node has no UDP port. Direct dials use TCP; this serves hole punches and tests.
     */
    public CompletableFuture<PeerLink> dialUdp(InetSocketAddress to, NodeId expected) {
        if (udp == null) {
            return CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST, "this node has no UDP port"));
        }
        return udp.dial(to, expected, null, 5000);
    }

    private volatile java.util.function.Predicate<NodeId> refused = id -> false;

    /** Refuses links with the peers {@code refused} names (nodes this node holds evidence against). */
    public void refuseLinksWith(java.util.function.Predicate<NodeId> refused) {
        this.refused = refused;
    }

    /** Why a freshly established link must close. */
    record Refusal(ErrorCode code, String reason) {}

    /** Returns null to keep the link, or why it must close. Runs on the link's event loop. */
    Refusal linkEstablished(PeerLink link) {
        if (closing) {
            return new Refusal(ErrorCode.SHUTDOWN, "node shutting down");
        }
        if (refused.test(link.peerId())) {
            return new Refusal(ErrorCode.NO_ERROR, "this node holds evidence that the peer equivocated");
        }
        PeerLink[] replaced = new PeerLink[1];
        PeerLink winner = links.compute(link.peerId(), (id, existing) -> {
            if (existing == null || !existing.isActive()) {
                return link;
            }
            boolean relayedNew = link.relayedVia() != null;
            boolean relayedOld = existing.relayedVia() != null;
            if (relayedNew != relayedOld) { // a direct link always wins over a relayed one: it is unlimited
                if (relayedOld) {
                    replaced[0] = existing;
                    return link;
                }
                return existing;
            }
            NodeId initiatorNew = link.isOutbound() ? id() : link.peerId();
            NodeId initiatorOld = existing.isOutbound() ? id() : existing.peerId();
            // The same side dialed again: its old link is stale on its end, so the new one wins.
            // Both sides dialed at once: both keep the link whose initiator has the lower id.
            if (initiatorNew.equals(initiatorOld) || initiatorNew.compareTo(initiatorOld) < 0) {
                replaced[0] = existing;
                return link;
            }
            return existing;
        });
        if (winner != link) {
            return new Refusal(ErrorCode.REFUSED, "duplicate link to " + link.peerId().shortForm());
        }
        if (replaced[0] != null) {
            PeerLink old = replaced[0];
            if (old.relayedVia() != null && link.relayedVia() == null) {
                // Upgraded: new streams take the direct link; the relayed one closes once its streams have ended.
                log.info("link to {} upgraded from relay {} to direct", link.peerId().shortForm(), old.relayedVia().shortForm());
                old.upgraded = true;
                old.replacedBy = link; // before the move starts: streams opened through old from now on go direct
                link.replacedRelayed = old;
                if (old.canMoveStreams() && link.canMoveStreams()) { // its streams move over (PROTOCOL.md 5.10)
                    LinkDriver to = link.driver();
                    old.driver().eventLoop().execute(() -> old.driver().moveStreamsTo(to));
                }
                closeWhenIdle(old);
            } else {
                old.driver().eventLoop().execute(() -> old.driver().close(ErrorCode.REFUSED,
                        "duplicate link to " + old.peerId().shortForm()));
            }
        }
        link.announced = true;
        log.info("link up: {} {} {} (handshake {} ms)", link.peerId().shortForm(), link.isOutbound() ? "to" : "from",
                describe(link.remoteAddress()), String.format("%.2f", link.handshakeNanos() / 1e6));
        for (NodeListener l : listeners) {
            l.linkUp(link);
        }
        return null;
    }

    private void closeWhenIdle(PeerLink old) {
        old.driver().eventLoop().schedule(() -> {
            if (old.driver().carriesNothing() || closing) {
                old.driver().close(ErrorCode.NO_ERROR, "upgraded to a direct link");
            } else {
                closeWhenIdle(old);
            }
        }, 1, TimeUnit.SECONDS);
    }

    void linkClosed(LinkDriver driver, PeerLink link, ErrorCode code, String reason, boolean byPeer) {
        if (link == null) {
            String who = driver.isOutbound() ? "dial" : "inbound connection";
            if (code == ErrorCode.CONNECTION_LOST) {
                log.debug("{} failed: {}", who, reason);
            } else {
                log.warn("{} refused: {} ({})", who, code, reason);
            }
            return;
        }
        links.remove(link.peerId(), link);
        if (!link.announced) {
            log.debug("closed link to {} before it was announced: {} ({})", link.peerId().shortForm(), code, reason);
            return;
        }
        if (link.upgraded) { // the peer is still there, on its direct link
            PeerLink direct = links.get(link.peerId());
            if (direct != null && direct.replacedRelayed == link) {
                direct.replacedRelayed = null; // nothing can continue from a closed link
            }
            log.info("relayed link to {} closed after its upgrade: {}", link.peerId().shortForm(), reason);
            return;
        }
        log.info("link down: {} {}: {} ({})", link.peerId().shortForm(), byPeer ? "closed by peer" : "closed",
                code, reason);
        if (code != ErrorCode.NO_ERROR && !closing) {
            reputation.handleUptime(System.nanoTime(), link.peerId(), false); // lost, not closed in good order
        }
        for (NodeListener l : listeners) {
            l.linkDown(link, code, reason, byPeer);
        }
    }

    /**
     * The relayed link {@code direct} replaced, if its tag is {@code tag} and it is still open:
     * where a continuation the peer opened on {@code direct} takes its stream from.
     */
    LinkDriver replacedRelayedLink(LinkDriver direct, long tag) {
        PeerLink pl = direct.peerLink();
        PeerLink old = pl == null ? null : pl.replacedRelayed;
        if (old == null || old.driver().isClosed() || old.driver().tag() != tag) {
            return null;
        }
        return old.driver();
    }

    private final AtomicLong streamsMoved = new AtomicLong();

    void countStreamMoved() {
        streamsMoved.incrementAndGet();
    }

    /** Halves of streams this node moved from relayed links to direct ones. */
    public long streamsMoved() {
        return streamsMoved.get();
    }

    private volatile long lastMoveNanos = -1;

    /**
     * How long the last relayed link that a direct one replaced took to hand over its streams:
     * from the upgrade to the moment it carried nothing more (every stream moved or ended, the
     * last MOVE sent). -1 before any.
     */
    public long lastMoveNanos() {
        return lastMoveNanos;
    }

    void streamsMovedAway(PeerLink from, int count, long nanos) {
        lastMoveNanos = nanos;
        log.info("moved {} stream(s) from the relayed link to {} to the direct one in {} ms", count,
                from.peerId().shortForm(), String.format("%.1f", nanos / 1e6));
    }

    public Optional<PeerLink> link(NodeId peer) {
        return Optional.ofNullable(links.get(peer));
    }

    public List<PeerLink> links() {
        return List.copyOf(links.values());
    }

    public void addListener(NodeListener listener) {
        listeners.add(listener);
    }

    // ---------------------------------------------------------------- ports and services

    /** Serves streams opened to a port; fails if the port is taken. */
    public void bind(int port, StreamAcceptor acceptor) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535");
        }
        if (ports.putIfAbsent(port, acceptor) != null) {
            throw new IllegalStateException("port " + port + " is already bound");
        }
    }

    /** Serves streams opened to a service name; fails if the name is taken. */
    public void bind(String service, StreamAcceptor acceptor) {
        if (services.putIfAbsent(ServiceName.require(service), acceptor) != null) {
            throw new IllegalStateException("service " + service + " is already bound");
        }
    }

    public void unbind(int port) {
        ports.remove(port);
    }

    public void unbind(String service) {
        services.remove(service);
    }

    /** Receives datagrams sent to a port; fails if the port is taken. */
    public void bindDatagrams(int port, DatagramHandler handler) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535");
        }
        if (datagramPorts.putIfAbsent(port, handler) != null) {
            throw new IllegalStateException("datagram port " + port + " is already bound");
        }
    }

    public void unbindDatagrams(int port) {
        datagramPorts.remove(port);
    }

    void acceptStream(LinkDriver driver, int id, int port, String service) {
        StreamAcceptor acceptor = service != null ? services.get(service) : ports.get(port);
        if (acceptor == null) {
            streamsRefused.incrementAndGet();
            driver.mux().reset(id, ErrorCode.PORT_UNREACHABLE,
                    "nothing bound at " + (service != null ? "service " + service : "port " + port));
            driver.requestDrive();
            return;
        }
        BarnStream stream = driver.adoptInbound(id, port, service);
        try {
            acceptor.accept(stream);
        } catch (RuntimeException e) {
            log.warn("service at {} failed to accept a stream: {}", stream.address(), e.toString());
            stream.reset(ErrorCode.INTERNAL_ERROR, "service failed");
        }
    }

    void deliverDatagram(PeerLink from, int destinationPort, int sourcePort, ByteBuffer payload) {
        DatagramHandler handler = datagramPorts.get(destinationPort);
        if (handler == null) {
            datagramsUnbound.incrementAndGet();
            return;
        }
        handler.onDatagram(from, destinationPort, sourcePort, payload);
    }

    public long streamsRefused() {
        return streamsRefused.get();
    }

    /** The Netty event-loop group, shared with the local API server. */
    /** Whether and how this node can be reached, and its answers to others asking the same. */
    public ReachabilityService reachability() {
        return reachability;
    }

    CircuitLinks circuits() {
        return circuits;
    }

    /** Reservations on relays: held for others when public, held on others when behind NAT. */
    public RelayService relay() {
        return relay;
    }

    public EventLoopGroup eventLoopGroup() {
        return group;
    }

    public long datagramsUnbound() {
        return datagramsUnbound.get();
    }

    /** Link frames (Noise messages) sent and received by this node: its packets, give or take TCP's own. */
    public long framesSent() {
        return framesSent.get();
    }

    public long framesReceived() {
        return framesReceived.get();
    }

    void countFrameSent() {
        framesSent.incrementAndGet();
    }

    void countFrameReceived() {
        framesReceived.incrementAndGet();
    }

    // ---------------------------------------------------------------- internals for the driver

    void driverActive(LinkDriver driver) {
        drivers.add(driver);
    }

    void driverInactive(LinkDriver driver) {
        drivers.remove(driver);
    }

    LinkCredentials credentials() {
        return credentials;
    }

    LinkConfig linkConfig() {
        return linkConfig;
    }

    /**
     * Tests: links made from now on do not announce {@code move/1}, as with a node that predates
     * moving streams (docs/PROTOCOL.md 5.9, 5.10).
     */
    void leaveOutMoveCapability() {
        LinkConfig c = linkConfig;
        linkConfig = new LinkConfig(c.pow(), c.handshakeTimeoutNanos(),
                c.capabilities().stream().filter(x -> !x.equals(LinkConfig.MOVE)).toList(), c.listenAddresses(), c.mux());
    }

    SecureRandom entropy() {
        return entropy;
    }

    VerifiedKeys verifiedKeys() {
        return verifiedKeys;
    }

    // ---------------------------------------------------------------- shutdown

    /** Tells every peer the node is going away, then stops. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        reachability.close();
        relay.close();
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (udp != null) {
            udp.close();
        }
        List<io.netty.channel.ChannelFuture> closed = new ArrayList<>();
        for (LinkDriver driver : List.copyOf(drivers)) { // established links and handshakes alike
            closed.add(driver.closeFuture());
            driver.eventLoop().execute(() -> driver.close(ErrorCode.SHUTDOWN, "node shutting down"));
        }
        // Peers close their side on our GOAWAY; give them a moment before tearing down the loops.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LinkDriver.LINGER_MILLIS + 500);
        for (io.netty.channel.ChannelFuture f : closed) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        group.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        circuits.close();
        log.info("node {} stopped", identity.id().shortForm());
    }

    // ---------------------------------------------------------------- helpers

    static String describe(InetSocketAddress a) {
        return a == null ? "?" : PeerAddressFormat.of(a);
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    /** Addresses to advertise for a bound socket: the address itself, or every interface's for a wildcard. */
    static List<PeerAddress> deriveAddresses(InetSocketAddress bound) {
        InetAddress address = bound.getAddress();
        if (!address.isAnyLocalAddress()) {
            return List.of(new PeerAddress(address.getHostAddress(), bound.getPort()));
        }
        List<PeerAddress> out = new ArrayList<>();
        List<PeerAddress> loopback = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a.isLinkLocalAddress() || (address instanceof Inet4Address && !(a instanceof Inet4Address))) {
                        continue;
                    }
                    PeerAddress pa = new PeerAddress(stripScope(a.getHostAddress()), bound.getPort());
                    (a.isLoopbackAddress() ? loopback : out).add(pa);
                }
            }
        } catch (SocketException e) {
            // no interface list: fall back to loopback below
        }
        out.addAll(loopback);
        if (out.isEmpty()) {
            out.add(new PeerAddress("127.0.0.1", bound.getPort()));
        }
        return out.stream().limit(Invite.MAX_ADDRESSES).toList();
    }

    private static String stripScope(String host) {
        int pct = host.indexOf('%');
        return pct < 0 ? host : host.substring(0, pct);
    }
}
