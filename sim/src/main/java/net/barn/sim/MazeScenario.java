package net.barn.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import net.barn.core.ProtocolException;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.NodeId;
import net.barn.core.maze.Maze;
import net.barn.core.maze.MazeCodec;
import net.barn.core.maze.MazeConfig;
import net.barn.core.maze.MazeEvent;
import net.barn.core.maze.MazeMessage;

/**
 * The scenario behind {@code barn sim maze}: the members of one maze, each the real
 * {@link Maze} core, on the six-region wide-area model with seeded loss, duplication and
 * jitter; some member pairs lose their direct link for good (cuts), some members crash. The
 * members join one after another, settle, then send at a steady rate; after the traffic the
 * run drains and checks, among the members that stayed live: every message of every sender
 * delivered exactly once, in the sender's order, unaltered; every message of a sender that
 * stayed live delivered to every one of them; and nobody declared a live member failed.
 * Every message passes through {@link MazeCodec} both ways, so byte counts are real.
 */
public final class MazeScenario {
    /**
     * What to run. {@code rate}: messages per second over the whole maze (each from a random
     * live member); {@code cuts}: member pairs whose direct link fails (both ways, for the rest
     * of the run); {@code crashes}: members that crash during the traffic.
     */
    public record Params(int members, long seed, int minutes, double loss, int cuts, int crashes, double rate,
            MazeConfig config) {
        public static Params defaults(int members, long seed) {
            return new Params(members, seed, 5, 0.01, 0, 0, 10, MazeConfig.DEFAULT);
        }

        public Params with(int minutesValue, double lossValue, int cutsValue, int crashesValue) {
            return new Params(members, seed, minutesValue, lossValue, cutsValue, crashesValue, rate, config);
        }

        public Params withRate(double value) {
            return new Params(members, seed, minutes, loss, cuts, crashes, value, config);
        }

        /** The one-line command that replays this run. */
        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim maze --members %d --seed %d --minutes %d --loss %s --cuts %d --crashes %d --rate %s",
                    members, seed, minutes, loss, cuts, crashes, rate);
        }
    }

    /** What a run produced. Latencies in milliseconds; bandwidth in bytes per second per member. */
    public record Result(Params params, List<String> violations, long sent, long deliveries, long survivorDeliveries,
            long expectedDeliveries,
            double[] latencyMs, long transmissions, long dataTransmissions, long bytes, long retransmissions, long relayed,
            long nacks, long duplicates, long lost, long failuresDeclared, int survivors, double bandwidthPerMember,
            double trafficSeconds, Map<String, Long> bytesByKind, String traceHash, double wallSeconds, long events) {
        public static double percentile(double[] sorted, double p) {
            return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
        }

        /** Messages of every kind sent per delivered message. */
        public double overhead() {
            return deliveries == 0 ? Double.NaN : transmissions / (double) deliveries;
        }

        /** Messages of every kind one member sends, on average, per application message sent in the maze. */
        public double perMemberPerMessage() {
            return sent == 0 ? Double.NaN : transmissions / (double) params.members() / sent;
        }
    }

    static final long MS = 1_000_000L;
    static final long SECOND = 1000 * MS;
    static final long MINUTE = 60 * SECOND;
    static final long JOIN_SPACING = 100 * MS;
    static final long SETTLE = 10 * SECOND;
    static final long DRAIN = 30 * SECOND;
    /** A link that fails: its ends' transports report it down this much later. */
    static final long LINK_DOWN_DELAY = 2 * SECOND;
    static final String MAZE = "sim/#maze";

    private final class Member {
        final int index;
        final NodeId id;
        final int region;
        final long access;
        final Maze maze;
        boolean alive = true;
        long timerAt = Long.MAX_VALUE;
        /** Next sequence expected per sender (1 until the first delivery). */
        final Map<NodeId, Long> next = new HashMap<>();
        final Set<NodeId> reportedDown = new HashSet<>();
        long bytesSent;

        Member(int index, RandomGenerator rng) {
            this.index = index;
            byte[] b = new byte[32];
            rng.nextBytes(b);
            this.id = NodeId.of(b);
            this.region = LatencyModel.pickRegion(rng);
            this.access = LatencyModel.accessDelay(rng);
            this.maze = new Maze(p.config(), MAZE, id);
        }
    }

    private final Params p;
    private final List<Member> members = new ArrayList<>();
    private final Map<NodeId, Member> byId = new HashMap<>();
    private final Set<Long> cutPairs = new HashSet<>();
    private final EventQueue queue = new EventQueue();
    private final RandomGenerator netRng;
    private final RandomGenerator workRng;
    private final RandomGenerator faultRng;
    private final MessageDigest trace = Sha256.newDigest();
    private final byte[] traceBuf = new byte[8 * 5];
    /** What each sender sent: payload and time, by sequence (index seq - 1). */
    private final Map<NodeId, List<byte[]>> payloads = new HashMap<>();
    private final Map<NodeId, List<Long>> sentAt = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private double[] latency = new double[1 << 16];
    private int latencies;
    private long deliveries;
    private long transmissions;
    private long dataTransmissions;
    private long bytes;
    private final Map<String, Long> bytesByKind = new HashMap<>();
    private long sent;
    private long trafficStart;
    private long trafficEnd;
    private Consumer<String> progress = line -> { };

    public MazeScenario(Params p) {
        if (p.members() < 2 || p.members() > p.config().maxMembers() || p.minutes() < 1 || p.loss() < 0 || p.loss() >= 1
                || p.cuts() < 0 || p.cuts() > p.members() * (p.members() - 1) / 2 || p.crashes() < 0 || p.crashes() > p.members() - 2
                || p.rate() <= 0) {
            throw new IllegalArgumentException("need 2 <= members <= " + p.config().maxMembers() + ", minutes >= 1, 0 <= loss < 1, "
                    + "0 <= cuts <= pairs, 0 <= crashes <= members - 2, rate > 0");
        }
        this.p = p;
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        this.netRng = root.split();
        this.workRng = root.split();
        this.faultRng = root.split();
        RandomGenerator.SplittableGenerator memberRoot = root.split();
        for (int i = 0; i < p.members(); i++) {
            Member m = new Member(i, memberRoot.split());
            members.add(m);
            byId.put(m.id, m);
            payloads.put(m.id, new ArrayList<>());
            sentAt.put(m.id, new ArrayList<>());
        }
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    public Result run() {
        long wall0 = System.nanoTime();
        for (Member m : members) {
            queue.at(m.index * JOIN_SPACING, () -> join(m));
        }
        trafficStart = p.members() * JOIN_SPACING + SETTLE;
        trafficEnd = trafficStart + p.minutes() * MINUTE;
        long end = trafficEnd + DRAIN;
        double meanGap = SECOND / p.rate();
        for (long t = trafficStart + (long) (-Math.log(1 - workRng.nextDouble()) * meanGap); t < trafficEnd;
                t += (long) (-Math.log(1 - workRng.nextDouble()) * meanGap)) {
            queue.at(t, this::sendOne);
        }
        scheduleFaults();
        long every = Math.max(MINUTE, (end / 10) / MINUTE * MINUTE);
        for (long t = every; t < end; t += every) {
            long at = t;
            queue.at(at, () -> progress.accept(String.format(Locale.ROOT, "simulated %.1f of %.1f min: %d events, %d deliveries",
                    at / 60e9, end / 60e9, queue.processed(), deliveries)));
        }
        queue.runUntil(end);
        long[] checked = check();
        double[] lat = Arrays.copyOf(latency, latencies);
        Arrays.sort(lat);
        long retransmissions = 0;
        long relayed = 0;
        long nacks = 0;
        long duplicates = 0;
        long lost = 0;
        long failures = 0;
        int survivors = 0;
        long survivorBytes = 0;
        for (Member m : members) {
            retransmissions += m.maze.retransmissions();
            relayed += m.maze.relayed();
            nacks += m.maze.nacksSent();
            duplicates += m.maze.duplicatesDropped();
            lost += m.maze.lost();
            if (m.alive) {
                survivors++;
                survivorBytes += m.bytesSent;
            }
        }
        failures = failuresDeclared;
        double seconds = end / 1e9;
        return new Result(p, List.copyOf(violations), sent, deliveries, checked[0], checked[1], lat, transmissions, dataTransmissions, bytes,
                retransmissions, relayed, nacks, duplicates, lost, failures, survivors,
                survivors == 0 ? 0 : survivorBytes / (double) survivors / seconds, (trafficEnd - trafficStart) / 1e9,
                java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(bytesByKind)), traceHash(),
                (System.nanoTime() - wall0) / 1e9, queue.processed());
    }

    private long failuresDeclared;

    // ---------------------------------------------------------------- workload and faults

    /** Member 0 starts the maze; each later member joins through member 0 and two random earlier members. */
    private void join(Member m) {
        List<NodeId> known = new ArrayList<>();
        for (int k = 0; k < 3 && m.index > 0; k++) {
            NodeId c = members.get(k == 0 ? 0 : workRng.nextInt(m.index)).id;
            if (!known.contains(c)) {
                known.add(c);
            }
        }
        m.maze.join(queue.now(), known);
        drain(m);
    }

    private void sendOne() {
        List<Member> live = members.stream().filter(x -> x.alive && x.maze.isMember()).toList();
        if (live.isEmpty()) {
            return;
        }
        Member m = live.get(workRng.nextInt(live.size()));
        byte[] payload = new byte[64 + workRng.nextInt(961)];
        workRng.nextBytes(payload);
        long seq = m.maze.send(queue.now(), payload);
        List<byte[]> mine = payloads.get(m.id);
        if (seq != mine.size() + 1) {
            violations.add("member " + m.index + " numbered its message " + seq + " after " + mine.size());
        }
        mine.add(payload);
        sentAt.get(m.id).add(queue.now());
        sent++;
        traceFact(2, m.index, seq);
        drain(m);
    }

    /** Cuts in the first quarter of the traffic, crashes in its middle half; member 0 never crashes (it is only a contact). */
    private void scheduleFaults() {
        long span = trafficEnd - trafficStart;
        int n = p.members();
        Set<Long> chosen = new HashSet<>();
        while (chosen.size() < p.cuts()) {
            int a = faultRng.nextInt(n);
            int b = faultRng.nextInt(n);
            if (a != b && chosen.add(pair(a, b))) {
                long at = trafficStart + (long) (faultRng.nextDouble() * span / 4);
                queue.at(at, () -> cut(members.get(a), members.get(b)));
            }
        }
        Set<Integer> victims = new HashSet<>();
        while (victims.size() < p.crashes()) {
            int v = 1 + faultRng.nextInt(n - 1);
            if (victims.add(v)) {
                long at = trafficStart + span / 4 + (long) (faultRng.nextDouble() * span / 2);
                queue.at(at, () -> {
                    Member m = members.get(v);
                    m.alive = false;
                    traceFact(4, v, 0);
                });
            }
        }
    }

    private static long pair(int a, int b) {
        return (long) Math.min(a, b) << 32 | Math.max(a, b);
    }

    private void cut(Member a, Member b) {
        cutPairs.add(pair(a.index, b.index));
        traceFact(3, a.index, b.index);
        queue.after(LINK_DOWN_DELAY, () -> {
            linkDown(a, b);
            linkDown(b, a);
        });
    }

    private void linkDown(Member at, Member peer) {
        if (at.alive && at.reportedDown.add(peer.id)) {
            at.maze.handleLinkDown(queue.now(), peer.id);
            drain(at);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void drain(Member m) {
        if (!m.alive) {
            return;
        }
        Maze.Transmit t;
        while ((t = m.maze.pollTransmit()) != null) {
            transmit(m, t.to(), t.message());
        }
        MazeEvent e;
        while ((e = m.maze.pollEvent()) != null) {
            onEvent(m, e);
        }
        long at = m.maze.pollTimeout();
        if (at < m.timerAt) {
            m.timerAt = at;
            queue.at(at, () -> {
                if (m.alive && m.timerAt == at) {
                    m.timerAt = Long.MAX_VALUE;
                    m.maze.handleTimeout(queue.now());
                    drain(m);
                }
            });
        }
    }

    private void onEvent(Member m, MazeEvent e) {
        switch (e) {
            case MazeEvent.Delivered d -> {
                deliveries++;
                long want = m.next.getOrDefault(d.sender(), 1L);
                Member s = byId.get(d.sender());
                if (d.seq() != want) {
                    violation("member " + m.index + " delivered message " + d.seq() + " of member " + s.index + ", expected " + want);
                }
                m.next.put(d.sender(), d.seq() + 1);
                List<byte[]> all = payloads.get(d.sender());
                if (d.seq() < 1 || d.seq() > all.size() || !Arrays.equals(all.get((int) d.seq() - 1), d.payload())) {
                    violation("member " + m.index + " delivered a message " + d.seq() + " of member " + s.index
                            + " that was never sent like that");
                } else {
                    addLatency((queue.now() - sentAt.get(d.sender()).get((int) d.seq() - 1)) / 1e6);
                }
                traceFact(5, m.index, d.seq());
            }
            case MazeEvent.MemberFailed f -> {
                failuresDeclared++;
                traceFact(6, m.index, byId.get(f.member()).index);
            }
            case MazeEvent.Lost l -> violation("member " + m.index + " skipped messages " + l.first() + ".." + l.last()
                    + " of member " + byId.get(l.sender()).index + " as lost");
            case MazeEvent.JoinRefused r -> violation("member " + m.index + " could not join: " + r.reason());
            default -> { }
        }
    }

    private void transmit(Member from, NodeId to, MazeMessage msg) {
        transmissions++;
        if (msg instanceof MazeMessage.Data) {
            dataTransmissions++;
        }
        byte[] wire = MazeCodec.encode(msg);
        bytes += wire.length + 4;
        bytesByKind.merge(msg.getClass().getSimpleName(), wire.length + 4L, Long::sum);
        from.bytesSent += wire.length + 4;
        Member dest = byId.get(to);
        double lossRoll = netRng.nextDouble();
        double dupRoll = netRng.nextDouble();
        if (dest == null || lossRoll < p.loss()) {
            return;
        }
        if (cutPairs.contains(pair(from.index, dest.index))) {
            return;
        }
        schedule(from, dest, wire);
        if (dupRoll < p.loss() / 4) {
            schedule(from, dest, wire); // the network duplicates now and then, too
        }
    }

    private void schedule(Member from, Member dest, byte[] wire) {
        long delay = LatencyModel.oneWay(from.region, from.access, dest.region, dest.access, 1.0, netRng);
        queue.after(delay, () -> arrive(from, dest, wire));
    }

    private void arrive(Member from, Member dest, byte[] wire) {
        if (!dest.alive) {
            // The sender's transport finds the link to a crashed member dead after a while.
            queue.after(LINK_DOWN_DELAY, () -> linkDown(from, dest));
            return;
        }
        if (cutPairs.contains(pair(from.index, dest.index))) {
            return;
        }
        MazeMessage msg;
        try {
            msg = MazeCodec.decode(wire, MAZE, p.config().maxPayloadBytes());
        } catch (ProtocolException e) {
            violation("a message member " + from.index + " sent did not decode: " + e.getMessage());
            return;
        }
        traceFact(1, from.index, dest.index);
        dest.maze.handleMessage(queue.now(), from.id, msg);
        drain(dest);
    }

    // ---------------------------------------------------------------- checks

    /**
     * At the end: among members live throughout, every message of a live sender delivered to
     * every one of them (in order and exactly once was checked on every delivery), and nobody
     * holds a live member as failed or a crashed one as live. Returns the deliveries to
     * survivors: {made, expected}.
     */
    private long[] check() {
        long expected = 0;
        long made = 0;
        List<Member> live = members.stream().filter(m -> m.alive).toList();
        for (Member s : members) {
            int count = payloads.get(s.id).size();
            for (Member r : live) {
                if (r == s) {
                    continue;
                }
                long got = r.next.getOrDefault(s.id, 1L) - 1;
                made += got;
                if (s.alive) {
                    expected += count;
                    if (got != count) {
                        violation("member " + r.index + " delivered " + got + " of the " + count + " messages of live member " + s.index);
                    }
                } else {
                    expected += got; // a crashed sender's messages: whatever got out, in order
                }
            }
        }
        for (Member r : live) {
            List<NodeId> view = r.maze.members();
            for (Member s : live) {
                if (!view.contains(s.id)) {
                    violation("member " + r.index + " lost live member " + s.index + " from its view");
                }
            }
            for (Member s : members) {
                if (!s.alive && view.contains(s.id)) {
                    violation("member " + r.index + " still holds crashed member " + s.index);
                }
            }
            long[] rb = r.maze.largestRetransmitBuffer();
            if (rb[0] > p.config().retransmitMessages() || rb[1] > p.config().retransmitBytes()) {
                violation("member " + r.index + " has a retransmit buffer past its bound");
            }
        }
        return new long[] {made, expected};
    }

    private void violation(String v) {
        if (violations.size() < 50) {
            violations.add(String.format(Locale.ROOT, "%.3f s: %s", queue.now() / 1e9, v));
        }
    }

    private void addLatency(double ms) {
        if (latencies == latency.length) {
            latency = Arrays.copyOf(latency, 2 * latencies);
        }
        latency[latencies++] = ms;
    }

    private void traceFact(long kind, long a, long b) {
        putLong(0, queue.now());
        putLong(8, kind);
        putLong(16, a);
        putLong(24, b);
        putLong(32, deliveries);
        trace.update(traceBuf);
    }

    private void putLong(int off, long v) {
        for (int i = 0; i < 8; i++) {
            traceBuf[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private String traceHash() {
        try {
            return java.util.HexFormat.of().formatHex(((MessageDigest) trace.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- report

    public static void summary(Result r, PrintStream out) {
        Params p = r.params();
        out.printf(Locale.ROOT, "maze of %d members, seed %d: %d min of traffic at %.1f msg/s, loss %.3f, %d cut links, %d crashes%n",
                p.members(), p.seed(), p.minutes(), p.rate(), p.loss(), p.cuts(), p.crashes());
        out.printf(Locale.ROOT, "messages sent: %d; deliveries: %d (to survivors: %d of %d expected); survivors: %d; "
                + "failures declared: %d%n", r.sent(), r.deliveries(), r.survivorDeliveries(), r.expectedDeliveries(), r.survivors(),
                r.failuresDeclared());
        out.printf(Locale.ROOT, "delivery latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                Result.percentile(r.latencyMs(), 0.5), Result.percentile(r.latencyMs(), 0.99), Result.percentile(r.latencyMs(), 1.0));
        out.printf(Locale.ROOT, "overhead: %.3f messages sent per delivery (%.3f of them Data); %d retransmissions, %d relayed, %d nacks, "
                + "%d duplicates dropped, %d lost%n", r.overhead(), r.deliveries() == 0 ? Double.NaN : r.dataTransmissions()
                / (double) r.deliveries(), r.retransmissions(), r.relayed(), r.nacks(), r.duplicates(), r.lost());
        out.printf(Locale.ROOT, "per member: %.2f messages sent per message sent in the maze%n", r.perMemberPerMessage());
        out.printf(Locale.ROOT, "bandwidth: %.1f KB/s sent per surviving member on average (%d bytes in all, framing included)%n",
                r.bandwidthPerMember() / 1000, r.bytes());
        StringBuilder kinds = new StringBuilder();
        r.bytesByKind().forEach((k, v) -> kinds.append(String.format(Locale.ROOT, " %s %.1f%%", k, 100.0 * v / r.bytes())));
        out.println("bytes by message kind:" + kinds);
        out.printf(Locale.ROOT, "run: %d events in %.1f s wall%n", r.events(), r.wallSeconds());
        out.printf("trace hash: %s%n", r.traceHash());
        out.println(r.violations().isEmpty() ? "invariants: hold" : "invariants: " + r.violations().size() + " VIOLATED");
    }

    /** Writes the summary and the sorted latencies to {@code dir}. */
    public static void write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (PrintStream ps = new PrintStream(Files.newOutputStream(dir.resolve("summary.txt")), false, StandardCharsets.UTF_8)) {
            summary(r, ps);
            r.violations().forEach(v -> ps.println("VIOLATION: " + v));
        }
        StringBuilder sb = new StringBuilder("percentile,latency_ms\n");
        for (int i = 0; i <= 100; i++) {
            sb.append(i).append(',').append(String.format(Locale.ROOT, "%.3f", Result.percentile(r.latencyMs(), i / 100.0))).append('\n');
        }
        Files.writeString(dir.resolve("latency.csv"), sb.toString());
    }
}
