package net.barn.sim;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;
import net.barn.core.crypto.Sha256;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Countersigner;
import net.barn.core.identity.Identity;
import net.barn.core.namespace.NameRules;
import net.barn.core.namespace.NameValidator;
import net.barn.core.dht.Dht;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/**
 * Many root-network nodes, each the real {@link Dht} core, on a simulated wide-area network
 * with loss, duplication, reordering and partitions, under virtual time. Nodes can crash and
 * restart: what a daemon keeps on disk (peer cache, the records it holds) survives, the rest
 * does not. Everything random comes from one seed; {@link #traceHash()} fingerprints a run.
 */
public final class DhtSimulation {
    /** Virtual start of every run: 2026-01-01T00:00:00Z, for record expiry. */
    public static final long EPOCH_OFFSET_NANOS = 1_767_225_600_000L * 1_000_000L;
    static final long SECOND = 1_000_000_000L;

    /** One simulated node and what it would have on disk. */
    public final class Node {
        final int index;
        final NodeId id;
        final Contact contact;
        final int region;
        final long access;
        final RandomGenerator rng;
        /** The node's key pair, in a simulation with names (countersigning needs real keys); else null. */
        final Identity identity;
        Dht dht;
        /** The node's own scores of its peers, when the simulation keeps them (fresh at each start, as in the daemon). */
        net.barn.core.trust.reputation.Reputation reputation;
        boolean online;
        int incarnation;
        long timerAt = Long.MAX_VALUE;
        final LinkedHashMap<NodeId, Contact> peerCache = new LinkedHashMap<>();
        final Map<Key, Record> disk = new HashMap<>();
        final Map<Key, Record> own = new HashMap<>();
        long sent;
        long received;

        Node(int index, RandomGenerator rng) {
            this.index = index;
            NodeId id;
            this.rng = rng;
            if (names != null) {
                Identity drawnIdentity = Identity.generate(new SeededEntropy(rng.nextLong()), names.idPow());
                this.identity = plan == null ? drawnIdentity : plan.identity(index, drawnIdentity);
                id = identity.id();
            } else {
                this.identity = null;
                byte[] idBytes = new byte[32];
                rng.nextBytes(idBytes);
                id = NodeId.of(idBytes);
            }
            PeerAddress drawn = new PeerAddress(
                    (1 + rng.nextInt(223)) + "." + rng.nextInt(256) + "." + rng.nextInt(256) + "." + (1 + rng.nextInt(254)), 7345);
            NodeId planned = plan == null || names != null ? id : plan.id(index, id);
            this.id = planned;
            this.contact = new Contact(planned, plan == null ? drawn : plan.address(index, drawn));
            this.region = LatencyModel.pickRegion(rng);
            this.access = LatencyModel.accessDelay(rng);
        }

        public Dht dht() {
            return dht;
        }

        public boolean online() {
            return online;
        }

        public NodeId id() {
            return id;
        }

        public Contact contact() {
            return contact;
        }

        public Identity identity() {
            return identity;
        }

        public int index() {
            return index;
        }
    }

    /**
     * Lets a scenario choose some nodes' ids and addresses (an adversary grinding ids near a
     * victim, Sybils crowded into a few address blocks). Each method gets what the node drew
     * from its own generator, so a plan that returns it unchanged leaves the run as without one.
     * Ids chosen by {@link #id} are plain ids (no key pair), for simulations without names; in a
     * simulation with names a plan chooses whole identities ({@link #identity}).
     */
    public interface NodePlan {
        default NodeId id(int index, NodeId drawn) {
            return drawn;
        }

        default Identity identity(int index, Identity drawn) {
            return drawn;
        }

        default PeerAddress address(int index, PeerAddress drawn) {
            return drawn;
        }
    }

    private final DhtConfig config;
    private final NodePlan plan;
    private final java.util.function.UnaryOperator<net.barn.core.dht.RecordRules> rulesWrapper;
    private final NameRules names;
    private final FaultProfile faults;
    private final RandomGenerator netRng;
    private final EventQueue queue = new EventQueue();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<NodeId, Node> byId = new HashMap<>();
    private final MemoVerifier verifier = new MemoVerifier();
    private final MessageDigest trace = Sha256.newDigest();
    private final byte[] traceBuf = new byte[8 * 5];
    private BiConsumer<Node, DhtEvent> listener = (n, e) -> { };
    private java.util.function.BiFunction<Node, DhtMessage, DhtMessage> interceptor = (n, m) -> m;
    private long delivered;
    private long dropped;
    /** Each node's placement of the root namespace's records, given at every start; null: at their keys. */
    private java.util.function.Function<Node, net.barn.core.dht.Placement> placements = n -> null;

    public DhtSimulation(DhtConfig config, FaultProfile faults, RandomGenerator.SplittableGenerator root, int count) {
        this(config, null, faults, root, count);
    }

    /** With {@code names} non-null, nodes have real identities and keep the root namespace's rules. */
    public DhtSimulation(DhtConfig config, NameRules names, FaultProfile faults, RandomGenerator.SplittableGenerator root,
            int count) {
        this(config, names, faults, root, count, null, null);
    }

    /**
     * @param plan chooses ids and addresses of some nodes (null: all drawn at random)
     * @param rulesWrapper wraps every node's record rules, to switch a defence off (null: the rules as they are)
     */
    public DhtSimulation(DhtConfig config, NameRules names, FaultProfile faults, RandomGenerator.SplittableGenerator root,
            int count, NodePlan plan, java.util.function.UnaryOperator<net.barn.core.dht.RecordRules> rulesWrapper) {
        this.config = config;
        this.plan = plan;
        this.rulesWrapper = rulesWrapper == null ? r -> r : rulesWrapper;
        this.names = names;
        this.faults = faults;
        this.netRng = root.split();
        RandomGenerator.SplittableGenerator nodeRoot = root.split();
        for (int i = 0; i < count; i++) {
            Node n = new Node(i, nodeRoot.split());
            nodes.add(n);
            byId.put(n.id, n);
        }
    }

    public void onEvent(BiConsumer<Node, DhtEvent> value) {
        listener = value;
    }

    /**
     * Lets a scenario play an adversary: every message a node sends passes through this, which
     * may rewrite it or return null to swallow it.
     */
    public void intercept(java.util.function.BiFunction<Node, DhtMessage, DhtMessage> value) {
        interceptor = value;
    }

    /** Delivers a message as if {@code from} had sent it (tests: floods, forgeries). */
    public void inject(Node from, Node to, DhtMessage m) {
        deliver(from, to, m);
    }

    public EventQueue queue() {
        return queue;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node node(NodeId id) {
        return byId.get(id);
    }

    public long now() {
        return queue.now();
    }

    private boolean reputation;

    /** Whether nodes started from now on keep a local reputation of their peers and order lookups by it. */
    public void useReputation(boolean on) {
        reputation = on;
    }

    // ---------------------------------------------------------------- life cycle

    /** Starts (or restarts) a node: a fresh core loaded with what it had on disk, then bootstrap. */
    public void start(Node n, List<Contact> seeds) {
        n.online = true;
        n.incarnation++;
        n.timerAt = Long.MAX_VALUE;
        n.dht = names == null ? new Dht(config, n.contact, n.rng, verifier, queue.now(), EPOCH_OFFSET_NANOS)
                : new Dht(config, rulesWrapper.apply(new NameValidator(names, verifier)), countersigner(n.identity), n.contact, n.rng, verifier,
                        queue.now(), EPOCH_OFFSET_NANOS);
        if (reputation) {
            n.reputation = new net.barn.core.trust.reputation.Reputation(net.barn.core.trust.reputation.Reputation.Config.DEFAULT);
            n.dht.reputeWith(n.reputation);
        }
        net.barn.core.dht.Placement placement = placements.apply(n);
        if (placement != null) {
            n.dht.placeWith(queue.now(), placement);
        }
        for (Record r : n.disk.values()) {
            n.dht.load(queue.now(), r, n.own.containsKey(r.key()));
        }
        List<Contact> all = new ArrayList<>(seeds);
        List<Contact> cached = new ArrayList<>(n.peerCache.values());
        java.util.Collections.reverse(cached); // most recently added first
        all.addAll(cached.subList(0, Math.min(cached.size(), 20)));
        n.dht.bootstrap(queue.now(), all);
        drain(n);
    }

    static Countersigner countersigner(Identity identity) {
        return new Countersigner() {
            @Override
            public byte[] publicKey() {
                return identity.publicKey();
            }

            @Override
            public long powNonce() {
                return identity.powNonce();
            }

            @Override
            public byte[] sign(byte[] message) {
                return identity.sign(message);
            }
        };
    }

    /**
     * Gives every node its placement now (a new placement period begins) and at each later
     * start; nodes then hand their placed records on at once.
     */
    public void placeWith(java.util.function.Function<Node, net.barn.core.dht.Placement> placements) {
        this.placements = placements;
        for (Node n : nodes) {
            if (n.online && n.dht != null) {
                net.barn.core.dht.Placement p = placements.apply(n);
                if (p != null) {
                    act(n, d -> {
                        d.placeWith(queue.now(), p);
                        return null;
                    });
                }
            }
        }
    }

    /** Crashes a node: it stops answering and forgets everything but its disk. */
    public void crash(Node n) {
        n.online = false;
        n.dht = null;
    }

    /** Runs a node action (a query) and sends what it produces. */
    public <T> T act(Node n, java.util.function.Function<Dht, T> action) {
        T result = action.apply(n.dht);
        drain(n);
        return result;
    }

    public void runUntil(long until) {
        queue.runUntil(until);
    }

    // ---------------------------------------------------------------- plumbing

    private void drain(Node n) {
        if (!n.online) {
            return;
        }
        Dht.Transmit t;
        while ((t = n.dht.pollTransmit()) != null) {
            send(n, t.to(), t.message());
        }
        DhtEvent e;
        while ((e = n.dht.pollEvent()) != null) {
            persist(n, e);
            if (e instanceof DhtEvent.VerifyReachability v) {
                verifyReachability(n, v.contact());
            }
            listener.accept(n, e);
        }
        long t2 = n.dht.pollTimeout();
        if (t2 < n.timerAt) {
            n.timerAt = t2;
            int incarnation = n.incarnation;
            queue.at(t2, () -> fire(n, t2, incarnation));
        }
    }

    private void fire(Node n, long at, int incarnation) {
        if (!n.online || n.incarnation != incarnation || n.timerAt != at) {
            return; // superseded by an earlier timer, or the node restarted
        }
        n.timerAt = Long.MAX_VALUE;
        n.dht.handleTimeout(queue.now());
        drain(n);
    }

    /** What a daemon writes to disk on these events, the simulated node keeps across crashes. */
    private static void persist(Node n, DhtEvent e) {
        switch (e) {
            case DhtEvent.RecordStored s -> n.disk.put(s.record().key(), s.record());
            case DhtEvent.RecordDropped d -> n.disk.remove(d.key());
            case DhtEvent.PeerAdded a -> {
                n.peerCache.remove(a.contact().id());
                n.peerCache.put(a.contact().id(), a.contact());
                if (n.peerCache.size() > 64) {
                    n.peerCache.remove(n.peerCache.keySet().iterator().next());
                }
            }
            default -> { }
        }
    }

    /** A dial-back: it succeeds after a round trip if the contact is up and answers to that id. */
    private void verifyReachability(Node asker, Contact c) {
        Node target = byId.get(c.id());
        boolean ok = target != null && target.online && target.contact.address().equals(c.address());
        long delay = ok ? 2 * oneWay(asker, target) : config.rpcTimeoutNanos();
        int incarnation = asker.incarnation;
        queue.after(delay, () -> {
            if (asker.online && asker.incarnation == incarnation) {
                asker.dht.handleReachability(queue.now(), c, ok && target.online);
                drain(asker);
            }
        });
    }

    private long oneWay(Node a, Node b) {
        return LatencyModel.oneWay(a.region, a.access, b.region, b.access, faults.jitterMs(), netRng);
    }

    private void send(Node from, Contact to, DhtMessage original) {
        from.sent++;
        DhtMessage m = interceptor.apply(from, original);
        if (m == null) {
            dropped++;
            return;
        }
        Node dest = byId.get(to.id());
        boolean faulty = faults.active(queue.now());
        double lossRoll = netRng.nextDouble();
        double dupRoll = netRng.nextDouble();
        if (dest == null || (faulty && (lossRoll < faults.loss() || faults.partitioned(queue.now(), from.region, dest.region)))) {
            dropped++;
            return;
        }
        schedule(from, dest, m);
        if (faulty && dupRoll < faults.duplication()) {
            schedule(from, dest, m);
        }
    }

    private void schedule(Node from, Node dest, DhtMessage m) {
        queue.after(oneWay(from, dest), () -> deliver(from, dest, m));
    }

    private void deliver(Node from, Node dest, DhtMessage m) {
        if (!dest.online) {
            dropped++;
            return;
        }
        delivered++;
        dest.received++;
        long type = switch (m) {
            case DhtMessage.Ping p -> 1;
            case DhtMessage.Pong p -> 2;
            case DhtMessage.FindNode f -> 3;
            case DhtMessage.Nodes n -> 4;
            case DhtMessage.FindValue f -> 5;
            case DhtMessage.Value v -> 6;
            case DhtMessage.Store s -> 7;
            case DhtMessage.Stored s -> 8;
            case DhtMessage.Commit c -> 9;
            case DhtMessage.Countersigned c -> 10;
        };
        putLong(0, queue.now());
        putLong(8, from.index);
        putLong(16, dest.index);
        putLong(24, type);
        putLong(32, m.id());
        trace.update(traceBuf);
        dest.dht.handleMessage(queue.now(), from.id, m);
        drain(dest);
    }

    private void putLong(int off, long v) {
        for (int i = 0; i < 8; i++) {
            traceBuf[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    /** Adds a query outcome or any other fact to the trace, so the hash covers results too. */
    public void traceFact(String fact) {
        trace.update(fact.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** SHA-256 over every delivery (time, from, to, type, id) and every traced fact, in order. */
    public String traceHash() {
        try {
            MessageDigest copy = (MessageDigest) trace.clone();
            return java.util.HexFormat.of().formatHex(copy.digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public long delivered() {
        return delivered;
    }

    public long dropped() {
        return dropped;
    }

    public long eventsProcessed() {
        return queue.processed();
    }

    public DhtConfig config() {
        return config;
    }

    public FaultProfile faults() {
        return faults;
    }
}
