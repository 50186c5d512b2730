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
import net.barn.core.trust.evidence.EvidenceCodec;
import net.barn.core.trust.evidence.StewardCouncil;
import net.barn.core.trust.evidence.StewardVote;
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
 *
 * <p>Each namespace has stewards (section 12.9): every member draws them from the members
 * the root network lists, under the epoch's seed ({@link EpochSeeds}), and counts the votes
 * they broadcast; a member that stewards see flooding the namespace is voted out and, once two
 * thirds of them agree, every member refuses its messages and keeps it out of its views for an
 * hour. A steward voting both ways is handed to the {@link EvidenceService}.
 */
public final class NamespaceService extends HeldGroups<NamespaceService.Membership, NamespaceService.Delivery, NamespaceService.State>
        implements AutoCloseable {
    public static final String SERVICE = "barn/overlay";
    private static final Logger log = LoggerFactory.getLogger(NamespaceService.class);
    private static final int CONTACTS = 8;
    public static final int MAX_NAMESPACES = 64;

    /** A broadcast delivered in a namespace. */
    public record Delivery(String namespace, NodeId origin, byte[] payload, int hops) {}

    /**
     * A namespace as this node is in it.
     *
     * @param ignored overlay messages dropped: from peers an invite-only namespace does not list,
     *     from members the stewards excluded, or not for this overlay
     * @param epoch the steward epoch; -1 before the directory was first read
     * @param stewards this epoch's stewards, lowest ticket first
     * @param excluded members the stewards excluded, whose messages this node refuses
     * @param votesRefused steward votes refused (non-stewards, wrong epoch, bad signatures)
     * @param lastRefusal why the last vote was refused
     */
    public record State(String namespace, List<NodeId> neighbours, int passive, long delivered, long sent, boolean member,
            long ignored, long epoch, List<NodeId> stewards, List<NodeId> excluded, long votesRefused, String lastRefusal) {}

    private final BarnNode node;
    private final DhtService dht;
    private final Map<String, Membership> memberships = groups;
    private final GroupStreams<OverlayMessage> streams;
    private final SecureRandom random = new SecureRandom();
    private final java.util.random.RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong());
    private volatile EpochSeeds seeds = EpochSeeds.genesis();
    private volatile StewardCouncil.Config councilConfig = StewardCouncil.Config.DEFAULT;
    /** How often a member checks the epoch, and reads the directory again to redraw the stewards. */
    private volatile long tickMillis = 5_000;
    private volatile long directoryMillis = 60_000;

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
        /** The stewards, and the members they are drawn from (the last directory read). */
        final StewardCouncil council;
        java.util.Set<NodeId> directory = java.util.Set.of();
        long directoryReadAt;
        /** When this member, as a steward, last sent its standing votes again. */
        long votesSentAt;
        io.netty.util.concurrent.ScheduledFuture<?> tick;
        /** This node's own broadcasts in the current minute, held to the policy's limit. */
        long windowStart = Long.MIN_VALUE;
        int windowCount;

        boolean closed() {
            return claim != null && claim.policy().getMembership() == net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY;
        }

        Membership(String namespace) {
            this.namespace = namespace;
            this.overlay = new NamespaceOverlay(OverlayConfig.DEFAULT, namespace, node.id(),
                    RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong()));
            // Every broadcast carries its origin's signature, and only such are taken in: a relay
            // cannot put its broadcasts (or its floods) in another member's name.
            this.overlay.signBroadcasts(node.identity(), net.barn.core.dht.SignatureVerifier.ED25519);
            this.council = new StewardCouncil(councilConfig, namespace, node.identity(),
                    net.barn.core.dht.SignatureVerifier.ED25519);
            overlay.shun(council::isExcluded);
            overlay.filterGossip((from, g) -> admit(this, g));
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
        }, (group, peer) -> dht.linkTo(peer));
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
                    fresh.council.limit(claim.policy().getBroadcastsPerMinute());
                    scheduleRepublish(fresh);
                    scheduleStewards(fresh);
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
        if (m.tick != null) {
            m.tick.cancel(false);
        }
        // Tell the root network too, so joiners do not pick a node that left.
        dht.put(MemberRecords.member(node.identity(), m.namespace, address(), m.invitation, true, dht.sequenceNow(),
                MemberRecords.REPUBLISH_MILLIS), false);
        log.info("left namespace {}", m.namespace);
    }

    /** Broadcasts {@code payload} to every member of {@code raw}; this node must be a member. */
    public CompletableFuture<Void> broadcast(String raw, byte[] payload) {
        return broadcast(raw, payload, true);
    }

    /**
     * Broadcasts; {@code withinLimit} false skips this node's own rate limit (a misbehaving
     * member, for tests of the stewards).
     */
    CompletableFuture<Void> broadcast(String raw, byte[] payload, boolean withinLimit) {
        return onGroup(raw, m -> {
            if (payload.length > OverlayConfig.DEFAULT.maxPayloadBytes()) {
                throw new NameService.NameException("broadcasts are at most " + OverlayConfig.DEFAULT.maxPayloadBytes() + " bytes");
            }
            long now = System.nanoTime();
            if (m.windowStart == Long.MIN_VALUE || now - m.windowStart >= councilConfig.windowNanos()) {
                m.windowStart = now;
                m.windowCount = 0;
            }
            if (withinLimit && m.windowCount >= m.council.limit()) {
                throw new NameService.NameException("namespace " + m.namespace + " allows " + m.council.limit()
                        + " broadcasts a minute from one member; try again within a minute");
            }
            m.windowCount++;
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
                m.overlay.isMember(), m.strangers.ignored() + m.overlay.ignored(), m.council.epoch(), m.council.stewards(),
                m.council.excluded(), m.council.refusedVotes(), m.council.lastRefusal());
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
            java.util.Set<NodeId> listed = MemberRecords.admitted(g.records(), claim, dht.names(), dht.nowMillis());
            String[] dropped = m.strangers.admit(listed, (peer, message) -> m.overlay.handleMessage(System.nanoTime(), peer, message));
            m.directory = java.util.Set.copyOf(listed);
            m.directoryReadAt = System.nanoTime();
            updateStewards(m);
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
                if (m.council.isExcluded(c.id())) {
                    continue;
                }
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
        boolean more = true;
        while (more) {
            NamespaceOverlay.Transmit t;
            while ((t = m.overlay.pollTransmit()) != null) {
                send(m, t.to(), t.message());
            }
            more = drainEvents(m) | drainCouncil(m);
        }
        long at = m.overlay.pollTimeout();
        wakeAt(m.namespace, m, at, () -> {
            m.overlay.handleTimeout(System.nanoTime());
            drain(m);
        });
    }

    /** The overlay's events; true if any came (they may have queued more output). */
    private boolean drainEvents(Membership m) {
        boolean any = false;
        OverlayEvent e;
        while ((e = m.overlay.pollEvent()) != null) {
            any = true;
            switch (e) {
                case OverlayEvent.Delivered d when d.kind() == OverlayMessage.Gossip.STEWARD_VOTE -> {
                    // Counted when it passed the filter; not for applications.
                }
                case OverlayEvent.Delivered d -> {
                    StewardVote mine = m.council.observe(System.nanoTime(), d.origin());
                    if (mine != null) {
                        log.warn("{}: steward vote to exclude {}: {}", m.namespace, d.origin().shortForm(), mine.reason());
                        m.overlay.broadcast(System.nanoTime(), OverlayMessage.Gossip.STEWARD_VOTE,
                                EvidenceCodec.encodeStatement(mine.statement()));
                    }
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
        return any;
    }

    // ---------------------------------------------------------------- stewards, on the loop

    /** Checks the epoch every tick, and reads the directory again when it is older than the refresh interval. */
    private void scheduleStewards(Membership m) {
        m.tick = loop.scheduleAtFixedRate(() -> {
            if (memberships.get(m.namespace) != m) {
                return;
            }
            if (System.nanoTime() - m.directoryReadAt >= TimeUnit.MILLISECONDS.toNanos(directoryMillis)) {
                readDirectory(m, m.claim, false);
            }
            m.council.expire(System.nanoTime());
            updateStewards(m);
            if (System.nanoTime() - m.votesSentAt >= TimeUnit.MILLISECONDS.toNanos(directoryMillis)) {
                // A member that joined after a vote never saw it: a steward sends its standing votes again.
                m.votesSentAt = System.nanoTime();
                for (StewardVote v : m.council.ownStandingVotes()) {
                    m.overlay.broadcast(System.nanoTime(), OverlayMessage.Gossip.STEWARD_VOTE, EvidenceCodec.encodeStatement(v.statement()));
                }
            }
            drain(m);
        }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    private void updateStewards(Membership m) {
        if (m.directory.isEmpty()) {
            return;
        }
        EpochSeeds.Epoch e = seeds.current();
        m.council.update(System.nanoTime(), e.number(), e.seed(), m.directory);
    }

    /**
     * The overlay's filter: a new broadcast from an excluded origin is dropped; a steward vote
     * is counted, or refused (and not relayed) with the reason.
     */
    private String admit(Membership m, OverlayMessage.Gossip g) {
        if (m.council.isExcluded(g.origin())) {
            return "origin " + g.origin().shortForm() + " is excluded by the stewards";
        }
        if (g.kind() != OverlayMessage.Gossip.STEWARD_VOTE) {
            return null;
        }
        var statement = EvidenceCodec.decodeStatement(g.payload());
        String why = statement.isValid() ? null : "steward vote from " + g.origin().shortForm() + ": " + statement.reason();
        if (why == null && m.council.handleVote(System.nanoTime(), statement.orElseThrow())
                instanceof StewardCouncil.Outcome.Refused r) {
            why = "steward vote refused: " + r.reason();
        }
        if (why != null) {
            log.info("{}: {}", m.namespace, why);
        }
        return why;
    }

    /** The council's events; true if any came. */
    private boolean drainCouncil(Membership m) {
        boolean any = false;
        StewardCouncil.Event e;
        while ((e = m.council.pollEvent()) != null) {
            any = true;
            switch (e) {
                case StewardCouncil.Event.Rotated r -> log.info("{}: epoch {} stewards {}", m.namespace, r.epoch(),
                        r.stewards().stream().map(NodeId::shortForm).toList());
                case StewardCouncil.Event.Excluded x -> {
                    log.warn("{}: {} of {} stewards excluded {} ({})", m.namespace, x.votes(), x.stewards(),
                            x.accused().shortForm(), x.reason());
                    m.overlay.evict(System.nanoTime(), x.accused());
                }
                case StewardCouncil.Event.Released r -> log.info("{}: exclusion of {} ended", m.namespace, r.accused().shortForm());
                case StewardCouncil.Event.Equivocated q -> {
                    log.warn("{}: steward {} voted both ways", m.namespace, q.evidence().offender().shortForm());
                    EvidenceService evidence = dht.evidence();
                    if (evidence != null) {
                        evidence.local(q.evidence());
                    }
                }
            }
        }
        return any;
    }

    /** Broadcasts a gossip of any kind as it is (tests: a vote from a member that is no steward). */
    CompletableFuture<Void> broadcastKind(String raw, int kind, byte[] payload) {
        return onGroup(raw, m -> {
            m.overlay.broadcast(System.nanoTime(), kind, payload);
            drain(m);
            return null;
        });
    }

    /** Where the steward epochs come from: one line wires a beacon in. */
    public void epochSeeds(EpochSeeds seeds) {
        this.seeds = seeds;
    }

    /** Steward limits and timing for namespaces joined from now on (tests shorten them). */
    void stewardship(StewardCouncil.Config config, long tickMillis, long directoryMillis) {
        this.councilConfig = config;
        this.tickMillis = tickMillis;
        this.directoryMillis = directoryMillis;
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
        if (m.tick != null) {
            m.tick.cancel(false);
        }
        m.overlay.leave(System.nanoTime());
        drain(m);
    }
}
