package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.nat.DialBackGuard;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayChooser;
import net.barn.core.relay.RelayCodec;
import net.barn.core.relay.RelayConfig;
import net.barn.core.relay.RelayServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations on relays (docs/PROTOCOL.md section 16). A node others can reach (its
 * reachability verdict is public) holds reservations for nodes that cannot be reached, within
 * {@link RelayConfig}'s limits, and answers load queries; a node behind NAT keeps reservations
 * on {@link #WANT} relays among its linked peers, chosen with {@link RelayChooser} from their
 * answered load and round trip, renewed at half their life and replaced when a link to a relay
 * goes or the relay refuses. Circuits through those reservations come next; the reservation
 * already tells the relay which nodes to expect and the client where it can be reached.
 *
 * <p>What relays do for this node feeds its {@linkplain BarnNode#reputation reputation}: a
 * reservation granted or a circuit carried counts good; a reservation request or circuit that
 * fails, and a held relay whose link drops, count bad (a refusal with a reason does not). The
 * chooser then prefers the better-scored of similarly loaded relays, and a relay that keeps
 * failing sinks.
 */
public final class RelayService implements AutoCloseable {
    public static final String SERVICE = "barn/relay";
    /** Relays a node behind NAT holds reservations on. */
    public static final int WANT = 2;
    private static final Logger log = LoggerFactory.getLogger(RelayService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** Linked peers asked for their load per round. */
    private static final int ASK = 8;

    /** A reservation this node holds. */
    public record Held(NodeId relay, long renewAtNanos) {}

    private final BarnNode node;
    private final EventLoop loop;
    private RelayServer server;
    /** False when the operator turned relaying off. */
    private boolean relaying = true;
    private volatile RelayChooser chooser;
    private final Map<NodeId, Held> held = new LinkedHashMap<>();
    /** The relays held, for readers off the loop. */
    private volatile List<NodeId> heldNow = List.of();
    /** Told where this node can be reached whenever its relays change, and every half hour (to publish it). */
    private volatile java.util.function.Consumer<List<RelayCodec.Via>> onReachableVia;
    private List<NodeId> published = List.of();
    private long publishedAt;
    private final Map<NodeId, Long> refusedUntil = new HashMap<>();
    private volatile boolean working;
    private long rebalanceAt = System.nanoTime() + RelayChooser.REBALANCE_NANOS;
    private volatile int reservationsNow;
    private volatile boolean closed;

    RelayService(BarnNode node, RelayConfig config) {
        this.node = node;
        this.loop = node.eventLoopGroup().next();
        this.server = new RelayServer(config);
        this.chooser = new RelayChooser(RandomGeneratorFactory.of("L64X128MixRandom").create(new java.security.SecureRandom().nextLong()),
                id -> false, node.reputation()::score);
        node.bind(SERVICE, this::accept);
        loop.scheduleAtFixedRate(this::tick, 2, 5, TimeUnit.SECONDS);
    }

    /**
     * Replaces the relay's limits, a node's own policy (its reservations start afresh); null:
     * this node relays for nobody.
     */
    public void useConfig(RelayConfig config) throws Exception {
        loop.submit(() -> {
            relaying = config != null;
            server = new RelayServer(config != null ? config : RelayConfig.DEFAULT);
        }).get(5, TimeUnit.SECONDS);
    }

    /** Hears where this node can be reached (its relays and their addresses) when that changes, and every half hour. */
    public void onReachableVia(java.util.function.Consumer<List<RelayCodec.Via>> listener) {
        onReachableVia = listener;
    }

    /** Never chooses a relay {@code excluded} names (a node this node holds evidence against). */
    public void excludeWith(java.util.function.Predicate<NodeId> excluded) {
        chooser = new RelayChooser(RandomGeneratorFactory.of("L64X128MixRandom").create(new java.security.SecureRandom().nextLong()),
                excluded, node.reputation()::score);
    }

    /** The relays this node holds reservations on now. */
    public List<NodeId> relays() {
        return heldNow;
    }

    /** Reservations this node holds for others, as a relay. */
    public int reservationsHeld() {
        return reservationsNow;
    }

    // ---------------------------------------------------------------- as a client

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        server.expire(now);
        List<NodeId> shed = server.shed(now);
        if (!shed.isEmpty()) {
            log.info("relay near its limits: shed {} reservation(s); their holders move at their next renewal", shed.size());
        }
        reservationsNow = server.reservations();
        heldNow = List.copyOf(held.keySet());
        Reachability.Verdict v = node.reachability().verdict();
        boolean unreachable = v == Reachability.Verdict.CONE_NAT || v == Reachability.Verdict.SYMMETRIC_NAT
                || v == Reachability.Verdict.PRIVATE;
        if (!unreachable) {
            held.clear();
            heldNow = List.of();
            return;
        }
        announce(now);
        Set<NodeId> linked = new HashSet<>();
        node.links().forEach(l -> linked.add(l.peerId()));
        held.values().removeIf(h -> {
            if (linked.contains(h.relay())) {
                return false;
            }
            node.reputation().handleRelay(now, h.relay(), false); // the link to it went: so did our way in
            return true;
        });
        refusedUntil.values().removeIf(t -> now >= t);
        List<Held> renew = held.values().stream().filter(h -> now >= h.renewAtNanos()).toList();
        if ((held.size() < WANT || !renew.isEmpty()) && !working) {
            working = true;
            List<PeerLink> links = node.links();
            Thread.ofVirtual().name("barn-relay-reserve").start(() -> {
                try {
                    reserve(links, renew);
                } finally {
                    working = false;
                }
            });
        } else if (now >= rebalanceAt && held.size() >= WANT && !working) {
            rebalanceAt = now + RelayChooser.REBALANCE_NANOS;
            working = true;
            List<PeerLink> links = node.links();
            List<NodeId> holding = List.copyOf(held.keySet());
            Thread.ofVirtual().name("barn-relay-rebalance").start(() -> {
                try {
                    rebalance(links, holding);
                } finally {
                    working = false;
                }
            });
        }
    }

    /**
     * Runs one rebalancing round now, off the loop, and says whether this node moved a
     * reservation (tests and operators; the daemon does it every {@link RelayChooser#REBALANCE_NANOS}).
     */
    public boolean rebalanceNow() throws Exception {
        List<NodeId> holding = loop.submit(() -> List.copyOf(held.keySet())).get(5, TimeUnit.SECONDS);
        return rebalance(node.links(), holding);
    }

    /**
     * Off the loop: asks the held relays and a few other linked peers for their load, and leaves
     * the most loaded held relay for a clearly emptier one ({@link RelayChooser#worthMoving}):
     * reserve there first, then release the old one, so the node is never without its relays.
     * This is how relays that arrived late fill up, and how load follows capacity.
     */
    private boolean rebalance(List<PeerLink> links, List<NodeId> holding) {
        List<RelayChooser.Candidate> heldLoads = new ArrayList<>();
        List<RelayChooser.Candidate> others = new ArrayList<>();
        Set<NodeId> exclude = new HashSet<>(holding);
        exclude.addAll(refusedSnapshot());
        int asked = 0;
        for (PeerLink l : links) {
            boolean isHeld = holding.contains(l.peerId());
            if (l.remoteAddress() == null || (!isHeld && (asked >= ASK || exclude.contains(l.peerId())))) {
                continue;
            }
            RelayChooser.Candidate c = askLoad(l);
            if (c == null) {
                continue;
            }
            if (isHeld) {
                heldLoads.add(c);
            } else {
                asked++;
                others.add(c);
            }
        }
        RelayChooser.Candidate worst = heldLoads.stream()
                .max(java.util.Comparator.comparingDouble(RelayChooser.Candidate::heldQuotient))
                .orElse(null);
        if (worst == null) {
            return false;
        }
        Set<String> groups = new HashSet<>();
        for (RelayChooser.Candidate c : heldLoads) {
            if (c != worst) {
                groups.add(c.group());
            }
        }
        for (RelayChooser.Candidate alt : chooser.choose(others, exclude, groups, 1)) {
            if (!RelayChooser.worthMoving(worst, alt)) {
                continue;
            }
            PeerLink to = links.stream().filter(l -> l.peerId().equals(alt.id())).findFirst().orElse(null);
            PeerLink from = links.stream().filter(l -> l.peerId().equals(worst.id())).findFirst().orElse(null);
            if (to == null || from == null || !askReserve(to)) {
                continue;
            }
            try {
                StreamRequests.ask(from, SERVICE, RelayCodec.encode(new RelayCodec.ReleaseRequest()), RelayCodec.MAX_MESSAGE, TIMEOUT_MILLIS);
            } catch (IOException | RuntimeException e) {
                log.debug("release on {} not confirmed (it lapses anyway): {}", worst.id().shortForm(), e.getMessage());
            }
            loop.execute(() -> {
                held.remove(worst.id());
                heldNow = List.copyOf(held.keySet());
            });
            log.info("moved a reservation from relay {} to the emptier relay {}", worst.id().shortForm(), alt.id().shortForm());
            return true;
        }
        return false;
    }

    private Set<NodeId> refusedSnapshot() {
        try {
            return loop.submit(() -> Set.copyOf(refusedUntil.keySet())).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return Set.of();
        }
    }

    /** A linked peer's answered load as a candidate, or null when it gave none (not a relay, or gone). */
    private RelayChooser.Candidate askLoad(PeerLink l) {
        try {
            RelayCodec.Message m = RelayCodec.decode(StreamRequests.ask(l, SERVICE, RelayCodec.encode(new RelayCodec.LoadRequest()),
                    RelayCodec.MAX_MESSAGE, TIMEOUT_MILLIS));
            if (m instanceof RelayCodec.LoadAnswer a) {
                return new RelayChooser.Candidate(l.peerId(), groupOf(l), a.sparePermille() / 1000.0, a.capacity(),
                        Math.max(1, l.rttNanos()));
            }
        } catch (IOException | ProtocolException | RuntimeException e) {
            log.debug("{} gave no load: {}", l.peerId().shortForm(), e.getMessage());
        }
        return null;
    }

    /** On the loop: tells the listener where this node can be reached, when its relays changed or half an hour passed. */
    private void announce(long now) {
        java.util.function.Consumer<List<RelayCodec.Via>> l = onReachableVia;
        List<NodeId> relays = List.copyOf(held.keySet());
        if (l == null || relays.isEmpty() || (relays.equals(published) && now - publishedAt < TimeUnit.MINUTES.toNanos(30))) {
            return;
        }
        List<RelayCodec.Via> via = new ArrayList<>();
        for (NodeId r : relays) {
            node.link(r).map(PeerLink::remoteAddress).filter(a -> a != null && a.getAddress() != null)
                    .ifPresent(a -> via.add(new RelayCodec.Via(r, PeerAddressFormat.of(a))));
        }
        if (!via.isEmpty()) {
            published = relays;
            publishedAt = now;
            l.accept(via);
        }
    }

    /** Off the loop: renews what is due, then asks linked peers for their load and reserves on the best. */
    private void reserve(List<PeerLink> links, List<Held> renew) {
        for (Held h : renew) {
            links.stream().filter(l -> l.peerId().equals(h.relay())).findFirst().ifPresent(this::askReserve);
        }
        List<RelayChooser.Candidate> candidates = new ArrayList<>();
        Set<NodeId> exclude = new HashSet<>();
        Set<String> groups = new HashSet<>();
        int need;
        try {
            need = loop.submit(() -> {
                exclude.addAll(held.keySet());
                exclude.addAll(refusedUntil.keySet());
                for (PeerLink l : links) {
                    if (held.containsKey(l.peerId())) {
                        groups.add(groupOf(l));
                    }
                }
                return WANT - held.size();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return;
        }
        if (need <= 0) {
            return;
        }
        int asked = 0;
        for (PeerLink l : links) {
            if (asked >= ASK || exclude.contains(l.peerId()) || l.remoteAddress() == null) {
                continue;
            }
            asked++;
            RelayChooser.Candidate c = askLoad(l);
            if (c != null) {
                candidates.add(c);
            }
        }
        for (RelayChooser.Candidate c : chooser.choose(candidates, exclude, groups, need)) {
            links.stream().filter(l -> l.peerId().equals(c.id())).findFirst().ifPresent(this::askReserve);
        }
    }

    /** The IP group of a link's peer (on loopback, where every node shares one address: the peer itself). */
    private static String groupOf(PeerLink l) {
        InetSocketAddress r = l.remoteAddress();
        if (r == null || r.getAddress() == null || r.getAddress().isLoopbackAddress()) {
            return l.peerId().toString();
        }
        return DialBackGuard.group(r.getAddress().getAddress());
    }

    /** Reserves (or renews) on the link's peer; says whether it granted. */
    private boolean askReserve(PeerLink l) {
        try {
            RelayCodec.Message m = RelayCodec.decode(StreamRequests.ask(l, SERVICE, RelayCodec.encode(new RelayCodec.ReserveRequest()),
                    RelayCodec.MAX_MESSAGE, TIMEOUT_MILLIS));
            switch (m) {
                case RelayCodec.Granted g -> loop.execute(() -> {
                    node.reputation().handleRelay(System.nanoTime(), l.peerId(), true);
                    boolean fresh = !held.containsKey(l.peerId());
                    held.put(l.peerId(), new Held(l.peerId(), System.nanoTime() + TimeUnit.SECONDS.toNanos(g.seconds()) / 2));
                    heldNow = List.copyOf(held.keySet());
                    if (fresh) {
                        log.info("relay {} holds a reservation for this node ({} s; circuits of {} bytes, {} s)",
                                l.peerId().shortForm(), g.seconds(), g.circuitBytes(), g.circuitSeconds());
                    }
                });
                case RelayCodec.Refused r -> loop.execute(() -> {
                    held.remove(l.peerId());
                    heldNow = List.copyOf(held.keySet());
                    refusedUntil.put(l.peerId(), System.nanoTime() + TimeUnit.MINUTES.toNanos(5));
                    log.info("relay {} refused a reservation: {}", l.peerId().shortForm(), r.reason());
                });
                default -> { }
            }
            return m instanceof RelayCodec.Granted;
        } catch (IOException | ProtocolException | RuntimeException e) {
            log.debug("reservation on {} failed: {}", l.peerId().shortForm(), e.getMessage());
            node.reputation().handleRelay(System.nanoTime(), l.peerId(), false);
            return false;
        }
    }

    // ---------------------------------------------------------------- as a relay

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-relay-answer").start(() -> answer(s, link));
    }

    private void answer(BlockingStream s, PeerLink link) {
        boolean keep = false; // a circuit's stream lives on after its first message
        try {
            s.setReadTimeout(TIMEOUT_MILLIS);
            RelayCodec.Message q = RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE));
            switch (q) {
                case RelayCodec.ConnectRequest c -> keep = relayCircuit(s, link, c.target(), c.maze());
                case RelayCodec.IncomingCircuit i -> keep = acceptCircuit(s, link, i);
                default -> StreamRequests.write(s, RelayCodec.encode(loop.submit(() -> decide(q, link)).get(5, TimeUnit.SECONDS)));
            }
        } catch (Exception e) {
            log.debug("relay request from {} not answered: {}", link.peerId().shortForm(), e.getMessage());
        } finally {
            if (!keep) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // gone already
                }
            }
        }
    }

    // ---------------------------------------------------------------- circuits

    /**
     * As the relay: opens a circuit from the link's peer to {@code target}, if it holds a
     * reservation here and accepts, then splices the two streams until either ends or the
     * circuit's bytes or time run out. Returns whether the stream now belongs to the circuit.
     */
    private boolean relayCircuit(BlockingStream from, PeerLink link, NodeId target, String maze) throws Exception {
        // Between members of a private maze this node is in: no reservation, no limits, public or not.
        boolean members = !maze.isEmpty();
        String notMembers = !members ? null
                : link.relayedVia() != null || node.link(target).map(l -> l.relayedVia() != null).orElse(true)
                ? "a member circuit needs this node's direct links to both ends"
                : !memberCheck.test(maze, link.peerId(), target)
                ? "this node is not in private maze \"" + maze + "\" with both ends" : null;
        RelayServer.Reply r = notMembers != null ? new RelayServer.Refused(notMembers) : loop.submit(() -> members
                ? server.connectMembers(System.nanoTime(), link.peerId(), target)
                : !relaying
                ? new RelayServer.Refused("this node does not relay (its operator turned relaying off)")
                : node.reachability().verdict() != Reachability.Verdict.PUBLIC
                ? new RelayServer.Refused("this node is not publicly reachable: it relays for nobody")
                : server.connect(System.nanoTime(), link.peerId(), target)).get(5, TimeUnit.SECONDS);
        if (!(r instanceof RelayServer.Opened o)) {
            StreamRequests.write(from, RelayCodec.encode(new RelayCodec.Refused(((RelayServer.Refused) r).reason())));
            return false;
        }
        BlockingStream to = null;
        try {
            PeerLink toLink = node.link(target).orElse(null);
            if (toLink == null) {
                StreamRequests.write(from, RelayCodec.encode(new RelayCodec.Refused("the target is not linked to this relay now")));
                return false;
            }
            int seconds = members ? 0 : (int) TimeUnit.NANOSECONDS.toSeconds(server.config().circuitNanos());
            long bytes = members ? 0 : o.bytes();
            to = toLink.openBlocking(SERVICE);
            to.setReadTimeout(TIMEOUT_MILLIS);
            StreamRequests.write(to, RelayCodec.encode(new RelayCodec.IncomingCircuit(link.peerId(), bytes, seconds, maze)));
            RelayCodec.Message answer = RelayCodec.decode(StreamRequests.read(to, RelayCodec.MAX_MESSAGE));
            if (!(answer instanceof RelayCodec.Accept)) {
                StreamRequests.write(from, RelayCodec.encode(answer instanceof RelayCodec.Refused no ? no
                        : new RelayCodec.Refused("the target did not accept the circuit")));
                return false;
            }
            StreamRequests.write(from, RelayCodec.encode(new RelayCodec.Connected(bytes, seconds)));
            from.setReadTimeout(0);
            to.setReadTimeout(0);
            splice(from, to, o);
            return true;
        } finally {
            if (to != null && !circuitsOpen.containsKey(o.circuit())) {
                to.close();
            }
            if (!circuitsOpen.containsKey(o.circuit())) {
                loop.execute(() -> server.close(o.circuit()));
            }
        }
    }

    private final java.util.concurrent.ConcurrentHashMap<Long, Boolean> circuitsOpen = new java.util.concurrent.ConcurrentHashMap<>();

    /** Copies both ways on threads of their own; ends the circuit at its limits, or when both sides are done. */
    private void splice(BlockingStream a, BlockingStream b, RelayServer.Opened o) {
        circuitsOpen.put(o.circuit(), true);
        java.util.concurrent.atomic.AtomicLong carried = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        Runnable end = () -> {
            if (circuitsOpen.remove(o.circuit()) != null) {
                a.reset(net.barn.core.ErrorCode.REFUSED, "relay circuit limit reached");
                b.reset(net.barn.core.ErrorCode.REFUSED, "relay circuit limit reached");
                loop.execute(() -> server.close(o.circuit()));
            }
        };
        if (o.deadline() != Long.MAX_VALUE) { // a member circuit has no time limit
            loop.schedule(end, Math.max(0, o.deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        for (BlockingStream[] pair : new BlockingStream[][] {{a, b}, {b, a}}) {
            Thread.ofVirtual().name("barn-relay-splice").start(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = pair[0].in().read(buf)) >= 0) {
                        if (carried.addAndGet(n) > o.bytes()) {
                            end.run();
                            return;
                        }
                        pair[1].out().write(buf, 0, n);
                        pair[1].out().flush();
                    }
                    pair[1].out().close(); // half-close: the other side's end of stream
                } catch (IOException | RuntimeException e) {
                    end.run();
                    return;
                }
                if (done.incrementAndGet() == 2 && circuitsOpen.remove(o.circuit()) != null) {
                    loop.execute(() -> server.close(o.circuit()));
                }
            });
        }
    }

    /**
     * As the reserved node: accepts a circuit the relay announces (only from a relay it holds a
     * reservation on) and runs a link over it. Returns whether the stream now belongs to it.
     */
    private boolean acceptCircuit(BlockingStream s, PeerLink relay, RelayCodec.IncomingCircuit i) throws Exception {
        boolean members = !i.maze().isEmpty();
        if (members && !memberCheck.test(i.maze(), relay.peerId(), i.from())) {
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Refused(
                    "this node is not in private maze \"" + i.maze() + "\" with that relay and that node")));
            return false;
        }
        boolean reserved = members || loop.submit(() -> held.containsKey(relay.peerId())).get(5, TimeUnit.SECONDS);
        if (!reserved) {
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Refused("no reservation of this node on that relay")));
            return false;
        }
        StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Accept()));
        s.setReadTimeout(0);
        node.circuits().open(s, null, false, relay.peerId()).whenComplete((l, e) -> {
            if (e == null) {
                l.unlimitedCircuit = members;
                log.info("link from {} over a {}circuit of relay {}", l.peerId().shortForm(), members ? "member " : "",
                        relay.peerId().shortForm());
            }
        });
        return true;
    }

    /** Decides whether two nodes and this one are members of a private maze (set by the maze service). */
    @FunctionalInterface
    interface MemberCheck {
        boolean test(String maze, NodeId a, NodeId b);
    }

    private volatile MemberCheck memberCheck = (maze, a, b) -> false;

    void relayForMembers(MemberCheck check) {
        this.memberCheck = check;
    }

    /** As {@link #dialVia(NodeId, NodeId)}, through a fellow member of private maze {@code maze}: a circuit without limits. */
    public java.util.concurrent.CompletableFuture<PeerLink> dialVia(NodeId relay, NodeId target, String maze) {
        return dialVia(relay, target, new RelayCodec.ConnectRequest(target, maze));
    }

    /**
     * Dials {@code target} through {@code relay} (a node this one has a link to, on which
     * {@code target} holds a reservation): completes with a link of its own to {@code target},
     * proved end to end, carried by the relay within its circuit limits.
     */
    public java.util.concurrent.CompletableFuture<PeerLink> dialVia(NodeId relay, NodeId target) {
        return dialVia(relay, target, new RelayCodec.ConnectRequest(target));
    }

    private java.util.concurrent.CompletableFuture<PeerLink> dialVia(NodeId relay, NodeId target, RelayCodec.ConnectRequest request) {
        java.util.concurrent.CompletableFuture<PeerLink> result = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("barn-relay-dial").start(() -> {
            PeerLink toRelay = node.link(relay).orElse(null);
            if (toRelay == null) {
                result.completeExceptionally(new LinkException(net.barn.core.ErrorCode.CONNECTION_LOST,
                        "no link to relay " + relay.shortForm()));
                return;
            }
            BlockingStream s = null;
            try {
                s = toRelay.openBlocking(SERVICE);
                s.setReadTimeout(TIMEOUT_MILLIS * 2);
                StreamRequests.write(s, RelayCodec.encode(request));
                RelayCodec.Message m = RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE));
                if (!(m instanceof RelayCodec.Connected)) {
                    node.reputation().handleRelay(System.nanoTime(), relay, false);
                    s.close();
                    result.completeExceptionally(new LinkException(net.barn.core.ErrorCode.REFUSED, "relay " + relay.shortForm()
                            + " refused the circuit: " + (m instanceof RelayCodec.Refused r ? r.reason() : "unexpected answer")));
                    return;
                }
                s.setReadTimeout(0);
                boolean unlimited = ((RelayCodec.Connected) m).unlimited();
                node.circuits().open(s, target, true, relay).whenComplete((l, e) -> {
                    node.reputation().handleRelay(System.nanoTime(), relay, e == null);
                    if (e == null) {
                        l.unlimitedCircuit = unlimited;
                    }
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(l);
                    }
                });
            } catch (Exception e) {
                node.reputation().handleRelay(System.nanoTime(), relay, false);
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // gone already
                    }
                }
                result.completeExceptionally(new LinkException(net.barn.core.ErrorCode.CONNECTION_LOST,
                        "circuit through " + relay.shortForm() + " failed: " + e.getMessage()));
            }
        });
        return result;
    }

    /** On the loop: what this node answers to {@code q} from the link's peer. */
    private RelayCodec.Message decide(RelayCodec.Message q, PeerLink link) {
        long now = System.nanoTime();
        if (q instanceof RelayCodec.ReleaseRequest) {
            server.release(link.peerId());
            reservationsNow = server.reservations();
            return new RelayCodec.LoadAnswer((int) Math.round(server.spare() * 1000), server.config().maxReservations());
        }
        if (!relaying) {
            return new RelayCodec.Refused("this node does not relay (its operator turned relaying off)");
        }
        if (node.reachability().verdict() != Reachability.Verdict.PUBLIC) {
            return new RelayCodec.Refused("this node is not publicly reachable: it relays for nobody");
        }
        int capacity = server.config().maxReservations();
        return switch (q) {
            case RelayCodec.LoadRequest r -> new RelayCodec.LoadAnswer((int) Math.round(server.spare() * 1000), capacity);
            case RelayCodec.ReserveRequest r -> {
                InetSocketAddress from = link.remoteAddress();
                String group = from == null || from.getAddress() == null ? "?" : DialBackGuard.group(from.getAddress().getAddress());
                RelayServer.Reply reply = server.reserve(now, link.peerId(), group);
                reservationsNow = server.reservations();
                yield switch (reply) {
                    case RelayServer.Reserved ok -> new RelayCodec.Granted((int) TimeUnit.NANOSECONDS.toSeconds(ok.expiresAt() - now),
                            ok.circuitBytes(), (int) TimeUnit.NANOSECONDS.toSeconds(ok.circuitNanos()),
                            (int) Math.round(ok.spare() * 1000), capacity);
                    case RelayServer.Refused no -> new RelayCodec.Refused(no.reason());
                    case RelayServer.Opened o -> new RelayCodec.Refused("unexpected");
                };
            }
            default -> new RelayCodec.Refused("not a request");
        };
    }

    @Override
    public void close() {
        closed = true;
    }
}
