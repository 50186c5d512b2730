package net.barn.daemon;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.dht.Record;
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
public final class NamespaceService extends HeldGroups<NamespaceService.Membership, NamespaceService.Delivery, NamespaceService.State>
        implements AutoCloseable {
    public static final String SERVICE = "barn/overlay";
    private static final Logger log = LoggerFactory.getLogger(NamespaceService.class);
    private static final int CONTACTS = 8;
    public static final int MAX_NAMESPACES = 64;

    /** A broadcast delivered in a namespace. */
    public record Delivery(String namespace, NodeId origin, byte[] payload, int hops) {}

    /** A namespace as this node is in it. */
    /** @param ignored overlay messages dropped because their sender is not a listed member of an invite-only namespace */
    public record State(String namespace, List<NodeId> neighbours, int passive, long delivered, long sent, boolean member,
            long ignored) {}

    private final BarnNode node;
    private final DhtService dht;
    private final Map<String, Membership> memberships = groups;
    private final GroupStreams<OverlayMessage> streams;
    private final SecureRandom random = new SecureRandom();
    private final java.util.random.RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong());

    /** One namespace: its overlay, who wants it, where its members are. */
    final class Membership extends HeldGroups.Group<Delivery> {
        final String namespace;
        final NamespaceOverlay overlay;
        final Map<NodeId, PeerAddress> addresses = new HashMap<>();
        Invitation invitation;
        NameState claim;
        long delivered;
        long sent;

        boolean lookingUp;
        /** Invite-only namespaces: members the directory lists, and messages from others until it is read again. */
        final Strangers<OverlayMessage> strangers = new Strangers<>();

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
        super(node.eventLoopGroup().next());
        this.node = node;
        this.dht = dht;
        this.streams = new GroupStreams<>(node, loop, SERVICE, OverlayCodec.MAX_MESSAGE, GroupStreams.codec(OverlayCodec::encode,
                body -> net.barn.wire.overlay.OverlayMessage.parseFrom(body).getNamespace(), OverlayCodec::decode, OverlayMessage::namespace, "OverlayMessage"),
                (ns, peer, m) -> {
            Membership mine = memberships.get(ns);
            if (mine != null) {
                receive(mine, peer, m);
            }
        }, (ns, peer) -> {
            Membership m = memberships.get(ns);
            if (m != null) {
                m.overlay.handleLinkDown(System.nanoTime(), peer);
                drain(m);
            }
        }, dht::linkTo);
    }

    @Override
    String normal(String raw) {
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
                Record mine = MemberRecords.member(node.identity(), ns, address(), invitation, false, dht.sequenceNow(),
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

    @Override
    void left(Membership m) {
        drop(m);
    }

    private void drop(Membership m) {
        memberships.remove(m.namespace);
        m.overlay.leave(System.nanoTime());
        drain(m);
        m.stopTimers();
        // Tell the root network too, so joiners do not pick a node that left.
        dht.put(MemberRecords.member(node.identity(), m.namespace, address(), m.invitation, true, dht.sequenceNow(),
                MemberRecords.REPUBLISH_MILLIS), false);
        log.info("left namespace {}", m.namespace);
    }

    /** Broadcasts {@code payload} to every member of {@code raw}; this node must be a member. */
    public CompletableFuture<Void> broadcast(String raw, byte[] payload) {
        return onGroup(raw, m -> {
            if (payload.length > OverlayConfig.DEFAULT.maxPayloadBytes()) {
                throw new NameService.NameException("broadcasts are at most " + OverlayConfig.DEFAULT.maxPayloadBytes() + " bytes");
            }
            m.overlay.broadcast(System.nanoTime(), payload);
            m.sent++;
            drain(m);
            return null;
        });
    }

    @Override
    String kind() {
        return "namespace";
    }

    @Override
    State state(Membership m) {
        return new State(m.namespace, m.overlay.activeView(), m.overlay.passiveView().size(), m.delivered, m.sent,
                m.overlay.isMember(), m.strangers.ignored());
    }

    private String address() {
        var a = node.invite().addresses();
        return a.isEmpty() ? "" : a.get(0).toString();
    }

    // ---------------------------------------------------------------- finding members

    private void scheduleRepublish(Membership m) {
        m.republish = loop.scheduleAtFixedRate(() -> {
            if (memberships.get(m.namespace) == m) {
                dht.put(MemberRecords.member(node.identity(), m.namespace, address(), m.invitation, false, dht.sequenceNow(),
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
        m.strangers.reading();
        dht.get(NameRecords.nameKey(m.namespace), MemberRecords.MEMBER).whenComplete((g, err) -> loop.execute(() -> {
            m.lookingUp = false;
            if (err != null || memberships.get(m.namespace) != m) {
                return;
            }
            String[] dropped = m.strangers.admit(MemberRecords.admitted(g.records(), claim, dht.names(), dht.nowMillis()),
                    (peer, message) -> m.overlay.handleMessage(System.nanoTime(), peer, message));
            drain(m);
            if (dropped.length > 0) {
                log.info("namespace {} is invite-only: ignored overlay messages from {}, not listed members", m.namespace,
                        String.join(", ", dropped));
            }
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
        wakeAt(m.namespace, m, at, () -> {
            m.overlay.handleTimeout(System.nanoTime());
            drain(m);
        });
    }

    private void send(Membership m, NodeId to, OverlayMessage message) {
        streams.send(m.namespace, to, message, m.addresses.get(to));
    }

    /**
     * A message from a neighbour. In an invite-only namespace a peer the directory does not
     * list is held (a few messages, a few peers) until the directory is read again, then let
     * in or dropped: a node cannot join the overlay by knowing a member's address.
     */
    private void receive(Membership m, NodeId peer, OverlayMessage message) {
        if (m.closed() && !m.strangers.pass(peer, message, loop, () -> {
            if (memberships.get(m.namespace) == m) {
                readDirectory(m, m.claim, false);
            }
        })) {
            return;
        }
        m.overlay.handleMessage(System.nanoTime(), peer, message);
        drain(m);
    }

    @Override
    void quit(Membership m) {
        m.overlay.leave(System.nanoTime());
        drain(m);
    }
}
