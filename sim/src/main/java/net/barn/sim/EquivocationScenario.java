package net.barn.sim;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.evidence.Detector;
import net.barn.core.trust.evidence.Evidence;
import net.barn.core.trust.evidence.EvidenceBook;
import net.barn.core.trust.evidence.EvidenceEvent;
import net.barn.core.trust.evidence.Statement;

/**
 * The {@code equivocate} kind of the attack simulation: a share of the node ids sign two
 * different values for one record and sequence and show each to half of the readers, hoping
 * to split what the network believes. With the defence on, an honest reader that sees both
 * versions in one read (replicas that got different versions answer the same read, with
 * probability {@link Params#leak}) builds {@link Evidence} from the two signed records with
 * the real {@link Detector}, takes it into its own {@link EvidenceBook} and gossips it over
 * an overlay of random neighbours; every honest node checks it (real Ed25519) and excludes
 * the offender, whose record it then refuses. Adversaries forward nothing and also gossip
 * forged evidence framing honest nodes, which must exclude nobody.
 *
 * <p>Measured: the share of honest nodes excluding each offender over time, the time from
 * the first evidence to 99% of honest nodes (p50, p99 over offenders), and the equivocation's
 * success, the share of honest reads of an offender's record that accepted one of its
 * conflicting values, against the same reads without the defence. Seeded: one seed, one
 * result.
 */
public final class EquivocationScenario {
    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    /** Checking evidence (decoding, two signatures) before it is forwarded. */
    private static final long CHECK_NANOS = 200_000L;
    private static final long EXPIRES_MILLIS = 4_000_000_000_000L;

    /**
     * What to run.
     *
     * @param adversary share of ids that equivocate
     * @param neighbours mean gossip degree (each node links to half as many at random, both ways)
     * @param readsPerMinute reads of offenders' records per honest node and minute
     * @param leak chance a read hears both versions (replicas that were given different ones)
     */
    public record Params(int nodes, long seed, double adversary, int neighbours, int minutes, double readsPerMinute,
            double leak) {
        public static Params defaults(int nodes, long seed) {
            return new Params(nodes, seed, 0.02, 8, 10, 1.0, 0.02);
        }

        public Params withAdversary(double share) {
            return new Params(nodes, seed, share, neighbours, minutes, readsPerMinute, leak);
        }

        public Params withMinutes(int m) {
            return new Params(nodes, seed, adversary, neighbours, m, readsPerMinute, leak);
        }

        /** The one-line command that replays this run. */
        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind equivocate --adversary %s --nodes %d --seed %d",
                    adversary, nodes, seed);
        }
    }

    /** Reads of offenders' records, and how many accepted a conflicting value. */
    public record Reads(long reads, long accepted, long readsAfterDetection, long acceptedAfterDetection,
            long acceptedAfterEvidenceReached, long detections) {
        public double successShare() {
            return reads == 0 ? 0 : accepted / (double) reads;
        }

        public double successAfterDetection() {
            return readsAfterDetection == 0 ? 0 : acceptedAfterDetection / (double) readsAfterDetection;
        }
    }

    /**
     * What a run produced.
     *
     * @param coverageByMinute mean over offenders that had started of the share of honest nodes excluding them, at each minute's end
     * @param secondsTo99 per detected offender that reached 99% coverage, seconds from its first evidence
     * @param undetected offenders no honest node found out
     */
    public record Result(Params params, int honest, int adversaries, double[] coverageByMinute, double[] secondsTo99,
            int undetected, Reads defended, Reads undefended, long fakesSent, long fakesReported, int falselyExcluded,
            long gossipMessages, String traceHash, double wallSeconds) {
        public double p50SecondsTo99() {
            return percentile(secondsTo99, 0.5);
        }

        public double p99SecondsTo99() {
            return percentile(secondsTo99, 0.99);
        }

        /** Everything but the wall time: equal for equal seeds. */
        public String fingerprint() {
            return String.join("|", Arrays.toString(coverageByMinute), Arrays.toString(secondsTo99), String.valueOf(undetected),
                    defended.toString(), undefended.toString(), String.valueOf(fakesSent), String.valueOf(fakesReported),
                    String.valueOf(falselyExcluded), String.valueOf(gossipMessages), traceHash);
        }
    }

    static double percentile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, Math.max(0, (int) Math.ceil(q * s.length) - 1))];
    }

    private final class Node {
        final int index;
        final Identity identity;
        final boolean adversary;
        final int region;
        final long access;
        final List<Node> neighbours = new ArrayList<>();
        EvidenceBook book;

        Node(int index, Identity identity, boolean adversary, RandomGenerator rng) {
            this.index = index;
            this.identity = identity;
            this.adversary = adversary;
            this.region = LatencyModel.pickRegion(rng);
            this.access = LatencyModel.accessDelay(rng);
        }
    }

    /** An equivocating node: its two signed versions and when it starts showing them. */
    private record Offender(Node node, Record a, Record b, long start, int index) {}

    private final Params p;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Offender> offenders = new ArrayList<>();
    private final int honest;
    private final MemoVerifier verifier = new MemoVerifier();

    public EquivocationScenario(Params p) {
        if (p.nodes() < 10 || p.adversary() <= 0 || p.adversary() >= 0.5 || p.neighbours() < 2 || p.minutes() < 1) {
            throw new IllegalArgumentException("need at least 10 nodes, an adversary share in (0, 0.5), 2+ neighbours, 1+ minutes");
        }
        this.p = p;
        RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        int bad = Math.max(1, (int) Math.round(p.adversary() * p.nodes()));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < p.nodes(); i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(p.seed() ^ 0xe9));
        Set<Integer> adversaries = new LinkedHashSet<>(order.subList(0, bad));
        for (int i = 0; i < p.nodes(); i++) {
            byte[] seed = new byte[32];
            rng.nextBytes(seed);
            nodes.add(new Node(i, Identity.restore(seed, 0), adversaries.contains(i), rng));
        }
        this.honest = p.nodes() - bad;
        // Each node links to neighbours/2 others at random, both ways: a mean degree of `neighbours`.
        for (Node n : nodes) {
            for (int k = 0; k < p.neighbours() / 2; k++) {
                Node m = nodes.get(rng.nextInt(p.nodes()));
                if (m != n && !n.neighbours.contains(m)) {
                    n.neighbours.add(m);
                    m.neighbours.add(n);
                }
            }
        }
        int idx = 0;
        for (int i : adversaries) {
            Node n = nodes.get(i);
            long start = (long) (rng.nextDouble() * p.minutes() * MINUTE / 2);
            offenders.add(new Offender(n, record(n, "A"), record(n, "B"), start, idx++));
        }
    }

    private static Record record(Node n, String version) {
        return RecordTypes.owned(n.identity, "site", ("version " + version).getBytes(StandardCharsets.UTF_8), 1, EXPIRES_MILLIS);
    }

    /** Runs with the defence and without, on the same reads. */
    public Result run() {
        long t0 = System.nanoTime();
        Pass on = new Pass(true, null);
        on.run();
        Pass off = new Pass(false, on.firstEvidence);
        off.run();
        double[] toCoverage = on.secondsTo99();
        int undetected = 0;
        for (long first : on.firstEvidence) {
            if (first == Long.MAX_VALUE) {
                undetected++;
            }
        }
        return new Result(p, honest, offenders.size(), on.coverage, toCoverage, undetected, on.reads(), off.reads(), on.fakesSent,
                on.fakesReported, on.falselyExcluded(), on.gossip, on.trace(), (System.nanoTime() - t0) / 1e9);
    }

    /** One pass over the same seeded reads, with the defence on or off. */
    private final class Pass {
        final boolean defence;
        final EventQueue q = new EventQueue();
        final RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed() * 31 + 7);
        final RandomGenerator wire = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed() * 31 + 11);
        final RandomGenerator framing = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed() * 31 + 13);
        final long[] firstEvidence = new long[offenders.size()];
        /** When each offender was first detected: in this pass, or with the defence on (for the pass without). */
        final long[] detectedAt;
        final List<List<Long>> exclusions = new ArrayList<>();
        final double[] coverage = new double[p.minutes()];
        final MessageDigest trace = Sha256.newDigest();
        long reads;
        long accepted;
        long readsAfter;
        long acceptedAfter;
        long acceptedAfterReached;
        long detections;
        long fakesSent;
        long fakesReported;
        long gossip;

        Pass(boolean defence, long[] reference) {
            this.defence = defence;
            Arrays.fill(firstEvidence, Long.MAX_VALUE);
            this.detectedAt = reference == null ? firstEvidence : reference.clone();
            for (int i = 0; i < offenders.size(); i++) {
                exclusions.add(new ArrayList<>());
            }
            for (Node n : nodes) {
                n.book = new EvidenceBook(new EvidenceBook.Config(4096, 30 * EvidenceBook.Config.DAY_NANOS, 1024), verifier);
            }
        }

        void run() {
            long end = p.minutes() * MINUTE;
            double meanGap = MINUTE / p.readsPerMinute();
            for (Node n : nodes) {
                if (n.adversary) {
                    continue;
                }
                long t = (long) (-Math.log(1 - rng.nextDouble()) * meanGap);
                while (t < end) {
                    long at = t;
                    q.at(at, () -> read(n));
                    t += (long) (-Math.log(1 - rng.nextDouble()) * meanGap);
                }
            }
            if (defence) {
                for (Offender o : offenders) {
                    q.at(o.start(), () -> frame(o));
                }
            }
            for (int m = 0; m < p.minutes(); m++) {
                int minute = m;
                q.at((m + 1) * MINUTE, () -> coverage[minute] = meanCoverage((minute + 1) * MINUTE));
            }
            q.runUntil(end);
        }

        private void read(Node reader) {
            long now = q.now();
            List<Offender> live = offenders.stream().filter(o -> o.start() <= now).toList();
            if (live.isEmpty()) {
                return;
            }
            Offender o = live.get(rng.nextInt(live.size()));
            boolean both = rng.nextDouble() < p.leak();
            Record shown = (reader.index + o.index()) % 2 == 0 ? o.a() : o.b();
            boolean detected = detectedAt[o.index()] <= now;
            reads++;
            if (detected) {
                readsAfter++;
            }
            if (defence && reader.book.isExcluded(o.node().identity.id())) {
                return; // the evidence reached this reader: the offender's records are refused
            }
            if (defence && both) {
                Optional<Evidence> e = Detector.compare(o.a(), o.b(), verifier);
                if (e.isPresent()) {
                    detections++;
                    reader.book.handleLocal(now, e.get());
                    afterHandling(reader, now);
                    return; // it saw the conflict: believes neither version
                }
            }
            accepted++;
            if (detected) {
                acceptedAfter++;
            }
            if (reader.book.isExcluded(o.node().identity.id())) {
                acceptedAfterReached++;
            }
            trace.update((byte) (shown == o.a() ? 'a' : 'b'));
        }

        /** An offender gossips evidence "against" an honest node that it cannot sign for: it must fail. */
        private void frame(Offender o) {
            Node victim;
            do {
                victim = nodes.get(framing.nextInt(nodes.size()));
            } while (victim.adversary);
            Identity forger = o.node().identity;
            List<Statement> fake = new ArrayList<>();
            for (String v : new String[] {"x", "y"}) {
                byte[] value = v.getBytes(StandardCharsets.UTF_8);
                Record real = RecordTypes.owned(victim.identity, "site", value, 1, EXPIRES_MILLIS);
                byte[] sig = forger.sign(RecordTypes.signedBytes(real.type(), real.key(), value, 1, EXPIRES_MILLIS,
                        victim.identity.publicKey(), real.name()));
                fake.add(Statement.ofRecord(new Record(real.type(), real.key(), value, 1, EXPIRES_MILLIS,
                        victim.identity.publicKey(), real.name(), sig)).orElseThrow());
            }
            byte[] bytes = new Evidence(fake.get(0), fake.get(1)).encode();
            for (Node to : o.node().neighbours) {
                if (!to.adversary) {
                    fakesSent++;
                    send(o.node(), to, bytes);
                }
            }
        }

        private void send(Node from, Node to, byte[] bytes) {
            gossip++;
            long delay = LatencyModel.oneWay(from.region, from.access, to.region, to.access, 1.0, wire) + CHECK_NANOS;
            q.after(delay, () -> receive(from, to, bytes));
        }

        private void receive(Node from, Node to, byte[] bytes) {
            if (to.adversary) {
                return; // adversaries forward nothing
            }
            to.book.handleEvidence(q.now(), from.identity.id(), bytes);
            afterHandling(to, q.now());
        }

        private void afterHandling(Node n, long now) {
            for (EvidenceEvent e; (e = n.book.pollEvent()) != null;) {
                switch (e) {
                    case EvidenceEvent.Excluded x -> excluded(n, x.offender(), now);
                    case EvidenceEvent.FakeEvidence f -> fakesReported++;
                    case EvidenceEvent.Released r -> { }
                }
            }
            for (EvidenceBook.Gossip g; (g = n.book.pollGossip()) != null;) {
                for (Node to : n.neighbours) {
                    if (!to.identity.id().equals(g.except())) {
                        send(n, to, g.evidence());
                    }
                }
            }
        }

        private void excluded(Node by, NodeId offender, long now) {
            for (Offender o : offenders) {
                if (o.node().identity.id().equals(offender)) {
                    firstEvidence[o.index()] = Math.min(firstEvidence[o.index()], now);
                    exclusions.get(o.index()).add(now);
                    trace.update(longBytes(now ^ ((long) by.index << 40) ^ o.index()));
                    return;
                }
            }
            trace.update("honest excluded".getBytes(StandardCharsets.US_ASCII));
        }

        double meanCoverage(long at) {
            double sum = 0;
            int started = 0;
            for (Offender o : offenders) {
                if (o.start() <= at) {
                    started++;
                    sum += exclusions.get(o.index()).stream().filter(t -> t <= at).count() / (double) honest;
                }
            }
            return started == 0 ? 0 : sum / started;
        }

        double[] secondsTo99() {
            int need = (int) Math.ceil(0.99 * honest);
            List<Double> out = new ArrayList<>();
            for (Offender o : offenders) {
                List<Long> times = exclusions.get(o.index());
                if (times.size() >= need) {
                    out.add((times.get(need - 1) - firstEvidence[o.index()]) / (double) SECOND);
                }
            }
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        }

        int falselyExcluded() {
            int n = 0;
            for (Node node : nodes) {
                if (!node.adversary) {
                    for (NodeId x : node.book.excluded()) {
                        if (offenders.stream().noneMatch(o -> o.node().identity.id().equals(x))) {
                            n++;
                        }
                    }
                }
            }
            return n;
        }

        Reads reads() {
            return new Reads(reads, accepted, readsAfter, acceptedAfter, acceptedAfterReached, detections);
        }

        String trace() {
            return HexFormat.of().formatHex(trace.digest()).substring(0, 16);
        }
    }

    private static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(8).putLong(v).array();
    }

    /** A small table of the result and the command that replays it. */
    public static void summary(Result r, PrintStream out) {
        Params p = r.params();
        out.printf(Locale.ROOT, "equivocation: %d nodes (%d honest, %d equivocating), %d gossip neighbours, %d min, seed %d%n",
                p.nodes(), r.honest(), r.adversaries(), p.neighbours(), p.minutes(), p.seed());
        out.printf(Locale.ROOT, "reads: %.1f per honest node and minute, %.1f%% hear both versions%n", p.readsPerMinute(),
                100 * p.leak());
        out.println("minute  honest nodes excluding the offender (mean over offenders)");
        for (int m = 0; m < r.coverageByMinute().length; m++) {
            out.printf(Locale.ROOT, "%6d  %6.2f%%%n", m + 1, 100 * r.coverageByMinute()[m]);
        }
        out.printf(Locale.ROOT, "first evidence to 99%% of honest nodes: p50 %.2f s, p99 %.2f s (%d of %d offenders; %d never detected)%n",
                r.p50SecondsTo99(), r.p99SecondsTo99(), r.secondsTo99().length, r.adversaries(), r.undetected());
        out.println("                         reads   accepted a conflicting value   after first evidence");
        out.printf(Locale.ROOT, "without the defence  %9d   %27.2f%%   %19.2f%%%n", r.undefended().reads(),
                100 * r.undefended().successShare(), 100 * r.undefended().successAfterDetection());
        out.printf(Locale.ROOT, "with the defence     %9d   %27.2f%%   %19.2f%%%n", r.defended().reads(),
                100 * r.defended().successShare(), 100 * r.defended().successAfterDetection());
        out.printf(Locale.ROOT, "reads accepting after the evidence reached the reader: %d; detections by readers: %d%n",
                r.defended().acceptedAfterEvidenceReached(), r.defended().detections());
        out.printf(Locale.ROOT, "forged evidence: %d sent, %d refused and reported; honest nodes excluded: %d%n", r.fakesSent(),
                r.fakesReported(), r.falselyExcluded());
        out.printf(Locale.ROOT, "gossip messages: %d; run: %.1f s wall; trace %s%n", r.gossipMessages(), r.wallSeconds(),
                r.traceHash());
        out.println("replay: " + p.replayCommand());
    }
}
