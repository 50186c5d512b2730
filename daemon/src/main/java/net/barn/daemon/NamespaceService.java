package net.barn.daemon;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.dht.Record;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.namespace.MemberRecords;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameState;
import net.barn.core.namespace.NameSyntax;
import net.barn.core.overlay.NamespaceOverlay;
import net.barn.core.overlay.OverlayCodec;
import net.barn.core.overlay.OverlayConfig;
import net.barn.core.overlay.OverlayEvent;
import net.barn.core.overlay.OverlayMessage;
import net.barn.wire.names.Invitation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace networks this node is in (docs/PROTOCOL.md section 12). For each namespace
 * it lists itself in the root network (a membership record, refreshed every 30 minutes),
 * finds other members there, and runs the overlay core ({@link NamespaceOverlay}) over one
 * stream per neighbour to the service {@value #SERVICE}. Broadcasts are handed to whoever
 * listens: the local sessions of the applications in that namespace. All overlay state
 * lives on one event loop.
 */
public final class NamespaceService implements AutoCloseable {
    public static final String SERVICE = "barn/overlay";
    private static final Logger log = LoggerFactory.getLogger(NamespaceService.class);
    private static final int CONTACTS = 8;
    /** Bytes queued to one neighbour beyond which messages are dropped (the overlay repairs losses). */
    private static final int MAX_QUEUED = 256 * 1024;
    public static final int MAX_NAMESPACES = 64;

    /** A broadcast delivered in a namespace. */
    public record Delivery(String namespace, NodeId origin, byte[] payload, int hops) {}

    /** A namespace as this node is in it. */
    /** @param ignored overlay messages dropped because their sender is not a listed member of an invite-only namespace */
    public record State(String namespace, List<NodeId> neighbours, int passive, long delivered, long sent, boolean member,
            long ignored) {}

    private final BarnNode node;
    private final DhtService dht;
    private final EventLoop loop;
    private final Map<String, Membership> memberships = new HashMap<>();
    private final Map<String, Out> outbound = new HashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final java.util.random.RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong());
    private volatile boolean closed;

    /** One namespace: its overlay, who wants it, where its members are. */
    private final class Membership {
        final String namespace;
        final NamespaceOverlay overlay;
        final Set<Object> holders = new HashSet<>();
        final List<Consumer<Delivery>> listeners = new CopyOnWriteArrayList<>();
        final Map<NodeId, PeerAddress> addresses = new HashMap<>();
        Invitation invitation;
        NameState claim;
        ScheduledFuture<?> timer;
        long timerAt = Long.MAX_VALUE;
        ScheduledFuture<?> republish;
        long delivered;
        long sent;
        long ignored;
        boolean lookingUp;
        /** Invite-only namespaces: members the directory lists, and messages from others until it is read again. */
        final Set<NodeId> admitted = new HashSet<>();
        final Map<NodeId, java.util.ArrayDeque<OverlayMessage>> held = new HashMap<>();
        long directoryReadAt;
        boolean directoryReadDue;

        boolean closed() {
            return claim != null && claim.policy().getMembership() == net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY;
        }

        Membership(String namespace) {
            this.namespace = namespace;
            this.overlay = new NamespaceOverlay(OverlayConfig.DEFAULT, namespace, node.id(),
                    RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong()));
        }
    }

    NamespaceService(BarnNode node, DhtService dht) {
        this.node = node;
        this.dht = dht;
        this.loop = node.eventLoopGroup().next();
        node.bind(SERVICE, this::accept);
        // A stream to a peer the overlay no longer talks to would keep its link open for good.
        loop.scheduleAtFixedRate(this::closeIdleStreams, 60, 60, TimeUnit.SECONDS);
    }

    private static String normal(String raw) {
        try {
            return NameSyntax.normaliseTopLevel(raw);
        } catch (IllegalArgumentException e) {
            throw new NameService.NameException(e.getMessage());
        }
    }

    // ---------------------------------------------------------------- joining and leaving, from any thread

    /**
     * Makes this node a member of {@code raw} on behalf of {@code holder} (an application
     * session, or the node's own "ns join"); the node leaves when its last holder does.
     * Fails if the namespace is not claimed, or is invite-only and {@code invitation} does not admit this node.
     */
    public CompletableFuture<State> join(String raw, Object holder, Invitation invitation) {
        String ns;
        try {
            ns = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        return this.<CompletableFuture<State>>onLoop(() -> {
            Membership m = memberships.get(ns);
            if (m != null) {
                m.holders.add(holder);
                if (invitation != null) {
                    m.invitation = invitation;
                }
                return CompletableFuture.completedFuture(state(m));
            }
            if (memberships.size() >= MAX_NAMESPACES) {
                throw new NameService.NameException("this node is in " + MAX_NAMESPACES + " namespaces already");
            }
            return dht.get(NameRecords.nameKey(ns), NameRecords.NAME).thenCompose(g -> {
                if (g.record() == null) {
                    throw new NameService.NameException("namespace \"" + ns + "\" is not claimed; claim it first (barn ns claim "
                            + ns + ")");
                }
                NameState claim = dht.names().judge(g.record(), dht.nowMillis());
                Record mine = MemberRecords.member(node.identity(), ns, address(), invitation, false, dht.nowMillis(),
                        MemberRecords.MAX_TTL_MILLIS);
                String why = dht.names().membershipProblem(mine, claim, dht.nowMillis());
                if (why != null) {
                    throw new NameService.NameException(why);
                }
                return dht.put(mine, false).thenCompose(p -> this.<CompletableFuture<State>>onLoop(() -> {
                    Membership already = memberships.get(ns);
                    if (already != null) { // another join of the same namespace finished first
                        already.holders.add(holder);
                        return CompletableFuture.completedFuture(state(already));
                    }
                    Membership fresh = new Membership(ns);
                    memberships.put(ns, fresh);
                    fresh.holders.add(holder);
                    fresh.invitation = invitation;
                    fresh.claim = claim;
                    scheduleRepublish(fresh);
                    findContacts(fresh, claim);
                    log.info("joined namespace {} (listed on {} replicas)", ns, p.stored());
                    return CompletableFuture.completedFuture(state(fresh));
                }).thenCompose(f -> f));
            });
        }).thenCompose(f -> f);
    }

    /** {@code holder} no longer wants {@code raw}; the node leaves when nobody does. */
    public CompletableFuture<Boolean> leave(String raw, Object holder) {
        String ns;
        try {
            ns = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        return onLoop(() -> {
            Membership m = memberships.get(ns);
            if (m == null || !m.holders.remove(holder)) {
                return false;
            }
            if (m.holders.isEmpty()) {
                drop(m);
            }
            return true;
        });
    }

    /** Drops every membership {@code holder} holds (its session closed). */
    public void release(Object holder) {
        onLoop(() -> {
            for (Membership m : new ArrayList<>(memberships.values())) {
                if (m.holders.remove(holder) && m.holders.isEmpty()) {
                    drop(m);
                }
            }
            return null;
        });
    }

    private void drop(Membership m) {
        memberships.remove(m.namespace);
        m.overlay.leave(System.nanoTime());
        drain(m);
        if (m.timer != null) {
            m.timer.cancel(false);
        }
        if (m.republish != null) {
            m.republish.cancel(false);
        }
        // Tell the root network too, so joiners do not pick a node that left.
        dht.put(MemberRecords.member(node.identity(), m.namespace, address(), m.invitation, true, dht.nowMillis(),
                MemberRecords.REPUBLISH_MILLIS), false);
        log.info("left namespace {}", m.namespace);
    }

    /** Broadcasts {@code payload} to every member of {@code raw}; this node must be a member. */
    public CompletableFuture<Void> broadcast(String raw, byte[] payload) {
        String ns;
        try {
            ns = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        return onLoop(() -> {
            Membership m = memberships.get(ns);
            if (m == null) {
                throw new NameService.NameException("this node is not in namespace \"" + ns + "\"; join it first");
            }
            if (payload.length > OverlayConfig.DEFAULT.maxPayloadBytes()) {
                throw new NameService.NameException("broadcasts are at most " + OverlayConfig.DEFAULT.maxPayloadBytes() + " bytes");
            }
            m.overlay.broadcast(System.nanoTime(), payload);
            m.sent++;
            drain(m);
            return null;
        });
    }

    /** Hands this namespace's broadcasts to {@code listener} until it is removed. */
    public CompletableFuture<Void> listen(String raw, Consumer<Delivery> listener) {
        String ns = normal(raw);
        return onLoop(() -> {
            Membership m = memberships.get(ns);
            if (m == null) {
                throw new NameService.NameException("this node is not in namespace \"" + ns + "\"");
            }
            m.listeners.add(listener);
            return null;
        });
    }

    public void unlisten(Consumer<Delivery> listener) {
        onLoop(() -> {
            memberships.values().forEach(m -> m.listeners.remove(listener));
            return null;
        });
    }

    /** The namespaces this node is in. */
    public CompletableFuture<List<State>> states() {
        return onLoop(() -> memberships.values().stream().map(this::state).toList());
    }

    private State state(Membership m) {
        return new State(m.namespace, m.overlay.activeView(), m.overlay.passiveView().size(), m.delivered, m.sent,
                m.overlay.isMember(), m.ignored);
    }

    private String address() {
        var a = node.invite().addresses();
        return a.isEmpty() ? "" : a.get(0).toString();
    }

    // ---------------------------------------------------------------- finding members

    private void scheduleRepublish(Membership m) {
        m.republish = loop.scheduleAtFixedRate(() -> {
            if (memberships.get(m.namespace) == m) {
                dht.put(MemberRecords.member(node.identity(), m.namespace, address(), m.invitation, false, dht.nowMillis(),
                        MemberRecords.MAX_TTL_MILLIS), false);
            }
        }, MemberRecords.REPUBLISH_MILLIS, MemberRecords.REPUBLISH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Reads the namespace's members in the root network and joins the overlay through a few of them. */
    private void findContacts(Membership m, NameState claim) {
        readDirectory(m, claim, true);
    }

    /**
     * Reads the namespace's membership records: who is admitted (for invite-only namespaces,
     * only they may talk to this node in the overlay), and, when {@code join}, contacts to join through.
     */
    private void readDirectory(Membership m, NameState claim, boolean join) {
        if (m.lookingUp) {
            return;
        }
        m.lookingUp = true;
        m.directoryReadAt = System.nanoTime();
        dht.get(NameRecords.nameKey(m.namespace), MemberRecords.MEMBER).whenComplete((g, err) -> loop.execute(() -> {
            m.lookingUp = false;
            if (err != null || memberships.get(m.namespace) != m) {
                return;
            }
            if (m.admitted.size() > 4096) {
                m.admitted.clear();
            }
            m.admitted.addAll(MemberRecords.admitted(g.records(), claim, dht.names(), dht.nowMillis()));
            releaseHeld(m);
            if (!join) {
                return;
            }
            List<MemberRecords.Contact> found = MemberRecords.contacts(g.records(), claim, node.id(), dht.names(),
                    dht.nowMillis(), rng, CONTACTS);
            List<NodeId> contacts = new ArrayList<>();
            for (MemberRecords.Contact c : found) {
                m.addresses.put(c.id(), c.address());
                contacts.add(c.id());
            }
            log.info("namespace {}: {} members listed in the root network, joining through {}", m.namespace, g.records().size(),
                    contacts.size());
            m.overlay.join(System.nanoTime(), contacts);
            drain(m);
        }));
    }

    // ---------------------------------------------------------------- the overlay's outputs, on the loop

    private void drain(Membership m) {
        NamespaceOverlay.Transmit t;
        while ((t = m.overlay.pollTransmit()) != null) {
            send(m, t.to(), t.message());
        }
        OverlayEvent e;
        while ((e = m.overlay.pollEvent()) != null) {
            switch (e) {
                case OverlayEvent.Delivered d -> {
                    m.delivered++;
                    Delivery delivery = new Delivery(m.namespace, d.origin(), d.payload(), d.hops());
                    for (Consumer<Delivery> l : m.listeners) {
                        l.accept(delivery);
                    }
                }
                case OverlayEvent.NeighborUp u -> log.debug("{}: neighbour {} up", m.namespace, u.peer().shortForm());
                case OverlayEvent.NeighborDown d -> log.debug("{}: neighbour {} down", m.namespace, d.peer().shortForm());
                case OverlayEvent.Joined j -> log.info("{}: in the overlay with {} neighbours", m.namespace, j.activeNeighbors());
                case OverlayEvent.Isolated i -> {
                    if (memberships.get(m.namespace) == m) {
                        loop.schedule(() -> findContacts(m, m.claim), 5, TimeUnit.SECONDS);
                    }
                }
            }
        }
        long at = m.overlay.pollTimeout();
        if (at < m.timerAt && !closed && memberships.get(m.namespace) == m) {
            if (m.timer != null) {
                m.timer.cancel(false);
            }
            m.timerAt = at;
            m.timer = loop.schedule(() -> {
                m.timer = null;
                m.timerAt = Long.MAX_VALUE;
                m.overlay.handleTimeout(System.nanoTime());
                drain(m);
            }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** One stream per neighbour and namespace, opened on first use, with a bounded queue while it opens. */
    private final class Out implements StreamHandler {
        final String namespace;
        final NodeId peer;
        final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
        int queued;
        BarnStream stream;
        volatile boolean failed;
        long lastUsed = System.nanoTime();

        Out(String namespace, NodeId peer) {
            this.namespace = namespace;
            this.peer = peer;
        }

        /** On this service's loop until the stream exists, on the stream's loop after. */
        void offer(ByteBuffer frame) {
            if (queued + frame.remaining() > MAX_QUEUED) {
                return; // a slow neighbour loses messages, not our memory
            }
            queued += frame.remaining();
            queue.add(frame);
        }

        void flush() {
            while (stream != null && !queue.isEmpty()) {
                ByteBuffer b = queue.peek();
                int n = stream.write(b);
                if (n < 0) {
                    gone("stream closed");
                    return;
                }
                queued -= n;
                if (b.hasRemaining()) {
                    return; // onWritable continues
                }
                queue.poll();
            }
        }

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            s.consumed(data.remaining()); // the far side writes on its own stream; nothing should come here
        }

        @Override
        public void onWritable(BarnStream s) {
            flush();
        }

        @Override
        public void onReset(BarnStream s, ErrorCode code, String reason) {
            gone(reason);
        }

        @Override
        public void onFinished(BarnStream s) {
            s.finish();
        }

        @Override
        public void onClosed(BarnStream s) {
            gone("closed");
        }

        void gone(String why) {
            if (failed) {
                return;
            }
            failed = true;
            loop.execute(() -> {
                if (outbound.get(key(namespace, peer)) == this) {
                    outbound.remove(key(namespace, peer));
                }
                Membership m = memberships.get(namespace);
                if (m != null) {
                    m.overlay.handleLinkDown(System.nanoTime(), peer);
                    drain(m);
                }
            });
        }
    }

    private void closeIdleStreams() {
        long idle = System.nanoTime() - TimeUnit.SECONDS.toNanos(120);
        for (var it = outbound.values().iterator(); it.hasNext(); ) {
            Out out = it.next();
            if (out.lastUsed < idle && out.stream != null) {
                it.remove();
                out.failed = true; // closing on purpose: not a failed link
                BarnStream s = out.stream;
                s.eventLoop().execute(s::finish);
            }
        }
    }

    private static String key(String namespace, NodeId peer) {
        return namespace + "\n" + peer;
    }

    private void send(Membership m, NodeId to, OverlayMessage message) {
        byte[] body = OverlayCodec.encode(message);
        ByteBuffer frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip();
        String k = key(m.namespace, to);
        Out out = outbound.get(k);
        if (out != null) {
            out.lastUsed = System.nanoTime();
        }
        if (out != null && out.stream != null) {
            BarnStream s = out.stream;
            s.eventLoop().execute(() -> {
                out.offer(frame);
                out.flush();
            });
            return;
        }
        if (out != null) {
            out.offer(frame); // still opening: queued on our loop until the stream exists
            return;
        }
        Out fresh = new Out(m.namespace, to);
        fresh.offer(frame);
        outbound.put(k, fresh);
        PeerAddress address = m.addresses.get(to);
        CompletableFuture<PeerLink> link = node.link(to).map(CompletableFuture::completedFuture)
                .orElseGet(() -> address == null
                        ? CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST, "no address known"))
                        : node.dial(new Invite(to, List.of(address))));
        link.thenCompose(l -> l.openStream(SERVICE, fresh)).whenComplete((stream, err) -> loop.execute(() -> {
            if (err != null) {
                fresh.gone(err.getMessage());
                return;
            }
            // Hand what queued while opening to the stream's loop, then write there from now on:
            // every later send sees the stream set (on this loop) and goes to that loop after this.
            List<ByteBuffer> pending = new ArrayList<>(fresh.queue);
            fresh.queue.clear();
            fresh.queued = 0;
            fresh.stream = stream;
            stream.eventLoop().execute(() -> {
                pending.forEach(fresh::offer);
                fresh.flush();
            });
        }));
    }

    // ---------------------------------------------------------------- inbound streams

    private void accept(BarnStream stream) {
        stream.setHandler(new In(stream.peer()));
    }

    /** Reads length-prefixed overlay messages; the first fixes the stream's namespace. Bad input resets the stream. */
    private final class In implements StreamHandler {
        private final NodeId peer;
        private ByteBuffer buf = ByteBuffer.allocate(512);
        private String namespace;

        In(NodeId peer) {
            this.peer = peer;
        }

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            int n = data.remaining();
            s.consumed(n);
            if (buf.remaining() < n) {
                int need = buf.position() + n;
                if (need > 2 * (4 + OverlayCodec.MAX_MESSAGE)) {
                    s.reset(ErrorCode.FRAME_TOO_LARGE, "overlay message over " + OverlayCodec.MAX_MESSAGE + " bytes");
                    return;
                }
                buf = ByteBuffer.allocate(Math.max(buf.capacity() * 2, need)).put(buf.flip());
            }
            buf.put(data);
            buf.flip();
            while (buf.remaining() >= 4) {
                int length = buf.getInt(buf.position());
                if (length < 0 || length > OverlayCodec.MAX_MESSAGE) {
                    s.reset(ErrorCode.FRAME_TOO_LARGE, "overlay message over " + OverlayCodec.MAX_MESSAGE + " bytes");
                    return;
                }
                if (buf.remaining() < 4 + length) {
                    break;
                }
                buf.getInt();
                byte[] body = new byte[length];
                buf.get(body);
                OverlayMessage m;
                try {
                    // The first message fixes the stream's namespace; every later one must name the same.
                    String expected = namespace != null ? namespace
                            : net.barn.wire.overlay.OverlayMessage.parseFrom(body).getNamespace();
                    m = OverlayCodec.decode(body, expected);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    s.reset(ErrorCode.PROTOCOL_ERROR, "not an OverlayMessage");
                    return;
                } catch (ProtocolException e) {
                    s.reset(e.code(), e.getMessage());
                    return;
                }
                namespace = m.namespace();
                loop.execute(() -> {
                    Membership mine = memberships.get(m.namespace());
                    if (mine != null) {
                        receive(mine, peer, m);
                    }
                });
            }
            buf.compact();
        }

        @Override
        public void onFinished(BarnStream s) {
            s.finish();
        }
    }

    /**
     * A message from a neighbour. In an invite-only namespace a peer the directory does not
     * list is held (a few messages, a few peers) until the directory is read again, then let
     * in or dropped: a node cannot join the overlay by knowing a member's address.
     */
    private void receive(Membership m, NodeId peer, OverlayMessage message) {
        if (m.closed() && !m.admitted.contains(peer)) {
            var queue = m.held.get(peer);
            if (queue == null && m.held.size() < 64) {
                queue = new java.util.ArrayDeque<>();
                m.held.put(peer, queue);
            }
            if (queue != null && queue.size() < 16) {
                queue.add(message);
            }
            if (!m.directoryReadDue) { // at most one read every 2 s, however many strangers knock
                m.directoryReadDue = true;
                long wait = Math.max(0, m.directoryReadAt + TimeUnit.SECONDS.toNanos(2) - System.nanoTime());
                loop.schedule(() -> {
                    m.directoryReadDue = false;
                    if (memberships.get(m.namespace) == m) {
                        readDirectory(m, m.claim, false);
                    }
                }, wait, TimeUnit.NANOSECONDS);
            }
            return;
        }
        m.overlay.handleMessage(System.nanoTime(), peer, message);
        drain(m);
    }

    private void releaseHeld(Membership m) {
        for (var e : new ArrayList<>(m.held.entrySet())) {
            if (m.admitted.contains(e.getKey())) {
                for (OverlayMessage message : e.getValue()) {
                    m.overlay.handleMessage(System.nanoTime(), e.getKey(), message);
                }
                drain(m);
            } else {
                m.ignored += e.getValue().size();
                log.info("namespace {} is invite-only: ignored {} overlay message(s) from {}, who is not a listed member",
                        m.namespace, e.getValue().size(), e.getKey().shortForm());
            }
        }
        m.held.clear();
    }

    private <T> CompletableFuture<T> onLoop(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                f.completeExceptionally(new LinkException(ErrorCode.SHUTDOWN, "node shutting down"));
                return;
            }
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Override
    public void close() {
        loop.execute(() -> {
            for (Membership m : new ArrayList<>(memberships.values())) {
                m.overlay.leave(System.nanoTime());
                drain(m);
                if (m.timer != null) {
                    m.timer.cancel(false);
                }
                if (m.republish != null) {
                    m.republish.cancel(false);
                }
            }
            memberships.clear();
            closed = true;
        });
    }
}
