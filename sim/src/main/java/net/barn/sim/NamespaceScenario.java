package net.barn.sim;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.NodeId;
import net.barn.core.overlay.MessageId;
import net.barn.core.overlay.NamespaceOverlay;
import net.barn.core.overlay.OverlayConfig;
import net.barn.core.overlay.OverlayEvent;
import net.barn.core.overlay.OverlayMessage;

/**
 * The scenario behind {@code barn sim namespace}: many nodes, each a member of one to three
 * namespaces of Zipf-like sizes, each membership the real {@link NamespaceOverlay} core, on
 * the six-region wide-area model with seeded loss, duplication and jitter, under churn
 * (crashes, some graceful leaves, restarts). Every namespace broadcasts now and then; the run
 * measures who received what, how redundantly, in how many hops and how fast, and checks
 * safety invariants throughout.
 *
 * <p><b>Modelled, not simulated:</b> finding a namespace's contacts. A real member reads
 * signed membership records from the root network; here that lookup returns up to 8 random
 * live members of the namespace after a delay drawn like a root-network get (log-normal,
 * median 330 ms, p99 about 760 ms).
 */
public final class NamespaceScenario {
    /**
     * What to run. {@code churn} is the share of nodes that leave per hour (a quarter of them
     * gracefully); {@code broadcastsPerMinute} is per namespace.
     */
    public record Params(int nodes, int namespaces, long seed, double churn, int joinMinutes, int minutes,
            double broadcastsPerMinute, boolean faults, OverlayConfig config) {
        public static Params defaults(int nodes, int namespaces, long seed) {
            return new Params(nodes, namespaces, seed, 0.5, Math.max(1, nodes / 5000), 10, 6, true, OverlayConfig.DEFAULT);
        }

        public Params withChurn(double value) {
            return new Params(nodes, namespaces, seed, value, joinMinutes, minutes, broadcastsPerMinute, faults, config);
        }

        public Params withMinutes(int value) {
            return new Params(nodes, namespaces, seed, churn, joinMinutes, value, broadcastsPerMinute, faults, config);
        }

        public Params withFaults(boolean value) {
            return new Params(nodes, namespaces, seed, churn, joinMinutes, minutes, broadcastsPerMinute, value, config);
        }

        /** The one-line command that replays this run. */
        public String replayCommand(String out) {
            return String.format(Locale.ROOT, "bin/barn sim namespace --nodes %d --namespaces %d --seed %d --churn %s --minutes %d%s --out %s",
                    nodes, namespaces, seed, churn, minutes, faults ? "" : " --no-faults", out);
        }
    }

    /** One broadcast, measured once its window closed. */
    public record BroadcastStat(int namespace, int members, double atSeconds, int eligible, int covered, int receivers,
            double eagerPerReceiver, double lazyPerReceiver) {}

    /** What a run produced. Latencies in milliseconds. */
    public record Result(Params params, int[] namespaceSizes, List<BroadcastStat> broadcasts, int[] hops, double[] latencyMs,
            double[] joinToFirstMs, double[] joinToNeighborMs, List<String> violations, List<String> misses, String traceHash, long events,
            long delivered, long dropped, double wallSeconds, double simulatedSeconds, long heapBytes, String faults,
            int churnEvents, int lookups, long messages) {
        public long eligible() {
            return broadcasts.stream().mapToLong(BroadcastStat::eligible).sum();
        }

        public long covered() {
            return broadcasts.stream().mapToLong(BroadcastStat::covered).sum();
        }

        public double coverage() {
            return eligible() == 0 ? Double.NaN : covered() / (double) eligible();
        }

        public long fullyCovered() {
            return broadcasts.stream().filter(b -> b.covered() == b.eligible()).count();
        }

        /** Gossip copies (eager) or IHave announcements (lazy) received per receiving member per broadcast. */
        public double redundancy(boolean eager) {
            double sum = 0;
            long n = 0;
            for (BroadcastStat b : broadcasts) {
                if (b.receivers() > 0) {
                    sum += (eager ? b.eagerPerReceiver() : b.lazyPerReceiver()) * b.receivers();
                    n += b.receivers();
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }

        public static double percentile(double[] sorted, double p) {
            return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
        }

        public static double percentile(int[] sorted, double p) {
            return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
        }
    }

    static final long MS = 1_000_000L;
    static final long SECOND = 1000 * MS;
    static final long MINUTE = 60 * SECOND;
    /** A member counts for a broadcast if its membership began this long before it... */
    static final long SETTLE = 10 * SECOND;
    /** ...and lasted until this long after it; the broadcast is judged then. */
    static final long WINDOW = 30 * SECOND;
    /** A message to a crashed node: the sender's transport reports the link down this much later. */
    static final long LINK_DOWN_DELAY = 3 * SECOND;
    static final int CONTACTS = 8;

    /** One node, its place on the network, and its memberships. */
    final class Node {
        final int index;
        final NodeId id;
        final int region;
        final long access;
        final RandomGenerator rng;
        final int[] namespaces;
        final Member[] members;
        boolean online;
        int incarnation;

        Node(int index, RandomGenerator rng, int[] namespaces) {
            this.index = index;
            this.rng = rng;
            byte[] b = new byte[32];
            rng.nextBytes(b);
            this.id = NodeId.of(b);
            this.region = LatencyModel.pickRegion(rng);
            this.access = LatencyModel.accessDelay(rng);
            this.namespaces = namespaces;
            this.members = new Member[namespaces.length];
        }

        Member member(int namespace) {
            for (int i = 0; i < namespaces.length; i++) {
                if (namespaces[i] == namespace) {
                    return members[i];
                }
            }
            return null;
        }
    }

    /** One node's membership of one namespace, for one incarnation of the node. */
    final class Member {
        final Node node;
        final int namespace;
        final int incarnation;
        final long startedAt;
        NamespaceOverlay overlay;
        long timerAt = Long.MAX_VALUE;
        int liveIndex = -1;
        boolean delivered;
        final Set<MessageId> seen = new HashSet<>();

        Member(Node node, int namespace, long startedAt) {
            this.node = node;
            this.namespace = namespace;
            this.incarnation = node.incarnation;
            this.startedAt = startedAt;
        }

        boolean current() {
            return node.online && node.incarnation == incarnation;
        }
    }

    /** A broadcast being followed until its window closes. */
    private static final class Tracked {
        final int namespace;
        final long at;
        final Member origin;
        final byte[] payload;
        final int originNeighbors;
        int receivers;
        long eager;
        long lazy;
        final Set<Integer> reached = new HashSet<>();

        Tracked(int namespace, long at, Member origin, byte[] payload) {
            this.originNeighbors = origin.overlay.activeView().size();
            this.namespace = namespace;
            this.at = at;
            this.origin = origin;
            this.payload = payload;
        }
    }

    private final Params p;
    private final String[] names;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<NodeId, Node> byId = new HashMap<>();
    private final Map<String, Integer> nsIndex = new HashMap<>();
    private final List<List<Node>> nsNodes = new ArrayList<>();
    /** Live (started, online) members per namespace, for O(1) random contacts. */
    private final List<List<Member>> live = new ArrayList<>();
    private final EventQueue queue = new EventQueue();
    private final FaultProfile faults;
    private final RandomGenerator netRng;
    private final RandomGenerator churnRng;
    private final RandomGenerator workRng;
    private final RandomGenerator lookupRng;
    private final MessageDigest trace = Sha256.newDigest();
    private final byte[] traceBuf = new byte[8 * 5];
    private final Map<MessageId, Tracked> tracked = new HashMap<>();
    private final List<BroadcastStat> stats = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final List<String> misses = new ArrayList<>();
    private IntList hops = new IntList();
    private DoubleList latency = new DoubleList();
    private DoubleList joinToFirst = new DoubleList();
    private DoubleList joinToNeighbor = new DoubleList();
    /** Memberships begun from here on (rejoins under churn) are timed to their first broadcast. */
    private long workStart;
    private Consumer<String> progress = line -> { };
    private long delivered;
    private long dropped;
    private long messages;
    private int churnEvents;
    private int lookups;
    private long end;

    public NamespaceScenario(Params p) {
        if (p.nodes() < 2 || p.namespaces() < 1 || p.namespaces() > p.nodes()) {
            throw new IllegalArgumentException("need nodes >= 2 and 1 <= namespaces <= nodes");
        }
        this.p = p;
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        RandomGenerator faultRng = root.split();
        this.netRng = root.split();
        this.churnRng = root.split();
        this.workRng = root.split();
        this.lookupRng = root.split();
        RandomGenerator assignRng = root.split();
        RandomGenerator.SplittableGenerator nodeRoot = root.split();
        this.end = (p.joinMinutes() + 1L + p.minutes()) * MINUTE + WINDOW + SECOND;
        // Loss, duplication and jitter all run long (no partitions: a cut-off region is a
        // different question from whether a namespace's broadcast reaches its live members).
        this.faults = p.faults() ? new FaultProfile(faultRng.nextDouble() * 0.02, faultRng.nextDouble() * 0.01,
                0.5 + faultRng.nextDouble() * 3, List.of(), end) : FaultProfile.NONE;
        names = new String[p.namespaces()];
        for (int i = 0; i < names.length; i++) {
            names[i] = "ns-" + i;
            nsIndex.put(names[i], i);
            nsNodes.add(new ArrayList<>());
            live.add(new ArrayList<>());
        }
        int[][] assignment = assign(assignRng);
        for (int i = 0; i < p.nodes(); i++) {
            Node n = new Node(i, nodeRoot.split(), assignment[i]);
            nodes.add(n);
            byId.put(n.id, n);
            for (int ns : n.namespaces) {
                nsNodes.get(ns).add(n);
            }
        }
    }

    /**
     * Each node joins 1-3 namespaces (half one, a third two, the rest three), picked with
     * Zipf weights 1/rank: a few namespaces are large, most are small. Every namespace gets at
     * least two members.
     */
    private int[][] assign(RandomGenerator rng) {
        int k = p.namespaces();
        double[] cumulative = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            sum += 1.0 / (i + 1);
            cumulative[i] = sum;
        }
        List<Set<Integer>> of = new ArrayList<>();
        int[] size = new int[k];
        for (int n = 0; n < p.nodes(); n++) {
            double x = rng.nextDouble();
            int want = Math.min(k, x < 0.5 ? 1 : x < 0.83 ? 2 : 3);
            Set<Integer> mine = new java.util.LinkedHashSet<>();
            while (mine.size() < want) {
                double y = rng.nextDouble() * sum;
                int i = Arrays.binarySearch(cumulative, y);
                mine.add(Math.min(k - 1, i >= 0 ? i : -i - 1));
            }
            mine.forEach(i -> size[i]++);
            of.add(mine);
        }
        for (int i = 0; i < k; i++) {
            while (size[i] < Math.min(2, p.nodes())) {
                Set<Integer> mine = of.get(rng.nextInt(p.nodes()));
                if (mine.size() < 3 && mine.add(i)) {
                    size[i]++;
                }
            }
        }
        int[][] out = new int[p.nodes()][];
        for (int n = 0; n < p.nodes(); n++) {
            out[n] = of.get(n).stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    public Result run() {
        long wall0 = System.nanoTime();
        long joinWindow = p.joinMinutes() * MINUTE;
        List<Node> order = new ArrayList<>(nodes);
        java.util.Collections.shuffle(order, new java.util.Random(p.seed()));
        for (int i = 0; i < order.size(); i++) {
            Node n = order.get(i);
            queue.at((long) (joinWindow * (i / (double) order.size())), () -> start(n));
        }
        workStart = joinWindow + MINUTE;
        long workEnd = workStart + p.minutes() * MINUTE;
        for (int ns = 0; ns < names.length; ns++) {
            int namespace = ns;
            double meanGap = MINUTE / p.broadcastsPerMinute();
            long t = workStart;
            while (true) {
                t += (long) (-Math.log(1 - workRng.nextDouble()) * meanGap);
                if (t >= workEnd) {
                    break;
                }
                queue.at(t, () -> broadcast(namespace));
            }
        }
        if (p.churn() > 0) {
            for (Node n : nodes) {
                scheduleDeparture(n, workStart + nextDeparture(), workEnd);
            }
        }
        long every = Math.max(MINUTE, end / 10 / MINUTE * MINUTE);
        for (long t = every; t < end; t += every) {
            long at = t;
            queue.at(at, () -> {
                double wall = (System.nanoTime() - wall0) / 1e9;
                Runtime rt = Runtime.getRuntime();
                progress.accept(String.format(Locale.ROOT,
                        "simulated %.0f of %.0f min: %d events, %.0f events/s, heap in use %.1f GiB", at / 60e9, end / 60e9,
                        queue.processed(), queue.processed() / wall, (rt.totalMemory() - rt.freeMemory()) / (double) (1L << 30)));
            });
        }
        queue.runUntil(end);
        checkViews();
        System.gc();
        long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        double wall = (System.nanoTime() - wall0) / 1e9;
        int[] sizes = nsNodes.stream().mapToInt(List::size).toArray();
        int[] h = hops.sorted();
        double[] l = latency.sorted();
        double[] j = joinToFirst.sorted();
        return new Result(p, sizes, List.copyOf(stats), h, l, j, joinToNeighbor.sorted(), List.copyOf(violations), List.copyOf(misses), traceHash(),
                queue.processed(), delivered, dropped, wall, end / 1e9, heap, faults.toString(), churnEvents, lookups, messages);
    }

    // ---------------------------------------------------------------- life cycle

    private void start(Node n) {
        n.online = true;
        n.incarnation++;
        for (int i = 0; i < n.namespaces.length; i++) {
            Member m = new Member(n, n.namespaces[i], queue.now());
            n.members[i] = m;
            m.overlay = new NamespaceOverlay(p.config(), names[m.namespace], n.id, n.rng);
            lookupAndJoin(m);
        }
    }

    /**
     * The modelled step: membership records of the namespace, read from the root network, give
     * up to {@link #CONTACTS} random live members after a get's delay.
     */
    private void lookupAndJoin(Member m) {
        lookups++;
        long delay = (long) (Math.exp(Math.log(330) + 0.36 * lookupRng.nextGaussian()) * MS);
        queue.after(delay, () -> {
            if (!m.current()) {
                return;
            }
            List<Member> pool = live.get(m.namespace);
            List<NodeId> contacts = new ArrayList<>();
            for (int tries = 0; tries < 3 * CONTACTS && contacts.size() < CONTACTS && !pool.isEmpty(); tries++) {
                Member c = pool.get(lookupRng.nextInt(pool.size()));
                if (c != m && !contacts.contains(c.node.id)) {
                    contacts.add(c.node.id);
                }
            }
            if (m.liveIndex < 0) {
                m.liveIndex = pool.size();
                pool.add(m);
            }
            m.overlay.join(queue.now(), contacts);
            drain(m);
        });
    }

    private void goOffline(Node n, boolean graceful) {
        for (Member m : n.members) {
            if (graceful) {
                m.overlay.leave(queue.now());
                drain(m);
            }
            removeLive(m);
        }
        n.online = false;
    }

    private void removeLive(Member m) {
        if (m.liveIndex < 0) {
            return;
        }
        List<Member> pool = live.get(m.namespace);
        Member last = pool.remove(pool.size() - 1);
        if (last != m) {
            pool.set(m.liveIndex, last);
            last.liveIndex = m.liveIndex;
        }
        m.liveIndex = -1;
    }

    /** Exponential time to the next departure at the churn rate (share of nodes per hour). */
    private long nextDeparture() {
        return (long) (-Math.log(1 - churnRng.nextDouble()) / p.churn() * 3600 * SECOND);
    }

    private void scheduleDeparture(Node n, long at, long until) {
        if (at >= until) {
            return;
        }
        queue.at(at, () -> {
            if (!n.online) {
                return;
            }
            churnEvents++;
            goOffline(n, churnRng.nextDouble() < 0.25);
            long away = (long) (-Math.log(1 - churnRng.nextDouble()) * 2 * MINUTE);
            queue.after(away, () -> {
                start(n);
                scheduleDeparture(n, queue.now() + nextDeparture(), until);
            });
        });
    }

    // ---------------------------------------------------------------- broadcasts

    private void broadcast(int namespace) {
        List<Member> pool = live.get(namespace);
        if (pool.isEmpty()) {
            return;
        }
        Member origin = pool.get(workRng.nextInt(pool.size()));
        byte[] payload = new byte[64 + workRng.nextInt(960)];
        workRng.nextBytes(payload);
        MessageId id = origin.overlay.broadcast(queue.now(), payload);
        Tracked t = new Tracked(namespace, queue.now(), origin, payload);
        tracked.put(id, t);
        traceFact("broadcast " + namespace + " " + origin.node.index);
        drain(origin);
        queue.after(WINDOW, () -> judge(id));
    }

    /** The window closed: every member live throughout it should have the message. */
    private void judge(MessageId id) {
        Tracked t = tracked.remove(id);
        int eligible = 0;
        int covered = 0;
        for (Node n : nsNodes.get(t.namespace)) {
            Member m = n.member(t.namespace);
            if (m == null || m == t.origin || !m.current() || m.startedAt > t.at - SETTLE) {
                continue;
            }
            eligible++;
            if (t.reached.contains(n.index)) {
                covered++;
            } else if (misses.size() < 50) {
                misses.add(String.format(Locale.ROOT, "%s broadcast at %.1f s by node %d (%d neighbours then, %s since) missed "
                        + "node %d (member since %.1f s, active %d, passive %d)", names[t.namespace], t.at / 1e9,
                        t.origin.node.index, t.originNeighbors, t.origin.current() ? "online" : "gone", n.index,
                        m.startedAt / 1e9, m.overlay.activeView().size(), m.overlay.passiveView().size()));
            }
        }
        stats.add(new BroadcastStat(t.namespace, nsNodes.get(t.namespace).size(), t.at / 1e9, eligible, covered, t.receivers,
                t.receivers == 0 ? 0 : t.eager / (double) t.receivers, t.receivers == 0 ? 0 : t.lazy / (double) t.receivers));
        traceFact("judged " + eligible + " " + covered);
    }

    private void onEvent(Member m, OverlayEvent e) {
        switch (e) {
            case OverlayEvent.Delivered d -> {
                if (!m.seen.add(d.id())) {
                    violations.add("node " + m.node.index + " delivered " + d.id() + " twice in " + names[m.namespace]);
                }
                Tracked t = tracked.get(d.id());
                if (t == null) {
                    return; // judged already (a straggler after the window), or nobody broadcast it
                }
                if (t.namespace != m.namespace || !Arrays.equals(t.payload, d.payload()) || !d.origin().equals(t.origin.node.id)) {
                    violations.add("node " + m.node.index + " delivered a corrupted or misrouted message " + d.id());
                }
                t.receivers++;
                t.reached.add(m.node.index);
                hops.add(d.hops());
                latency.add((queue.now() - t.at) / 1e6);
                if (!m.delivered) {
                    m.delivered = true;
                    if (m.startedAt >= workStart) {
                        joinToFirst.add((queue.now() - m.startedAt) / 1e6);
                    }
                }
            }
            case OverlayEvent.Joined j -> joinToNeighbor.add((queue.now() - m.startedAt) / 1e6);
            case OverlayEvent.Isolated i -> lookupAndJoin(m);
            default -> { }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void drain(Member m) {
        if (!m.current()) {
            return;
        }
        NamespaceOverlay.Transmit t;
        while ((t = m.overlay.pollTransmit()) != null) {
            send(m, t.to(), t.message());
        }
        OverlayEvent e;
        while ((e = m.overlay.pollEvent()) != null) {
            onEvent(m, e);
        }
        long at = m.overlay.pollTimeout();
        if (at < m.timerAt) {
            m.timerAt = at;
            queue.at(at, () -> {
                if (m.current() && m.timerAt == at) {
                    m.timerAt = Long.MAX_VALUE;
                    m.overlay.handleTimeout(queue.now());
                    drain(m);
                }
            });
        }
    }

    private void send(Member from, NodeId to, OverlayMessage msg) {
        messages++;
        Node dest = byId.get(to);
        boolean faulty = faults.active(queue.now());
        double lossRoll = netRng.nextDouble();
        double dupRoll = netRng.nextDouble();
        if (dest == null || (faulty && lossRoll < faults.loss())) {
            dropped++;
            return;
        }
        schedule(from, dest, msg);
        if (faulty && dupRoll < faults.duplication()) {
            schedule(from, dest, msg);
        }
    }

    private void schedule(Member from, Node dest, OverlayMessage msg) {
        long delay = LatencyModel.oneWay(from.node.region, from.node.access, dest.region, dest.access, faults.jitterMs(), netRng);
        queue.after(delay, () -> deliver(from, dest, msg));
    }

    private void deliver(Member from, Node dest, OverlayMessage msg) {
        Member to = dest.online ? dest.member(from.namespace) : null;
        if (to == null) {
            dropped++;
            if (!dest.online && from.current()) {
                // The link to a crashed node fails: the sender's transport notices after a while.
                queue.after(LINK_DOWN_DELAY, () -> {
                    if (from.current()) {
                        from.overlay.handleLinkDown(queue.now(), dest.id);
                        drain(from);
                    }
                });
            }
            return;
        }
        delivered++;
        long type = switch (msg) {
            case OverlayMessage.Join j -> 1;
            case OverlayMessage.ForwardJoin f -> 2;
            case OverlayMessage.Neighbor n -> 3;
            case OverlayMessage.NeighborReply r -> 4;
            case OverlayMessage.Disconnect d -> 5;
            case OverlayMessage.Shuffle s -> 6;
            case OverlayMessage.ShuffleReply r -> 7;
            case OverlayMessage.Gossip g -> {
                Tracked t = tracked.get(g.id());
                if (t != null) {
                    t.eager++;
                }
                yield 8;
            }
            case OverlayMessage.IHave h -> {
                for (MessageId id : h.ids()) {
                    Tracked t = tracked.get(id);
                    if (t != null) {
                        t.lazy++;
                    }
                }
                yield 9;
            }
            case OverlayMessage.Graft g -> 10;
            case OverlayMessage.Prune pr -> 11;
            case OverlayMessage.Heartbeat h -> 12;
        };
        putLong(0, queue.now());
        putLong(8, from.node.index);
        putLong(16, dest.index);
        putLong(24, type);
        putLong(32, from.namespace);
        trace.update(traceBuf);
        to.overlay.handleMessage(queue.now(), from.node.id, msg);
        drain(to);
    }

    /** Safety at the end: views within bounds, nobody holds itself, nobody is in both views. */
    private void checkViews() {
        for (Node n : nodes) {
            if (!n.online) {
                continue;
            }
            for (Member m : n.members) {
                List<NodeId> a = m.overlay.activeView();
                List<NodeId> ps = m.overlay.passiveView();
                if (a.size() > p.config().activeViewSize() || ps.size() > p.config().passiveViewSize()) {
                    violations.add("node " + n.index + " in " + names[m.namespace] + ": views of " + a.size() + "/" + ps.size());
                }
                if (a.contains(n.id) || ps.contains(n.id)) {
                    violations.add("node " + n.index + " holds itself in " + names[m.namespace]);
                }
                for (NodeId x : a) {
                    if (ps.contains(x)) {
                        violations.add("node " + n.index + " holds a peer in both views in " + names[m.namespace]);
                    }
                }
                if (m.overlay.dedupCacheSize() > p.config().dedupCacheSize()
                        || m.overlay.missingCount() > NamespaceOverlay.MAX_MISSING) {
                    violations.add("node " + n.index + " has a cache past its bound");
                }
            }
        }
    }

    private void putLong(int off, long v) {
        for (int i = 0; i < 8; i++) {
            traceBuf[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private void traceFact(String fact) {
        trace.update(fact.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private String traceHash() {
        try {
            return java.util.HexFormat.of().formatHex(((MessageDigest) trace.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public String namespaceName(int i) {
        return names[i];
    }

    /** A growable int array: a million samples without a million boxes. */
    private static final class IntList {
        int[] a = new int[1024];
        int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        int[] sorted() {
            int[] out = Arrays.copyOf(a, n);
            Arrays.sort(out);
            return out;
        }
    }

    private static final class DoubleList {
        double[] a = new double[1024];
        int n;

        void add(double v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        double[] sorted() {
            double[] out = Arrays.copyOf(a, n);
            Arrays.sort(out);
            return out;
        }
    }
}
