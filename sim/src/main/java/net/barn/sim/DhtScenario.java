package net.barn.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;

/**
 * The root-network scenario behind {@code barn sim dht}: nodes join over a few minutes through
 * invites to earlier nodes, then records are put and read while a share of the nodes churns
 * (crash, stay away, restart from disk), then the network idles. Safety invariants are
 * checked throughout; success, hops, latency and idle traffic are measured.
 */
public final class DhtScenario {
    /** What to run. {@code churn} is the share of nodes that leave per hour. */
    public record Params(int nodes, long seed, double churn, int joinMinutes, int workloadMinutes, int idleMinutes,
            double putsPerMinute, double getsPerMinute, boolean faults, DhtConfig config) {
        public static Params defaults(int nodes, long seed) {
            return new Params(nodes, seed, 0.10, Math.max(2, nodes / 2000), 30, 10, Math.max(10, nodes / 100.0),
                    Math.max(60, nodes / 10.0), true, DhtConfig.DEFAULT);
        }

        public Params withChurn(double value) {
            return new Params(nodes, seed, value, joinMinutes, workloadMinutes, idleMinutes, putsPerMinute, getsPerMinute,
                    faults, config);
        }

        public Params withMinutes(int workload, int idle) {
            return new Params(nodes, seed, churn, joinMinutes, workload, idle, putsPerMinute, getsPerMinute, faults, config);
        }

        public Params withJoinMinutes(int value) {
            return new Params(nodes, seed, churn, value, workloadMinutes, idleMinutes, putsPerMinute, getsPerMinute,
                    faults, config);
        }

        public Params withFaults(boolean value) {
            return new Params(nodes, seed, churn, joinMinutes, workloadMinutes, idleMinutes, putsPerMinute, getsPerMinute,
                    value, config);
        }

        public Params withRates(double puts, double gets) {
            return new Params(nodes, seed, churn, joinMinutes, workloadMinutes, idleMinutes, puts, gets, faults, config);
        }

        /** Lookups as wide as {@code w} ({@link DhtConfig#lookupWidth}). */
        public Params withLookupWidth(int w) {
            return new Params(nodes, seed, churn, joinMinutes, workloadMinutes, idleMinutes, putsPerMinute, getsPerMinute,
                    faults, config.withLookupWidth(w));
        }

        /** Full buckets anchored at secret points or kept longest-known first ({@link DhtConfig#anchoredBuckets}). */
        public Params withAnchoredBuckets(boolean on) {
            return new Params(nodes, seed, churn, joinMinutes, workloadMinutes, idleMinutes, putsPerMinute, getsPerMinute,
                    faults, config.withAnchoredBuckets(on));
        }

        /** The one-line command that replays this run. */
        public String replayCommand(String out) {
            return String.format(java.util.Locale.ROOT,
                    "bin/barn sim dht --nodes %d --seed %d --churn %s --join %d --minutes %d --idle %d%s%s%s --out %s", nodes,
                    seed, churn, joinMinutes, workloadMinutes, idleMinutes, faults ? "" : " --no-faults",
                    config.lookupWidth() == DhtConfig.DEFAULT.lookupWidth() ? "" : " --lookup-width " + config.lookupWidth(),
                    config.anchoredBuckets() == DhtConfig.DEFAULT.anchoredBuckets() ? ""
                            : " --anchored " + (config.anchoredBuckets() ? "on" : "off"),
                    out);
        }
    }

    /** One measured query. */
    public record Sample(String kind, double atSeconds, boolean success, int hops, int hopsToFirst, double latencyMs,
            int requests) {}

    /** What a run produced. */
    public record Result(Params params, List<Sample> samples, List<String> violations, String traceHash,
            double idleMessagesPerNodeMinute, long events, long delivered, long dropped, double wallSeconds,
            double simulatedSeconds, long heapBytes, String faults, int churnEvents) {
        public long count(String kind) {
            return samples.stream().filter(s -> s.kind().equals(kind)).count();
        }

        public double successRate(String kind) {
            return successRate(kind, 0);
        }

        /** Success among queries of a kind started at or after {@code fromSeconds}. */
        public double successRate(String kind, double fromSeconds) {
            long n = samples.stream().filter(s -> s.kind().equals(kind) && s.atSeconds() >= fromSeconds).count();
            return n == 0 ? Double.NaN : samples.stream()
                    .filter(s -> s.kind().equals(kind) && s.atSeconds() >= fromSeconds && s.success()).count() / (double) n;
        }

        public long count(String kind, double fromSeconds) {
            return samples.stream().filter(s -> s.kind().equals(kind) && s.atSeconds() >= fromSeconds).count();
        }

        public double percentile(String kind, java.util.function.ToDoubleFunction<Sample> f, double p) {
            double[] v = samples.stream().filter(s -> s.kind().equals(kind) && s.success()).mapToDouble(f).sorted().toArray();
            return v.length == 0 ? Double.NaN : v[Math.min(v.length - 1, (int) Math.floor(p * v.length))];
        }
    }

    private record Put(double at, Record record) {}

    private static final long SECOND = DhtSimulation.SECOND;
    private static final long MINUTE = 60 * SECOND;

    /**
     * Faults (loss, duplication, partitions) run through the first 60% of the workload; the
     * rest is calm, and gets started a minute into the calm show whether the network healed.
     */
    static long faultsEnd(Params p) {
        return (p.joinMinutes() + 2L) * MINUTE + (long) (p.workloadMinutes() * 0.6 * MINUTE);
    }

    /** Start of the convergence window, seconds: faults are over and a minute has passed. */
    public static double calmFrom(Params p) {
        return faultsEnd(p) / 1e9 + 60;
    }

    private final Params p;
    private final DhtSimulation sim;
    private final RandomGenerator churnRng;
    private final RandomGenerator workRng;
    private final List<Identity> publishers = new ArrayList<>();
    private final Map<Key, List<Put>> puts = new HashMap<>();
    private final List<Key> putKeys = new ArrayList<>();
    private final Map<Long, Pending> queries = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final XorIndex<DhtSimulation.Node> byKey;
    private java.util.function.Consumer<String> progress = line -> { };
    private final Map<String, Long> storedSequence = new HashMap<>();
    private int churnEvents;
    private int names;

    private record Pending(String kind, long startNanos, Key key, long expectedSequence, DhtSimulation.Node node) {}

    public DhtScenario(Params p) {
        this.p = p;
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        FaultProfile faults = p.faults() ? FaultProfile.draw(root.split(), faultsEnd(p)) : FaultProfile.NONE;
        this.sim = new DhtSimulation(p.config(), faults, root, p.nodes());
        this.byKey = new XorIndex<>(sim.nodes(), n -> n.contact().key());
        this.churnRng = root.split();
        this.workRng = root.split();
        SeededEntropy entropy = new SeededEntropy(p.seed() ^ 0x5eed);
        for (int i = 0; i < 32; i++) {
            publishers.add(Identity.generate(entropy, new PowParams(0, 0)));
        }
        sim.onEvent(this::onEvent);
    }

    public DhtSimulation simulation() {
        return sim;
    }

    public Result run() {
        long wall0 = System.nanoTime();
        List<DhtSimulation.Node> order = new ArrayList<>(sim.nodes());
        java.util.Collections.shuffle(order, new java.util.Random(p.seed()));
        long joinWindow = p.joinMinutes() * MINUTE;
        List<DhtSimulation.Node> started = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            DhtSimulation.Node n = order.get(i);
            long at = i == 0 ? 0 : (long) (joinWindow * (i / (double) order.size()));
            sim.queue().at(at, () -> {
                List<Contact> seeds = new ArrayList<>();
                for (int s = 0; s < 3 && !started.isEmpty(); s++) {
                    seeds.add(started.get(workRng.nextInt(started.size())).contact());
                }
                sim.start(n, seeds);
                started.add(n);
            });
        }
        long workStart = joinWindow + 2 * MINUTE;
        long workEnd = workStart + p.workloadMinutes() * MINUTE;
        long idleEnd = workEnd + p.idleMinutes() * MINUTE;
        scheduleChurn(workStart, idleEnd);
        scheduleProgress(wall0, idleEnd);
        schedulePoisson(workStart, workEnd, p.putsPerMinute(), this::put);
        schedulePoisson(workStart, workEnd, p.getsPerMinute(), this::get);
        schedulePoisson(workStart, workEnd, p.getsPerMinute() / 4, this::findNode);

        sim.runUntil(workEnd);
        long before = totalMessages();
        double[] nodeMinutes = {0};
        for (long t = workEnd; t < idleEnd; t += MINUTE) {
            sim.queue().at(t, () -> nodeMinutes[0] += sim.nodes().stream().filter(DhtSimulation.Node::online).count());
        }
        sim.runUntil(idleEnd);
        double idle = nodeMinutes[0] == 0 ? 0 : (totalMessages() - before) / nodeMinutes[0];
        checkTables();
        System.gc();
        long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        double wall = (System.nanoTime() - wall0) / 1e9;
        return new Result(p, List.copyOf(samples), List.copyOf(violations), sim.traceHash(), idle, sim.eventsProcessed(),
                sim.delivered(), sim.dropped(), wall, idleEnd / 1e9, heap, sim.faults().toString(), churnEvents);
    }

    /** Sets where a progress line goes every few simulated minutes (large runs take a while). */
    public void onProgress(java.util.function.Consumer<String> sink) {
        progress = sink;
    }

    private void scheduleProgress(long wall0, long end) {
        long every = Math.max(MINUTE, end / 20 / MINUTE * MINUTE);
        for (long t = every; t < end; t += every) {
            long at = t;
            sim.queue().at(at, () -> {
                double wall = (System.nanoTime() - wall0) / 1e9;
                Runtime rt = Runtime.getRuntime();
                progress.accept(String.format(java.util.Locale.ROOT,
                        "simulated %.0f of %.0f min: %d events, %.0f events/s, %.1fx real time, heap in use %.1f GiB",
                        at / 60e9, end / 60e9, sim.eventsProcessed(), sim.eventsProcessed() / wall, at / 1e9 / wall,
                        (rt.totalMemory() - rt.freeMemory()) / (double) (1L << 30)));
            });
        }
    }

    /** Messages sent plus received, summed over nodes: a node's packets, as its NIC would count them. */
    private long totalMessages() {
        long n = 0;
        for (DhtSimulation.Node node : sim.nodes()) {
            n += node.sent + node.received;
        }
        return n;
    }

    private void scheduleChurn(long from, long until) {
        int churning = (int) Math.round(Math.min(1.0, p.churn()) * p.nodes());
        for (int i = 0; i < churning; i++) {
            DhtSimulation.Node n = sim.nodes().get(churnRng.nextInt(sim.nodes().size()));
            long leave = from + (long) (sessionLength() * churnRng.nextDouble());
            scheduleLeave(n, leave, until);
        }
    }

    /** Heavy-tailed online time: Pareto with shape 1.5 and a mean of one hour. */
    private long sessionLength() {
        double xm = 20 * 60.0;
        double seconds = xm / Math.pow(1 - churnRng.nextDouble(), 1 / 1.5);
        return (long) (Math.min(seconds, 24 * 3600) * SECOND);
    }

    private void scheduleLeave(DhtSimulation.Node n, long at, long until) {
        if (at >= until) {
            return;
        }
        sim.queue().at(at, () -> {
            if (!n.online()) {
                return;
            }
            sim.crash(n);
            churnEvents++;
            long away = (long) (-Math.log(1 - churnRng.nextDouble()) * 20 * MINUTE);
            sim.queue().after(away, () -> {
                sim.start(n, List.of()); // no seeds: it rejoins from its peer cache alone
                scheduleLeave(n, sim.now() + sessionLength(), until);
            });
        });
    }

    private void schedulePoisson(long from, long until, double perMinute, Runnable action) {
        if (perMinute <= 0) {
            return;
        }
        double meanGap = MINUTE / perMinute;
        long t = from;
        while (true) {
            t += (long) (-Math.log(1 - workRng.nextDouble()) * meanGap);
            if (t >= until) {
                return;
            }
            sim.queue().at(t, action);
        }
    }

    private DhtSimulation.Node randomOnline() {
        for (int tries = 0; tries < 100; tries++) {
            DhtSimulation.Node n = sim.nodes().get(workRng.nextInt(sim.nodes().size()));
            if (n.online() && n.dht().isBootstrapped()) {
                return n;
            }
        }
        return null;
    }

    private void put() {
        DhtSimulation.Node n = randomOnline();
        if (n == null) {
            return;
        }
        long nowMs = Math.floorDiv(sim.now() + DhtSimulation.EPOCH_OFFSET_NANOS, 1_000_000L);
        Record r;
        if (!putKeys.isEmpty() && workRng.nextDouble() < 0.2) {
            List<Put> history = puts.get(putKeys.get(workRng.nextInt(putKeys.size())));
            Record last = history.get(history.size() - 1).record();
            Identity publisher = publisherOf(last);
            r = RecordTypes.owned(publisher, new String(last.name(), java.nio.charset.StandardCharsets.UTF_8),
                    ("v" + (last.sequence() + 1)).getBytes(java.nio.charset.StandardCharsets.UTF_8), last.sequence() + 1,
                    nowMs + 24 * 3600 * 1000L);
        } else {
            Identity publisher = publishers.get(workRng.nextInt(publishers.size()));
            r = RecordTypes.owned(publisher, "record-" + (names++), "v1".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1,
                    nowMs + 24 * 3600 * 1000L);
            putKeys.add(r.key());
        }
        puts.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(new Put(sim.now() / 1e9, r));
        Record record = r;
        long q = sim.act(n, d -> d.put(sim.now(), record));
        queries.put(q * 1_000_003L + n.index(), new Pending("put", sim.now(), r.key(), r.sequence(), n));
    }

    private Identity publisherOf(Record r) {
        for (Identity i : publishers) {
            if (java.util.Arrays.equals(i.publicKey(), r.publisherKey())) {
                return i;
            }
        }
        throw new IllegalStateException("record of an unknown publisher");
    }

    private void get() {
        DhtSimulation.Node n = randomOnline();
        if (n == null || putKeys.isEmpty()) {
            return;
        }
        Key key = putKeys.get(workRng.nextInt(putKeys.size()));
        double settled = sim.now() / 1e9 - 60;
        long expected = 0;
        for (Put put : puts.get(key)) {
            if (put.at() <= settled) {
                expected = Math.max(expected, put.record().sequence());
            }
        }
        if (expected == 0) {
            return; // put less than a minute ago: not yet a fair question
        }
        long q = sim.act(n, d -> d.get(sim.now(), key, RecordTypes.OWNED));
        queries.put(q * 1_000_003L + n.index(), new Pending("get", sim.now(), key, expected, n));
    }

    private void findNode() {
        DhtSimulation.Node n = randomOnline();
        if (n == null) {
            return;
        }
        Key target = Key.random(workRng);
        long q = sim.act(n, d -> d.findNode(sim.now(), target));
        queries.put(q * 1_000_003L + n.index(), new Pending("find", sim.now(), target, 0, n));
    }

    private void onEvent(DhtSimulation.Node n, DhtEvent e) {
        switch (e) {
            case DhtEvent.QueryDone done -> {
                Pending pq = queries.remove(done.query() * 1_000_003L + n.index());
                if (pq == null || pq.node() != n) {
                    return;
                }
                record(pq, done.result());
            }
            case DhtEvent.RecordStored s -> {
                String slot = n.index() + "/" + s.record().key();
                Long before = storedSequence.get(slot);
                if (before != null && s.record().sequence() < before && n.online()) {
                    violations.add("node " + n.index() + " went back from sequence " + before + " to "
                            + s.record().sequence() + " for " + s.record().key());
                }
                storedSequence.put(slot, s.record().sequence());
            }
            default -> { }
        }
    }

    private void record(Pending pq, DhtEvent.QueryResult result) {
        double at = pq.startNanos() / 1e9;
        double ms = result.nanos() / 1e6;
        switch (result) {
            case DhtEvent.GetResult g -> {
                boolean ok = g.record() != null && g.record().sequence() >= pq.expectedSequence();
                if (g.record() != null && !wasPut(g.record())) {
                    violations.add("get at " + at + " s returned a record nobody put: " + g.record());
                }
                samples.add(new Sample("get", at, ok, g.hops(), g.hopsToFirst(), ms, g.requests()));
                sim.traceFact("get " + ok + " " + g.hops());
            }
            case DhtEvent.PutResult put -> {
                samples.add(new Sample("put", at, put.stored() >= 1, put.hops(), put.hops(), ms, put.requests()));
                sim.traceFact("put " + put.stored());
            }
            case DhtEvent.FindNodeResult f -> {
                Contact truth = trueClosestOnline(pq.key());
                boolean ok = !f.closest().isEmpty() && truth != null && f.closest().get(0).id().equals(truth.id());
                samples.add(new Sample("find", at, ok, f.hops(), f.hops(), ms, f.requests()));
                sim.traceFact("find " + ok + " " + f.hops());
            }
            default -> { }
        }
    }

    private boolean wasPut(Record r) {
        List<Put> history = puts.get(r.key());
        return history != null && history.stream().anyMatch(put -> put.record().sameAs(r));
    }

    private Contact trueClosestOnline(Key target) {
        DhtSimulation.Node best = byKey.closest(target, n -> n.online() && n.dht().isBootstrapped());
        return best == null ? null : best.contact();
    }

    /** Safety: no table holds its own node or a contact without an address. */
    private void checkTables() {
        for (DhtSimulation.Node n : sim.nodes()) {
            if (!n.online()) {
                continue;
            }
            for (Contact c : n.dht().table().contacts()) {
                if (c.id().equals(n.id())) {
                    violations.add("node " + n.index() + " has itself in its routing table");
                }
                if (!c.isReachable()) {
                    violations.add("node " + n.index() + " has a contact without an address: " + c);
                }
            }
        }
    }
}
