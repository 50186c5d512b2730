package net.barn.sdk;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import net.barn.wire.local.AddPeer;
import net.barn.wire.local.AppMessage;
import net.barn.wire.local.Bind;
import net.barn.wire.local.DatagramOut;
import net.barn.wire.local.Dial;
import net.barn.wire.local.Grant;
import net.barn.wire.local.Hello;
import net.barn.wire.local.NodeMessage;
import net.barn.wire.local.PeersRequest;
import net.barn.wire.local.StatusRequest;
import net.barn.wire.local.Subscribe;
import net.barn.wire.local.Unbind;
import net.barn.wire.local.Welcome;

/**
 * An application's handle on its BARN node, over the node's local API socket.
 *
 * <pre>{@code
 * try (Barn barn = Barn.connect(Barn.socketIn(Path.of("/tmp/barn-a")), "my-app", Role.SERVER)) {
 *     BarnListener listener = barn.listen(7000);
 *     BarnConnection stream = barn.dial(peerNodeId, 7000);
 *     ...
 * }
 * }</pre>
 *
 * <p>When the node restarts, the SDK reconnects on its own, binds every listener again, and
 * reports {@link BarnEvent.Disconnected} and {@link BarnEvent.Reconnected}; open streams
 * end with an error (they lived in the node that went away), listeners carry on. All
 * methods are thread-safe.
 */
public final class Barn implements AutoCloseable {
    public static final String SOCKET_NAME = "api.sock";
    static final int VERSION = 1;
    static final int MAX_MESSAGE = 256 * 1024;
    /** Largest datagram payload, fixed by the link protocol. */
    public static final int MAX_DATAGRAM = 1200;
    private static final long REQUEST_TIMEOUT_MILLIS = 30_000;
    static final long NAME_TIMEOUT_MILLIS = 300_000;

    private final Path socket;
    private final String app;
    private final Role role;
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<Integer, CompletableFuture<NodeMessage>> pending = new ConcurrentHashMap<>();
    private final Map<Integer, BarnConnection> connections = new ConcurrentHashMap<>();
    private final List<BarnListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Integer, DatagramPort> datagramPorts = new ConcurrentHashMap<>();
    private final List<Consumer<BarnEvent>> eventHandlers = new CopyOnWriteArrayList<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile SocketChannel channel;
    private volatile Welcome welcome;
    private volatile boolean closed;
    private volatile boolean subscribedLinks;
    private volatile int generation;

    private Barn(Path socket, String app, Role role) {
        this.socket = socket;
        this.app = app;
        this.role = role;
    }

    /** The API socket inside a node's data directory. */
    public static Path socketIn(Path dataDir) {
        return dataDir.resolve(SOCKET_NAME);
    }

    /**
     * Connects to the node listening on {@code socket} as application {@code app}. Fails at
     * once if no node answers or its policy refuses this user, application or role.
     */
    public static Barn connect(Path socket, String app, Role role) throws IOException {
        Barn barn = new Barn(socket, app, role);
        barn.open();
        return barn;
    }

    // ---------------------------------------------------------------- what the node said

    public String nodeId() {
        return welcome.getNodeId();
    }

    public String invite() {
        return welcome.getInvite();
    }

    /** What the node's policy grants this application. */
    public Grant grant() {
        return welcome.getGrant();
    }

    /** Receives events on the SDK's reader thread; handlers must not block. */
    public void onEvent(Consumer<BarnEvent> handler) {
        eventHandlers.add(handler);
    }

    // ---------------------------------------------------------------- requests

    /** Serves streams opened to a port (servers only). */
    public BarnListener listen(int port) throws IOException {
        return bind(port, null, false);
    }

    /** Serves streams opened to a service name (servers only). */
    public BarnListener listen(String service) throws IOException {
        return bind(0, service, false);
    }

    /** Receives datagrams sent to a port, and sends from it (servers only). */
    public DatagramPort bindDatagrams(int port) throws IOException {
        BarnListener l = bind(port, null, true);
        DatagramPort d = new DatagramPort(this, l);
        datagramPorts.put(port, d);
        return d;
    }

    private BarnListener bind(int port, String service, boolean datagrams) throws IOException {
        NodeMessage reply = call(AppMessage.newBuilder().setBind(bindRequest(port, service, datagrams)));
        BarnListener l = new BarnListener(this, port, service, datagrams, reply.getBound().getBinding());
        listeners.add(l);
        return l;
    }

    private static Bind bindRequest(int port, String service, boolean datagrams) {
        return Bind.newBuilder().setPort(port).setService(service == null ? "" : service).setDatagrams(datagrams).build();
    }

    void unbind(BarnListener l) {
        listeners.remove(l);
        datagramPorts.values().removeIf(d -> d.port() == l.port() && l.wantsDatagrams());
        try {
            call(AppMessage.newBuilder().setUnbind(Unbind.newBuilder().setBinding(l.binding())));
        } catch (IOException ignored) {
            // the node is gone or already forgot it; nothing is bound either way
        }
    }

    /** Opens a stream to a port on a node (a node id; an invite too, for admin applications). */
    public BarnConnection dial(String node, int port) throws IOException {
        return dial(Dial.newBuilder().setNode(node).setPort(port).build());
    }

    /** Opens a stream to a named service on a node. */
    public BarnConnection dial(String node, String service) throws IOException {
        return dial(Dial.newBuilder().setNode(node).setService(service).build());
    }

    private BarnConnection dial(Dial dial) throws IOException {
        NodeMessage reply = call(AppMessage.newBuilder().setDial(dial));
        BarnConnection c = connections.get(reply.getStreamOpen().getStream());
        if (c == null) {
            throw new BarnException(BarnException.CONNECTION_LOST, "the stream ended before it could be used");
        }
        return c;
    }

    /** Registers a stream the moment the node announces it, before any of its data can arrive. */
    private BarnConnection register(net.barn.wire.local.StreamOpen open) {
        BarnConnection c = new BarnConnection(this, open.getStream(), open.getPeer(), open.getPort(),
                open.getService().isEmpty() ? null : open.getService(), welcome.getInitialWindow());
        connections.put(open.getStream(), c);
        return c;
    }

    /** Sends a datagram (at most 1,200 bytes); unreliable, like UDP. */
    public void sendDatagram(String node, int port, int sourcePort, byte[] data) throws IOException {
        if (data.length > MAX_DATAGRAM) {
            throw new BarnException(12, "datagram of " + data.length + " bytes, limit " + MAX_DATAGRAM);
        }
        send(AppMessage.newBuilder().setDatagram(DatagramOut.newBuilder().setNode(node).setPort(port)
                .setSourcePort(sourcePort).setData(ByteString.copyFrom(data))).build());
    }

    public NodeStatus status() throws IOException {
        var s = call(AppMessage.newBuilder().setStatus(StatusRequest.getDefaultInstance())).getStatus();
        return new NodeStatus(s.getNodeId(), s.getInvite(), List.copyOf(s.getListenAddressesList()), s.getUptimeMillis(),
                s.getLinks(), s.getLinksOutbound(), s.getBytesIn(), s.getBytesOut(), s.getSessions(), s.getVersion(),
                s.getRoutingTable(), s.getRecords(), s.getFramesIn(), s.getFramesOut(), s.getReachability(),
                s.getBeacon());
    }

    public List<PeerStatus> peers() throws IOException {
        return call(AppMessage.newBuilder().setPeers(PeersRequest.getDefaultInstance())).getPeers().getPeersList().stream()
                .map(p -> new PeerStatus(p.getNodeId(), p.getAddress(), p.getOutbound(), p.getRttMicros(), p.getBytesIn(),
                        p.getBytesOut(), p.getSinceMillis(), p.getStreams(), p.getRelayedVia(), p.getTransport(), p.getUnlimited()))
                .toList();
    }

    /** What {@link #dhtPut} reports: the key to read it back with, and how many replicas took it. */
    public record Published(String key, long sequence, int stored, List<String> refused) {}

    /** A record read from the root network, and how much the replicas agreed on it. */
    public record DhtValue(byte[] value, long sequence, String publisher, String name, long expiresAtMillis, int agreeing,
            int conflicting, int hops, long latencyMicros) {}

    /**
     * Publishes a value in the root network under a name of this node's own, signed by the
     * node (admin applications only). {@code ttlSeconds} 0 means 24 hours; at most 48.
     */
    public Published dhtPut(String name, byte[] value, int ttlSeconds) throws IOException {
        var r = call(AppMessage.newBuilder().setDhtPut(net.barn.wire.local.DhtPut.newBuilder().setName(name)
                .setValue(ByteString.copyFrom(value)).setTtlSeconds(ttlSeconds))).getDhtPutResult();
        return new Published(r.getKey(), r.getSequence(), r.getStored(), List.copyOf(r.getRefusedList()));
    }

    /** Reads "&lt;node id&gt;/&lt;name&gt;" (or a bare name of this node's); null if nobody holds it. */
    public DhtValue dhtGet(String key) throws IOException {
        var r = call(AppMessage.newBuilder().setDhtGet(net.barn.wire.local.DhtGet.newBuilder().setKey(key))).getDhtRecord();
        if (!r.getFound()) {
            return null;
        }
        return new DhtValue(r.getValue().toByteArray(), r.getSequence(), r.getPublisher(), r.getName(), r.getExpiresAtMillis(),
                r.getAgreeing(), r.getConflicting(), r.getHops(), r.getLatencyMicros());
    }

    /**
     * A name of the root namespace as the node read or stored it.
     *
     * @param agreeing replicas that returned exactly this record (reads)
     * @param conflicting replicas that returned a record this one cannot replace (reads): a warning sign
     * @param pin how the read compares with the claim the node pinned when it first saw the name
     * @param stored replicas that accepted a claim or update
     */
    public record Name(boolean found, String name, List<String> owners, int threshold, long sequence, long leaseUntilMillis,
            long expiresAtMillis, String state, String membership, String subNames, List<String> delegations,
            long claimedAtMillis, int countersignatures, int handovers, int agreeing, int conflicting, String pin,
            String pinNote, int stored, List<String> refused, long latencyMicros, long workMillis, long commitMillis,
            long putMillis, byte[] invitation, String target, int port, String service, String registrant,
            String policyNote, byte[] proposal, String proposalNote) {
        static Name of(net.barn.wire.local.NameInfo i) {
            return new Name(i.getFound(), i.getName(), List.copyOf(i.getOwnersList()), i.getThreshold(), i.getSequence(),
                    i.getLeaseUntilMillis(), i.getExpiresAtMillis(), i.getState(), i.getMembership(), i.getSubNames(),
                    List.copyOf(i.getDelegationsList()), i.getClaimedAtMillis(), i.getCountersignatures(), i.getHandovers(),
                    i.getAgreeing(), i.getConflicting(), i.getPin(), i.getPinNote(), i.getStored(), List.copyOf(i.getRefusedList()),
                    i.getLatencyMicros(), i.getWorkMillis(), i.getCommitMillis(), i.getPutMillis(), i.getInvitation().toByteArray(),
                    i.getTarget(), i.getPort(), i.getService(), i.getRegistrant(), i.getPolicyNote(), i.getProposal().toByteArray(),
                    i.getProposalNote());
        }
    }

    /** Claims, reads and changes names; claims take seconds of work, so they wait up to {@value #NAME_TIMEOUT_MILLIS} ms. */
    public Name name(net.barn.wire.local.NameRequest request) throws IOException {
        long timeout = request.getOp() == net.barn.wire.local.NameRequest.Op.SHOW ? REQUEST_TIMEOUT_MILLIS : NAME_TIMEOUT_MILLIS;
        return Name.of(call(AppMessage.newBuilder().setName(request), timeout).getNameInfo());
    }

    /** Reads a name from every replica it has; {@code repin} accepts what is read as the pinned claim. */
    public Name nameShow(String name, boolean repin) throws IOException {
        return name(net.barn.wire.local.NameRequest.newBuilder().setName(name).setRepin(repin).build());
    }

    /** Reads a sub-name ("irc/#barn") in a namespace this application's policy covers. */
    public Name nameResolve(String fullName) throws IOException {
        return name(net.barn.wire.local.NameRequest.newBuilder().setOp(net.barn.wire.local.NameRequest.Op.RESOLVE)
                .setName(fullName).build());
    }

    /** Claims a free name for this node (admin applications only). */
    public Name nameClaim(String name, int leaseDays) throws IOException {
        return name(net.barn.wire.local.NameRequest.newBuilder().setOp(net.barn.wire.local.NameRequest.Op.CLAIM)
                .setName(name).setLeaseDays(leaseDays).build());
    }

    /**
     * A namespace network as the node is in it, with the steward epoch, its stewards, and the
     * members they excluded.
     */
    public record NamespaceState(String namespace, List<String> neighbours, int passive, long delivered, long sent, long epoch,
            List<String> stewards, List<String> excluded) {
        static NamespaceState of(net.barn.wire.local.NsState s) {
            return new NamespaceState(s.getNamespace(), List.copyOf(s.getNeighboursList()), s.getPassive(), s.getDelivered(),
                    s.getSent(), s.getEpoch(), List.copyOf(s.getStewardsList()), List.copyOf(s.getExcludedList()));
        }
    }

    /** Namespaces this application joined, and their invitations: joined again after a reconnect. */
    private final Map<String, byte[]> namespaces = new ConcurrentHashMap<>();

    /**
     * Joins a namespace network (within this application's policy): its broadcasts arrive as
     * {@link BarnEvent.NamespaceMessage} until {@link #nsLeave} or the end of the session.
     * {@code invitation}: for invite-only namespaces, an encoded invitation; else empty.
     */
    public NamespaceState nsJoin(String namespace, byte[] invitation) throws IOException {
        var r = call(AppMessage.newBuilder().setNsJoin(net.barn.wire.local.NsJoin.newBuilder().setNamespace(namespace)
                .setInvitation(ByteString.copyFrom(invitation))), NAME_TIMEOUT_MILLIS).getNsStates();
        NamespaceState st = NamespaceState.of(r.getNamespaces(0));
        namespaces.put(st.namespace(), invitation.clone());
        return st;
    }

    public NamespaceState nsJoin(String namespace) throws IOException {
        return nsJoin(namespace, new byte[0]);
    }

    /** Makes the node itself a member, beyond this session (admin applications only): {@code barn ns join}. */
    public NamespaceState nsJoinNode(String namespace, byte[] invitation) throws IOException {
        var r = call(AppMessage.newBuilder().setNsJoin(net.barn.wire.local.NsJoin.newBuilder().setNamespace(namespace)
                .setInvitation(ByteString.copyFrom(invitation)).setNode(true)), NAME_TIMEOUT_MILLIS).getNsStates();
        return NamespaceState.of(r.getNamespaces(0));
    }

    /** Leaves a namespace joined by this session ({@code node}: the node's own membership, admins only). */
    public void nsLeave(String namespace, boolean node) throws IOException {
        namespaces.remove(namespace);
        call(AppMessage.newBuilder().setNsLeave(net.barn.wire.local.NsLeave.newBuilder().setNamespace(namespace).setNode(node)));
    }

    /** Sends {@code payload} (at most 8 KiB) to every member of a namespace the node is in. */
    public void nsBroadcast(String namespace, byte[] payload) throws IOException {
        call(AppMessage.newBuilder().setNsBroadcast(net.barn.wire.local.NsBroadcast.newBuilder().setNamespace(namespace)
                .setPayload(ByteString.copyFrom(payload))));
    }

    /** The namespaces the node is in (those this application's policy covers). */
    public List<NamespaceState> nsList() throws IOException {
        return call(AppMessage.newBuilder().setNsList(net.barn.wire.local.NsList.getDefaultInstance())).getNsStates()
                .getNamespacesList().stream().map(NamespaceState::of).toList();
    }

    /**
     * A maze as the node is in it. {@code isPrivate}: its messages are sealed end to end;
     * {@code droppedForged}: messages dropped there because a signature or seal failed.
     */
    public record MazeState(String maze, List<String> members, long delivered, long retransmissions, long droppedFromNonMembers,
            boolean isPrivate, long droppedForged) {
        static MazeState of(net.barn.wire.local.MazeState s) {
            return new MazeState(s.getMaze(), List.copyOf(s.getMembersList()), s.getDelivered(), s.getRetransmissions(),
                    s.getDroppedFromNonMembers(), s.getPrivate(), s.getDroppedForged());
        }
    }

    private record MazeJoining(byte[] invitation, boolean isPrivate) {}

    /** Mazes this application joined, and how: joined again after a reconnect. */
    private final Map<String, MazeJoining> mazes = new ConcurrentHashMap<>();

    /**
     * Joins a maze ("irc/#barn") within this application's policy: its messages arrive as
     * {@link BarnEvent.MazeMessage} (each once, in each sender's order) and its membership
     * changes as {@link BarnEvent.MazeMembership}.
     */
    public MazeState mazeJoin(String maze, byte[] invitation) throws IOException {
        return mazeJoin(maze, invitation, false);
    }

    /**
     * As above; {@code isPrivate}: join it as a private maze, whose messages only its current
     * members can read (rekeyed whenever a member comes or goes) and none can forge. Every
     * member of a maze joins it in the same mode.
     */
    public MazeState mazeJoin(String maze, byte[] invitation, boolean isPrivate) throws IOException {
        var r = call(AppMessage.newBuilder().setMazeJoin(net.barn.wire.local.MazeJoin.newBuilder().setMaze(maze)
                .setInvitation(ByteString.copyFrom(invitation)).setPrivate(isPrivate)), NAME_TIMEOUT_MILLIS).getMazeStates();
        MazeState st = MazeState.of(r.getMazes(0));
        mazes.put(st.maze(), new MazeJoining(invitation.clone(), isPrivate));
        return st;
    }

    public MazeState mazeJoin(String maze) throws IOException {
        return mazeJoin(maze, new byte[0]);
    }

    public void mazeLeave(String maze) throws IOException {
        mazes.remove(maze);
        call(AppMessage.newBuilder().setMazeLeave(net.barn.wire.local.MazeLeave.newBuilder().setMaze(maze)));
    }

    /** Sends to every member of a maze this node is in; returns this node's sequence number for it. */
    public long mazeSend(String maze, byte[] payload) throws IOException {
        return call(AppMessage.newBuilder().setMazeSend(net.barn.wire.local.MazeSend.newBuilder().setMaze(maze)
                .setPayload(ByteString.copyFrom(payload)))).getMazeSent().getSequence();
    }

    public List<MazeState> mazeList() throws IOException {
        return call(AppMessage.newBuilder().setMazeList(net.barn.wire.local.MazeList.getDefaultInstance())).getMazeStates()
                .getMazesList().stream().map(MazeState::of).toList();
    }

    /** Links the node to a peer by invite (admin applications only). */
    public void addPeer(String invite) throws IOException {
        call(AppMessage.newBuilder().setAddPeer(AddPeer.newBuilder().setInvite(invite)));
    }

    /** Asks for {@link BarnEvent.LinkUp} and {@link BarnEvent.LinkDown} events. */
    public void subscribeLinks() throws IOException {
        subscribedLinks = true;
        call(AppMessage.newBuilder().setSubscribe(Subscribe.newBuilder().setLinks(true)));
    }

    // ---------------------------------------------------------------- connection

    private void open() throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new BarnException(0, "cannot reach a BARN node at " + socket + " (" + e.getMessage()
                    + "); is 'barn node' running with this data directory?");
        }
        channel = ch;
        int gen = ++generation;
        Thread reader = Thread.ofPlatform().daemon().name("barn-sdk-reader").unstarted(() -> readLoop(ch, gen));
        reader.start();
        NodeMessage reply;
        try {
            reply = call(AppMessage.newBuilder().setHello(Hello.newBuilder().setVersion(VERSION).setApp(app)
                    .setRole(role == Role.SERVER ? net.barn.wire.local.Role.SERVER : net.barn.wire.local.Role.CLIENT)));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        welcome = reply.getWelcome();
    }

    private void readLoop(SocketChannel ch, int gen) {
        ByteBuffer header = ByteBuffer.allocate(4);
        String why = "the node closed the connection";
        try {
            while (true) {
                header.clear();
                readFully(ch, header);
                int length = header.getInt(0);
                if (length < 0 || length > MAX_MESSAGE) {
                    why = "the node sent a message of " + length + " bytes";
                    break;
                }
                ByteBuffer body = ByteBuffer.allocate(length);
                readFully(ch, body);
                // Byte fields alias this fresh array rather than copy it again.
                CodedInputStream cis = com.google.protobuf.UnsafeByteOperations.unsafeWrap(body.array(), 0, length)
                        .newCodedInput(); // marks the input immutable, so aliasing applies
                cis.enableAliasing(true);
                dispatch(NodeMessage.parseFrom(cis));
            }
        } catch (InvalidProtocolBufferException e) {
            why = "the node sent a malformed message";
        } catch (IOException e) {
            why = e instanceof EOFException ? "the node closed the connection" : e.getMessage();
        }
        connectionLost(ch, gen, why);
    }

    private static void readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException();
            }
        }
    }

    private void dispatch(NodeMessage m) {
        if (m.getRequest() != 0) {
            if (m.hasStreamOpen()) {
                register(m.getStreamOpen());
            }
            CompletableFuture<NodeMessage> f = pending.remove(m.getRequest());
            if (f != null) {
                f.complete(m);
            }
            return;
        }
        switch (m.getKindCase()) {
            case STREAM_OPEN -> {
                var open = m.getStreamOpen();
                BarnConnection c = register(open);
                BarnListener l = listeners.stream().filter(x -> x.binding() == open.getBinding()).findFirst().orElse(null);
                if (l == null || l.isClosed()) {
                    c.reset("no listener");
                } else {
                    l.offer(c);
                }
            }
            case DATA -> {
                BarnConnection c = connections.get(m.getData().getStream());
                if (c != null) {
                    c.onData(m.getData().getData(), m.getData().getFin());
                    if (c.isFinished()) {
                        connections.remove(m.getData().getStream());
                    }
                }
            }
            case WINDOW -> {
                BarnConnection c = connections.get(m.getWindow().getStream());
                if (c != null) {
                    c.onWindow(m.getWindow().getIncrement());
                }
            }
            case RESET -> {
                BarnConnection c = connections.remove(m.getReset().getStream());
                if (c != null) {
                    c.fail(new BarnException(m.getReset().getCode(), "stream reset: " + m.getReset().getReason()));
                }
            }
            case DATAGRAM -> {
                var d = m.getDatagram();
                DatagramPort port = datagramPorts.get(d.getPort());
                if (port != null) {
                    port.deliver(new Datagram(d.getPeer(), d.getPort(), d.getSourcePort(), d.getData().toByteArray()));
                }
            }
            case EVENT -> {
                var e = m.getEvent();
                emit(e.hasLinkUp() ? new BarnEvent.LinkUp(e.getLinkUp().getPeer(), e.getLinkUp().getAddress())
                        : new BarnEvent.LinkDown(e.getLinkDown().getPeer(), e.getLinkDown().getCode(), e.getLinkDown().getReason()));
            }
            case ERROR -> emit(new BarnEvent.Notice(m.getError().getCode(), m.getError().getMessage()));
            case MAZE_EVENT -> {
                var e = m.getMazeEvent();
                switch (e.getKindCase()) {
                    case DELIVERED -> emit(new BarnEvent.MazeMessage(e.getMaze(), e.getDelivered().getSender(),
                            e.getDelivered().getSequence(), e.getDelivered().getPayload().toByteArray()));
                    case JOINED -> emit(new BarnEvent.MazeMembership(e.getMaze(), e.getJoined(), "joined"));
                    case LEFT -> emit(new BarnEvent.MazeMembership(e.getMaze(), e.getLeft(), "left"));
                    case FAILED -> emit(new BarnEvent.MazeMembership(e.getMaze(), e.getFailed(), "failed"));
                    default -> { }
                }
            }
            case NS_DELIVERY -> {
                var d = m.getNsDelivery();
                emit(new BarnEvent.NamespaceMessage(d.getNamespace(), d.getOrigin(), d.getPayload().toByteArray(), d.getHops()));
            }
            default -> { } // newer message kinds this SDK does not know
        }
    }

    private void emit(BarnEvent e) {
        for (Consumer<BarnEvent> h : eventHandlers) {
            try {
                h.accept(e);
            } catch (RuntimeException ignored) {
                // a failing handler must not take the reader down
            }
        }
    }

    private void connectionLost(SocketChannel ch, int gen, String why) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (gen != generation) {
            return;
        }
        BarnException lost = new BarnException(BarnException.CONNECTION_LOST, "connection to the node lost: " + why);
        pending.values().forEach(f -> f.completeExceptionally(lost));
        pending.clear();
        connections.values().forEach(c -> c.fail(lost));
        connections.clear();
        if (closed || welcome == null) {
            return;
        }
        emit(new BarnEvent.Disconnected(why));
        Thread.ofPlatform().daemon().name("barn-sdk-reconnect").start(this::reconnect);
    }

    /** Tries again and again, backing off to 2 s, until the node is back or the app closes. */
    private void reconnect() {
        long delay = 50;
        while (!closed) {
            try {
                Thread.sleep(delay); // back-off between attempts, not a wait for an event
            } catch (InterruptedException e) {
                return;
            }
            delay = Math.min(2000, delay * 2);
            try {
                open();
            } catch (IOException notYet) {
                continue;
            }
            int restored = 0;
            int lost = 0;
            for (BarnListener l : listeners) {
                try {
                    l.rebound(call(AppMessage.newBuilder().setBind(bindRequest(l.port(), l.service(), l.wantsDatagrams())))
                            .getBound().getBinding());
                    restored++;
                } catch (IOException e) {
                    lost++;
                    l.offer(new BarnException(e instanceof BarnException b ? b.code() : 0,
                            "could not bind " + l + " again after the node restarted: " + e.getMessage()));
                }
            }
            for (var joined : mazes.entrySet()) {
                try {
                    call(AppMessage.newBuilder().setMazeJoin(net.barn.wire.local.MazeJoin.newBuilder().setMaze(joined.getKey())
                            .setInvitation(ByteString.copyFrom(joined.getValue().invitation()))
                            .setPrivate(joined.getValue().isPrivate())), NAME_TIMEOUT_MILLIS);
                } catch (IOException e) {
                    emit(new BarnEvent.Notice(e instanceof BarnException b ? b.code() : 0,
                            "could not join " + joined.getKey() + " again after the node restarted: " + e.getMessage()));
                }
            }
            for (var joined : namespaces.entrySet()) {
                try {
                    call(AppMessage.newBuilder().setNsJoin(net.barn.wire.local.NsJoin.newBuilder().setNamespace(joined.getKey())
                            .setInvitation(ByteString.copyFrom(joined.getValue()))), NAME_TIMEOUT_MILLIS);
                } catch (IOException e) {
                    emit(new BarnEvent.Notice(e instanceof BarnException b ? b.code() : 0,
                            "could not join " + joined.getKey() + " again after the node restarted: " + e.getMessage()));
                }
            }
            if (subscribedLinks) {
                try {
                    call(AppMessage.newBuilder().setSubscribe(Subscribe.newBuilder().setLinks(true)));
                } catch (IOException ignored) {
                    // events resume with the next reconnect
                }
            }
            emit(new BarnEvent.Reconnected(restored, lost));
            return;
        }
    }

    /** Sends a request and waits for its reply; an Error reply becomes a {@link BarnException}. */
    NodeMessage call(AppMessage.Builder request) throws IOException {
        return call(request, REQUEST_TIMEOUT_MILLIS);
    }

    NodeMessage call(AppMessage.Builder request, long timeoutMillis) throws IOException {
        int id = requests.incrementAndGet();
        CompletableFuture<NodeMessage> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            send(request.setRequest(id).build());
            NodeMessage m = reply.get(timeoutMillis, TimeUnit.MILLISECONDS);
            if (m.hasError()) {
                throw new BarnException(m.getError().getCode(), m.getError().getMessage());
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new BarnException(106, "the node did not answer within " + timeoutMillis / 1000 + " s");
        } finally {
            pending.remove(id);
        }
    }

    void send(AppMessage m) throws IOException {
        SocketChannel ch = channel;
        int size = m.getSerializedSize();
        ByteBuffer buf = ByteBuffer.allocate(4 + size).putInt(size);
        CodedOutputStream cos = CodedOutputStream.newInstance(buf);
        m.writeTo(cos);
        cos.flush();
        buf.flip();
        writeLock.lock();
        try {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        } catch (IOException e) {
            throw new BarnException(BarnException.CONNECTION_LOST, "connection to the node lost: " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
    }

    void sendQuietly(AppMessage m) {
        try {
            send(m);
        } catch (IOException ignored) {
            // the connection is gone; its loss is reported once, by the reader
        }
    }

    void forget(int stream) {
        connections.remove(stream);
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
