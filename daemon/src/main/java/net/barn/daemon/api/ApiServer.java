package net.barn.daemon.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import net.barn.core.ErrorCode;
import net.barn.daemon.BarnNode;
import net.barn.daemon.NodeListener;
import net.barn.daemon.PeerLink;
import net.barn.daemon.api.policy.Caller;
import net.barn.daemon.api.policy.Policy;
import net.barn.daemon.api.policy.PolicyFile;
import net.barn.daemon.api.policy.UnixAccounts;
import net.barn.wire.local.Event;
import net.barn.wire.local.LinkDown;
import net.barn.wire.local.LinkUp;
import net.barn.wire.local.NodeMessage;
import net.barn.wire.local.Peer;
import net.barn.wire.local.Peers;
import net.barn.wire.local.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local API: a Unix-domain socket through which application processes use the node.
 * The kernel names the connecting user (SO_PEERCRED); the policy decides what that user's
 * application may do. The socket is created mode 0660.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    public static final String SOCKET_NAME = "api.sock";
    public static final int MAX_SESSIONS = 256;

    private final BarnNode node;
    private final Path socket;
    private final Path policyFile;
    private final int ownerUid;
    private final Channel server;
    private final Set<ApiSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile Policy policy;
    private volatile net.barn.daemon.DhtService dht;

    private ApiServer(BarnNode node, Path socket, Path policyFile, Policy policy, int ownerUid) throws IOException {
        this.node = node;
        this.socket = socket;
        this.policyFile = policyFile;
        this.policy = policy;
        this.ownerUid = ownerUid;
        clearStaleSocket(socket);
        try {
            server = new ServerBootstrap()
                    .group(node.eventLoopGroup())
                    .channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<NioDomainSocketChannel>() {
                        @Override
                        protected void initChannel(NioDomainSocketChannel ch) {
                            accept(ch);
                        }
                    })
                    .bind(UnixDomainSocketAddress.of(socket))
                    .syncUninterruptibly()
                    .channel();
        } catch (Exception e) {
            throw new IOException("cannot create the API socket " + socket + ": " + e.getMessage(), e);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        node.addListener(new Events());
    }

    /**
     * Serves the local API for {@code node} on {@code socket}, with the policy in
     * {@code policyFile} (or the owner-only default when the file does not exist).
     */
    public static ApiServer start(BarnNode node, Path socket, Path policyFile) throws IOException {
        return start(node, socket, policyFile, (int) new com.sun.security.auth.module.UnixSystem().getUid());
    }

    /**
     * As {@link #start(BarnNode, Path, Path)} with an explicit owner uid: the user who gets
     * everything when no rule names them. Tests use it to play a stranger.
     */
    public static ApiServer start(BarnNode node, Path socket, Path policyFile, int owner) throws IOException {
        Policy policy = PolicyFile.load(policyFile, owner);
        ApiServer api = new ApiServer(node, socket.toAbsolutePath(), policyFile, policy, owner);
        log.info("local API on {} (policy: {})", socket, policy.source());
        return api;
    }

    public Path socket() {
        return socket;
    }

    /** Lets applications use the root network (dht put/get) and status show it. */
    public void attach(net.barn.daemon.DhtService value) {
        dht = value;
    }

    net.barn.daemon.DhtService dht() {
        return dht;
    }

    public Policy policy() {
        return policy;
    }

    /**
     * Reads the policy file again. A file with errors is refused with its line and reason and
     * the policy in force stays; otherwise every session is re-checked and those no longer
     * allowed are closed, the rest keep running under their new limits.
     */
    public boolean reloadPolicy() {
        Policy next;
        try {
            next = PolicyFile.load(policyFile, ownerUid);
        } catch (IOException e) {
            log.error("policy reload refused, keeping the previous policy: {}", e.getMessage());
            return false;
        }
        policy = next;
        log.info("policy reloaded from {} ({} rules)", next.source(), next.rules().size());
        for (ApiSession s : sessions) {
            s.execute(() -> s.reapply(next));
        }
        return true;
    }

    private void accept(NioDomainSocketChannel ch) {
        if (sessions.size() >= MAX_SESSIONS) {
            log.warn("refusing a local connection: {} sessions already", MAX_SESSIONS);
            ch.close();
            return;
        }
        Caller caller = callerOf(ch);
        if (caller == null) {
            ch.close();
            return;
        }
        ApiSession session = new ApiSession(this, node, caller);
        sessions.add(session);
        ch.pipeline().addLast(new ApiCodec.Decoder(), new ApiCodec.Encoder(), session);
    }

    /** The kernel's word on who connected: user and primary group, then supplementary groups. */
    private static Caller callerOf(NioDomainSocketChannel ch) {
        UnixDomainPrincipal p = ch.config().getOption(NioChannelOption.of(ExtendedSocketOptions.SO_PEERCRED));
        if (p == null) {
            log.warn("refusing a local connection: no peer credentials");
            return null;
        }
        String user = p.user().getName();
        String group = p.group().getName();
        Integer uid = UnixAccounts.uidOf(user);
        Integer gid = UnixAccounts.gidOf(group);
        return new Caller(uid == null ? -1 : uid, user, gid == null ? -1 : gid, group,
                UnixAccounts.supplementaryGroups(user), null);
    }

    void sessionEnded(ApiSession s) {
        sessions.remove(s);
    }

    int sessionCount() {
        return sessions.size();
    }

    Status status() {
        net.barn.daemon.DhtService.Stats stats = null;
        if (dht != null) {
            try {
                stats = dht.stats().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("root-network stats unavailable: {}", e.toString());
            }
        }
        List<PeerLink> links = node.links();
        long in = 0;
        long out = 0;
        for (PeerLink l : links) {
            in += l.bytesReceived();
            out += l.bytesSent();
        }
        return Status.newBuilder()
                .setNodeId(node.id().toString())
                .setInvite(node.invite().toString())
                .addAllListenAddresses(node.invite().addresses().stream().map(Object::toString).toList())
                .setUptimeMillis(System.currentTimeMillis() - node.startedAtMillis())
                .setLinks(links.size())
                .setLinksOutbound((int) links.stream().filter(PeerLink::isOutbound).count())
                .setBytesIn(in)
                .setBytesOut(out)
                .setSessions(sessions.size())
                .setVersion("barn link 1, local API " + ApiSession.VERSION)
                .setRoutingTable(stats == null ? 0 : stats.routingTable())
                .setRecords(stats == null ? 0 : stats.records())
                .setFramesIn(node.framesReceived())
                .setFramesOut(node.framesSent())
                .setReachability(reachability())
                .setBeacon(dht == null || dht.beacon() == null ? "" : dht.beacon().describe())
                .build();
    }

    /** The reachability verdict, and the relays this node holds reservations on or holds them for. */
    private String reachability() {
        StringBuilder b = new StringBuilder(node.reachability().describe());
        List<net.barn.core.identity.NodeId> relays = node.relay().relays();
        if (!relays.isEmpty()) {
            b.append("; reserved on ").append(relays.size()).append(relays.size() == 1 ? " relay: " : " relays: ")
                    .append(String.join(", ", relays.stream().map(net.barn.core.identity.NodeId::shortForm).toList()));
        }
        int held = node.relay().reservationsHeld();
        if (held > 0) {
            b.append("; relaying for ").append(held).append(held == 1 ? " node" : " nodes");
        }
        return b.toString();
    }

    Peers peers() {
        Peers.Builder b = Peers.newBuilder();
        for (PeerLink l : node.links()) {
            b.addPeers(Peer.newBuilder()
                    .setNodeId(l.peerId().toString())
                    .setAddress(l.remoteAddress() == null ? "" : l.remoteAddress().getAddress().getHostAddress()
                            + ":" + l.remoteAddress().getPort())
                    .setRelayedVia(l.relayedVia() == null ? "" : l.relayedVia().toString())
                    .setTransport(l.transport())
                    .setUnlimited(l.relayedVia() != null && !l.limited())
                    .setOutbound(l.isOutbound())
                    .setRttMicros(Math.max(0, l.rttNanos() / 1000))
                    .setBytesIn(l.bytesReceived())
                    .setBytesOut(l.bytesSent())
                    .setSinceMillis(l.establishedAtMillis())
                    .setStreams(l.streamCount()));
        }
        return b.build();
    }

    /** Forwards link events to the sessions that asked for them. */
    private final class Events implements NodeListener {
        @Override
        public void linkUp(PeerLink link) {
            broadcast(Event.newBuilder().setLinkUp(LinkUp.newBuilder().setPeer(link.peerId().toString())
                    .setAddress(link.remoteAddress() != null ? String.valueOf(link.remoteAddress())
                            : "via relay " + link.relayedVia().shortForm())).build());
        }

        @Override
        public void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {
            broadcast(Event.newBuilder().setLinkDown(LinkDown.newBuilder().setPeer(link.peerId().toString())
                    .setCode(code.value()).setReason(reason)).build());
        }

        private void broadcast(Event e) {
            NodeMessage m = NodeMessage.newBuilder().setEvent(e).build();
            for (ApiSession s : sessions) {
                s.execute(() -> {
                    if (s.isReady() && s.subscribed()) {
                        s.send(m);
                    }
                });
            }
        }
    }

    /** A socket file left by a node that died is removed; one a live node answers on is not. */
    private static void clearStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            return;
        }
        boolean alive;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            alive = probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException refused) {
            alive = false;
        }
        if (alive) {
            throw new IOException("another node is already serving the API socket " + socket);
        }
        Files.deleteIfExists(socket);
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        for (ApiSession s : sessions) {
            s.execute(() -> s.channel().close());
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.debug("could not remove {}: {}", socket, e.toString());
        }
    }
}
