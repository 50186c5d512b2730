package net.barn.sim;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Countersigning;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.namespace.NameClaims;
import net.barn.core.namespace.NamePow;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameRules;
import net.barn.core.namespace.NameState;
import net.barn.core.namespace.NameValidator;

/**
 * The root namespace under attack, behind {@code barn sim names}: a share of the node ids
 * (20% by default) collude to take names that honest nodes hold or are claiming. Colluders
 * countersign any commitment with backdated times, store anything, and answer every read of
 * a name with a forged claim of their own. Each trial is one attack on one name, followed
 * by reads from honest nodes; a trial succeeds for the attacker if any honest read returns
 * an owner other than the honest one. Safety: no trial may succeed.
 */
public final class NameAttackScenario {
    /** The attacks tried, in turn. */
    public enum Attack {
        /** Claim a held name anew: commit (honest replicas refuse), colluders countersign, reveal, store. */
        SQUAT,
        /** Hand a held name to oneself with a higher sequence, signed by oneself. */
        FORGED_TRANSFER,
        /** A claim whose commitment and countersignatures are backdated by days, to look first. */
        BACKDATED_CLAIM,
        /** Watch an honest claim in flight, commit to the same name at once and reveal first. */
        FRONT_RUN
    }

    /**
     * What to run.
     *
     * @param readAllReplicas the defence that a read of a name hears every replica; off, it ends at the
     *     first quorum of answers (as reads of other record types do), so early liars can decide it
     * @param askNeighbours the defence that a replica holding nothing reads the other replicas before it
     *     takes an old-looking claim; off, it takes any valid claim on the sender's word
     * @param groundNames how many of the names the adversary grinds ids next to, once they are claimed
     *     (0: none; the attacks then go to any held name)
     * @param groundPerName ids it grinds next to each of those names (among the last nodes of the network)
     * @param placed whether names sit at their points of a placement period, with presence tickets
     *     (PROTOCOL 11.8): the names are claimed in period 1, period 2 begins once they are final, and
     *     the attacks run in period 2; ground ids are then ground next to the names' period-2 points
     */
    public record Params(int nodes, long seed, double malicious, int names, int trials, double churn, int joinMinutes,
            boolean readAllReplicas, boolean askNeighbours, int groundNames, int groundPerName, boolean placed) {
        public Params {
            if (groundNames < 0 || groundPerName < 0 || groundNames > names || groundNames * groundPerName >= nodes / 2) {
                throw new IllegalArgumentException("ground ids for at most all names, and fewer than half the nodes");
            }
        }

        public Params(int nodes, long seed, double malicious, int names, int trials, double churn, int joinMinutes,
                boolean readAllReplicas, boolean askNeighbours) {
            this(nodes, seed, malicious, names, trials, churn, joinMinutes, readAllReplicas, askNeighbours, 0, 0, false);
        }

        public Params(int nodes, long seed, double malicious, int names, int trials, double churn, int joinMinutes) {
            this(nodes, seed, malicious, names, trials, churn, joinMinutes, true, true);
        }

        /** The same run with {@code perName} ids ground next to each of the first {@code count} names after they are claimed. */
        public Params withGrinding(int count, int perName) {
            return new Params(nodes, seed, malicious, names, trials, churn, joinMinutes, readAllReplicas, askNeighbours, count,
                    perName, placed);
        }

        /** The same run with names at their points of a placement period, and presence tickets. */
        public Params withPlacement() {
            return new Params(nodes, seed, malicious, names, trials, churn, joinMinutes, readAllReplicas, askNeighbours,
                    groundNames, groundPerName, true);
        }

        public boolean grinding() {
            return groundNames > 0 && groundPerName > 0;
        }

        public static Params defaults(int nodes, long seed) {
            return new Params(nodes, seed, 0.2, 100, 1000, 0.1, Math.max(2, nodes / 2000));
        }

        public Params with(double maliciousShare, int nameCount, int trialCount, double churnPerHour) {
            return new Params(nodes, seed, maliciousShare, nameCount, trialCount, churnPerHour, joinMinutes, readAllReplicas,
                    askNeighbours, groundNames, groundPerName, placed);
        }

        /** The same run with the read and replica defences switched on or off (simulation only). */
        public Params withDefences(boolean readAll, boolean askOthers) {
            return new Params(nodes, seed, malicious, names, trials, churn, joinMinutes, readAll, askOthers, groundNames,
                    groundPerName, placed);
        }

        public boolean weakened() {
            return !readAllReplicas || !askNeighbours;
        }

        public String replayCommand(String out) {
            return String.format(Locale.ROOT, "bin/barn sim names --nodes %d --seed %d --malicious %s --names %d --trials %d"
                    + " --churn %s --out %s", nodes, seed, malicious, names, trials, churn, out)
                    + (weakened() ? " (simulation with defences off: read all replicas " + readAllReplicas
                            + ", replicas ask neighbours " + askNeighbours + ")" : "");
        }
    }

    /**
     * Per attack: trials, attacker successes, honest reads that found nothing, reads that flagged
     * a conflict, and the requests those reads sent in all (what a read costs).
     */
    public record Tally(int trials, int successes, int reads, int readsNotFound, int readsFlaggingConflict,
            int honestReplicasStoringForgery, long readRequests) {}

    /** What a run produced. */
    public record Result(Params params, Map<Attack, Tally> tallies, List<String> violations, String traceHash, int claimed,
            int honestClaims, double claimSeconds, long events, double wallSeconds, double simulatedSeconds) {
        public int successes() {
            return tallies.values().stream().mapToInt(Tally::successes).sum();
        }

        public int trials() {
            return tallies.values().stream().mapToInt(Tally::trials).sum();
        }
    }

    private static final long SECOND = DhtSimulation.SECOND;
    private static final long MINUTE = 60 * SECOND;
    private static final long DAY_MS = 24 * 3600 * 1000L;
    private static final int READERS = 3;

    private final Params p;
    private final NameRules rules = NameRules.forTests(PowParams.TEST);
    private final DhtSimulation sim;
    private final RandomGenerator rng;
    private final Set<NodeId> colluders = new HashSet<>();
    private final List<DhtSimulation.Node> colluderNodes = new ArrayList<>();
    private final XorIndex<DhtSimulation.Node> byKey;
    private final NameValidator judge;
    private final Map<String, NodeId> honestOwner = new HashMap<>();
    private final SimTickets tickets = new SimTickets();
    /** The placement period now (placed runs): 1 while names are claimed, 2 for the attacks. */
    private long period = 1;
    private final Map<Key, Record> forgery = new HashMap<>();
    private final Map<Long, Consumer<DhtEvent.QueryResult>> waiting = new HashMap<>();
    private final Map<Long, DhtEvent.QueryResult> finishedAtOnce = new HashMap<>();
    private boolean acting;
    private final Map<Attack, int[]> counts = new EnumMap<>(Attack.class);
    private final List<String> violations = new ArrayList<>();
    private final List<String> held = new ArrayList<>();
    private double claimSecondsTotal;
    private int claimsDone;
    private Consumer<String> progress = line -> { };

    public NameAttackScenario(Params p) {
        this.p = p;
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        this.sim = new DhtSimulation(DhtConfig.DEFAULT, rules, FaultProfile.NONE, root, p.nodes(),
                p.grinding() ? grinder(p, rules) : null, p.weakened() ? r -> weakened(r, p) : null);
        this.rng = root.split();
        this.byKey = new XorIndex<>(sim.nodes(), n -> n.contact().key());
        this.judge = new NameValidator(rules, (k, m, s) -> net.barn.core.crypto.Ed25519.verify(k, m, s));
        List<DhtSimulation.Node> shuffled = new ArrayList<>(sim.nodes());
        java.util.Collections.shuffle(shuffled, new java.util.Random(p.seed() ^ 0xbad));
        for (int i = 0; i < Math.round(p.malicious() * p.nodes()); i++) {
            colluders.add(shuffled.get(i).id());
            colluderNodes.add(shuffled.get(i));
        }
        for (DhtSimulation.Node n : sim.nodes()) {
            if (isGround(n) && colluders.add(n.id())) {
                colluderNodes.add(n);
            }
        }
        for (Attack a : Attack.values()) {
            counts.put(a, new int[7]);
        }
        if (p.placed()) {
            for (DhtSimulation.Node n : sim.nodes()) {
                if (!isGround(n)) {
                    tickets.issue(n.id()); // present before the salts came out; ground ids are made after
                }
            }
            sim.placeWith(this::placement);
        }
        sim.onEvent((node, e) -> {
            if (e instanceof DhtEvent.QueryDone d) {
                long key = d.query() * 1_000_003L + node.index();
                Consumer<DhtEvent.QueryResult> then = waiting.remove(key);
                if (then != null) {
                    then.accept(d.result());
                } else if (acting) {
                    finishedAtOnce.put(key, d.result()); // refused locally: done before anyone could wait for it
                }
            }
        });
        sim.intercept(this::collude);
    }

    /** The beacon output that opens placement period {@code period} in a run (placed runs). */
    private static byte[] salt(Params p, long period) {
        return net.barn.core.crypto.Sha256.hash("barn-sim-salt".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                java.nio.ByteBuffer.allocate(16).putLong(p.seed()).putLong(period).array());
    }

    private net.barn.core.dht.Placement placement(DhtSimulation.Node n) {
        return new net.barn.core.dht.Placement(period, salt(p, period), period > 1 ? salt(p, period - 1) : null,
                tickets.ticket(period, n.id()), tickets.ticket(period - 1, n.id()), tickets);
    }

    /** Where a name's replicas sit now: its key, or in a placed run its point this period. */
    private Key where(Key key) {
        return p.placed() ? net.barn.core.trust.beacon.Sortition.placement(key, salt(p, period)) : key;
    }

    /** Where ids are ground next to a name: its key, or in a placed run its point in the attacks' period (2). */
    private static Key groundTarget(Params p, Key nameKey) {
        return p.placed() ? net.barn.core.trust.beacon.Sortition.placement(nameKey, salt(p, 2)) : nameKey;
    }

    /** The first node index of the ids ground next to names: they are the last nodes. */
    private static int firstGround(Params p) {
        return p.nodes() - p.groundNames() * p.groundPerName();
    }

    private boolean isGround(DhtSimulation.Node n) {
        return p.grinding() && n.index() >= firstGround(p);
    }

    /** The name a ground id sits next to. */
    private static String groundName(Params p, int index) {
        return "name-" + (index - firstGround(p)) / p.groundPerName();
    }

    /**
     * Identities ground next to a name's key: key pairs are generated until the id shares with
     * the key more leading bits than the network's size needs to hold one id there (as many as
     * the puzzle-checked ids of about 2^(bits + static puzzle) key generations would).
     */
    private static DhtSimulation.NodePlan grinder(Params p, NameRules rules) {
        int bits = 64 - Long.numberOfLeadingZeros(p.nodes()) + 1;
        return new DhtSimulation.NodePlan() {
            @Override
            public Identity identity(int index, Identity drawn) {
                if (index < firstGround(p)) {
                    return drawn;
                }
                Key key = groundTarget(p, NameRecords.nameKey(groundName(p, index)));
                SeededEntropy entropy = new SeededEntropy(p.seed() * 1_000_003L + index);
                while (true) {
                    Identity id = Identity.generate(entropy, rules.idPow());
                    if (key.commonPrefixLength(Key.of(id.id())) >= bits) {
                        return id;
                    }
                }
            }
        };
    }

    /** The namespace's rules with the defences {@code p} switches off; the rest as they are. */
    private static net.barn.core.dht.RecordRules weakened(net.barn.core.dht.RecordRules real, Params p) {
        return new net.barn.core.dht.RecordRules() {
            @Override
            public String problem(Record r, long nowMillis, DhtConfig config, net.barn.core.dht.SignatureVerifier verifier) {
                return real.problem(r, nowMillis, config, verifier);
            }

            @Override
            public String replaces(Record held, Record incoming, long nowMillis, Set<NodeId> neighbourhood) {
                return real.replaces(held, incoming, nowMillis, neighbourhood);
            }

            @Override
            public String admits(Record r, long nowMillis, Set<NodeId> neighbourhood) {
                return real.admits(r, nowMillis, neighbourhood);
            }

            @Override
            public boolean asksNeighbours(Record r, long nowMillis) {
                return p.askNeighbours() && real.asksNeighbours(r, nowMillis);
            }

            @Override
            public Object lineage(Record r) {
                return real.lineage(r);
            }

            @Override
            public String commitProblem(Key key, Record held, long nowMillis) {
                return real.commitProblem(key, held, nowMillis);
            }

            @Override
            public int replicas(int type, int k) {
                return real.replicas(type, k);
            }

            @Override
            public boolean multiValued(int type) {
                return real.multiValued(type);
            }

            @Override
            public String policyProblem(Record r, long nowMillis, Record claim) {
                return real.policyProblem(r, nowMillis, claim);
            }

            @Override
            public boolean readsAllReplicas(int type) {
                return p.readAllReplicas() && real.readsAllReplicas(type);
            }

            @Override
            public boolean placed(int type) {
                return real.placed(type);
            }

            @Override
            public int commitType() {
                return real.commitType();
            }
        };
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    private long nowMillis() {
        return Math.floorDiv(sim.now() + DhtSimulation.EPOCH_OFFSET_NANOS, 1_000_000L);
    }

    private boolean isColluder(DhtSimulation.Node n) {
        return colluders.contains(n.id());
    }

    // ---------------------------------------------------------------- the colluders' behaviour

    /** Reads of names in flight (placed runs): request id to the name's key, so colluders can answer any of them. */
    private final Map<Long, Key> nameReads = new java.util.LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Key> eldest) {
            return size() > 100_000;
        }
    };

    /** What a colluder sends instead of what its honest core would. */
    private DhtMessage collude(DhtSimulation.Node from, DhtMessage m) {
        if (p.placed() && m instanceof DhtMessage.FindValue f && f.type() == NameRecords.NAME) {
            nameReads.put(f.id(), f.key());
        }
        if (!isColluder(from)) {
            return m;
        }
        return switch (m) {
            // Every read of a name they hold is answered with a forgery of theirs.
            case DhtMessage.Value v when v.record() != null && v.record().type() == NameRecords.NAME ->
                    new DhtMessage.Value(v.id(), v.sender(), forgeryFor(v.record().key(), v.record()), v.contacts(), v.more(),
                            v.ticket());
            // With placement, ids without a ticket hold nothing (no replica takes a store from them): they answer every
            // read of an attacked name with the forgery all the same, as ids ground next to its point would.
            case DhtMessage.Value v when v.record() == null && nameReads.containsKey(v.id()) && forgery.containsKey(nameReads.get(v.id())) ->
                    new DhtMessage.Value(v.id(), v.sender(), forgery.get(nameReads.get(v.id())), v.contacts(), v.more(), v.ticket());
            default -> m;
        };
    }

    /** A claim of {@code name} by a colluder, countersigned by colluders with times days back: valid on its own. */
    private Record forgeryFor(Key key, Record real) {
        return forgery.computeIfAbsent(key, k -> {
            String name = judge.judge(real, nowMillis()).name();
            return backdatedClaim(name, colluderNodes.get(Math.floorMod(k.hashCode(), colluderNodes.size())), 2 * DAY_MS);
        });
    }

    private Record backdatedClaim(String name, DhtSimulation.Node attacker, long backMillis) {
        byte[] salt = new byte[NameRecords.SALT_BYTES];
        rng.nextBytes(salt);
        Key key = NameRecords.nameKey(name);
        byte[] commitment = NameRecords.commitment(name, attacker.identity().publicKey(), salt);
        long at = nowMillis() - backMillis;
        List<DhtMessage.Countersigned> sigs = colluderCountersignatures(key, commitment, at, attacker);
        return NameClaims.firstClaim(name, attacker.identity(), salt, NamePow.solve(commitment, 0, rules), sigs,
                NameClaims.Terms.soleOwner(attacker.identity(), 300 * DAY_MS), at + 1000, rules);
    }

    /** Countersignatures by the colluders closest to the name (the ones that would look most like its replicas). */
    private List<DhtMessage.Countersigned> colluderCountersignatures(Key key, byte[] commitment, long at,
            DhtSimulation.Node attacker) {
        List<DhtMessage.Countersigned> out = new ArrayList<>();
        for (DhtSimulation.Node c : closest(where(key), NameRules.MAX_COUNTERSIGNATURES, n -> isColluder(n) && n != attacker)) {
            {
                Identity id = c.identity();
                out.add(new DhtMessage.Countersigned(0, c.contact(), true, "", at, id.publicKey(), id.powNonce(),
                        id.sign(Countersigning.signedBytes(key, commitment, at))));
            }
        }
        return out;
    }

    /** The {@code count} nodes closest to {@code key} that satisfy {@code which}, closest first. */
    private List<DhtSimulation.Node> closest(Key key, int count, java.util.function.Predicate<DhtSimulation.Node> which) {
        List<DhtSimulation.Node> out = new ArrayList<>();
        Set<DhtSimulation.Node> taken = new HashSet<>();
        while (out.size() < count) {
            DhtSimulation.Node n = byKey.closest(key, x -> !taken.contains(x) && which.test(x));
            if (n == null) {
                break;
            }
            taken.add(n);
            out.add(n);
        }
        return out;
    }

    // ---------------------------------------------------------------- driving

    private void then(DhtSimulation.Node n, long query, Consumer<DhtEvent.QueryResult> next) {
        DhtEvent.QueryResult already = finishedAtOnce.remove(query * 1_000_003L + n.index());
        if (already != null) {
            next.accept(already);
        } else {
            waiting.put(query * 1_000_003L + n.index(), next);
        }
    }

    /** Starts a query on a node; one that ends at once (refused locally) is kept for {@link #then}. */
    private long act(DhtSimulation.Node n, java.util.function.ToLongFunction<net.barn.core.dht.Dht> query) {
        finishedAtOnce.clear();
        acting = true;
        try {
            return sim.act(n, d -> query.applyAsLong(d));
        } finally {
            acting = false;
        }
    }

    private DhtSimulation.Node randomOnline(boolean honest) {
        for (int tries = 0; tries < 1000; tries++) {
            DhtSimulation.Node n = sim.nodes().get(rng.nextInt(sim.nodes().size()));
            if (n.online() && n.dht() != null && n.dht().isBootstrapped() && isColluder(n) != honest) {
                return n;
            }
        }
        return null;
    }

    /** An honest claim: commit, then reveal with the replicas' countersignatures. */
    /** {@code done} gets null if the claim was never revealed (no countersignatures, or the claimant left), else what storing it did. */
    private void honestClaim(DhtSimulation.Node claimant, String name, long revealDelay, Runnable afterCommit,
            Consumer<DhtEvent.PutResult> done) {
        byte[] salt = new byte[NameRecords.SALT_BYTES];
        rng.nextBytes(salt);
        byte[] commitment = NameRecords.commitment(name, claimant.identity().publicKey(), salt);
        long nonce = NamePow.solve(commitment, 0, rules);
        long t0 = sim.now();
        long q = act(claimant, d -> d.commit(sim.now(), NameRecords.nameKey(name), commitment));
        then(claimant, q, r -> {
            afterCommit.run();
            DhtEvent.CommitResult c = (DhtEvent.CommitResult) r;
            if (!claimant.online() || c.countersignatures().isEmpty()) {
                done.accept(null);
                return;
            }
            sim.queue().after(revealDelay, () -> {
                if (!claimant.online()) {
                    done.accept(null);
                    return;
                }
                Record claim = NameClaims.firstClaim(name, claimant.identity(), salt, nonce, c.countersignatures(),
                        NameClaims.Terms.soleOwner(claimant.identity(), 300 * DAY_MS), nowMillis(), rules);
                long put = act(claimant, d -> d.put(sim.now(), claim));
                then(claimant, put, pr -> {
                if (((DhtEvent.PutResult) pr).stored() > 0) {
                    claimSecondsTotal += (sim.now() - t0) / 1e9;
                    claimsDone++;
                }
                    done.accept((DhtEvent.PutResult) pr);
                });
            });
        });
    }

    public Result run() {
        long wall0 = System.nanoTime();
        List<DhtSimulation.Node> order = new ArrayList<>(sim.nodes().stream().filter(n -> !isGround(n)).toList());
        java.util.Collections.shuffle(order, new java.util.Random(p.seed()));
        long joinWindow = p.joinMinutes() * MINUTE;
        List<DhtSimulation.Node> started = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            DhtSimulation.Node n = order.get(i);
            long at = i == 0 ? 0 : (long) (joinWindow * (i / (double) order.size()));
            sim.queue().at(at, () -> {
                List<Contact> seeds = new ArrayList<>();
                for (int s = 0; s < 3 && !started.isEmpty(); s++) {
                    seeds.add(started.get(rng.nextInt(started.size())).contact());
                }
                sim.start(n, seeds);
                started.add(n);
            });
        }
        long claimStart = joinWindow + 2 * MINUTE;
        for (int i = 0; i < p.names(); i++) {
            String name = "name-" + i;
            sim.queue().at(claimStart + i * 5 * MINUTE / Math.max(1, p.names()), () -> {
                DhtSimulation.Node owner = randomOnline(true);
                if (owner != null) {
                    honestClaim(owner, name, 0, () -> { }, put -> {
                        if (put != null && put.stored() > 0) {
                            honestOwner.put(name, owner.id());
                            held.add(name);
                        }
                    });
                }
            });
        }
        // The ground ids join once the names are claimed, an hour before the attacks: time for the
        // replicas' hourly pushes to reach them as the name's nearest nodes.
        for (DhtSimulation.Node n : sim.nodes()) {
            if (isGround(n)) {
                sim.queue().at(claimStart + 6 * MINUTE, () -> {
                    List<Contact> seeds = new ArrayList<>();
                    for (int s = 0; s < 3 && !started.isEmpty(); s++) {
                        seeds.add(started.get(rng.nextInt(started.size())).contact());
                    }
                    sim.start(n, seeds);
                    started.add(n);
                });
            }
        }
        // Past the reveal window every claim is final; then the attacks, under churn.
        long attackStart = claimStart + 5 * MINUTE + rules.revealWindowMillis() * 1_000_000L + MINUTE;
        long attackWindow = 30 * MINUTE;
        if (p.placed()) {
            // Period 2 begins 30 s before the attacks: the holders hand each name on to its new replicas, and the
            // attacks meet replicas that have just taken it over (or not yet).
            sim.queue().at(attackStart - 30 * SECOND, () -> {
                period = 2;
                sim.placeWith(this::placement);
            });
        }
        long end = attackStart + attackWindow + 5 * MINUTE;
        scheduleChurn(attackStart - 30 * MINUTE, end);
        // With ground ids the attacks go to the names they sit next to; front-running needs a new name, so it is left out.
        int kinds = p.grinding() ? Attack.FRONT_RUN.ordinal() : Attack.values().length;
        for (int t = 0; t < p.trials(); t++) {
            Attack attack = Attack.values()[t % kinds];
            int trial = t;
            sim.queue().at(attackStart + attackWindow * t / Math.max(1, p.trials()), () -> trial(attack, trial));
        }
        for (long at = MINUTE * 5; at < end; at += MINUTE * 5) {
            long when = at;
            sim.queue().at(when, () -> progress.accept(String.format(Locale.ROOT, "simulated %.0f of %.0f min: %d names held,"
                    + " %d trials done", when / 60e9, end / 60e9, held.size(), done())));
        }
        sim.runUntil(end);
        if (held.size() < p.names() * 0.9) {
            violations.add("only " + held.size() + " of " + p.names() + " honest claims succeeded");
        }
        Map<Attack, Tally> tallies = new EnumMap<>(Attack.class);
        counts.forEach((a, c) -> tallies.put(a, new Tally(c[0], c[1], c[2], c[3], c[4], c[5], c[6])));
        int successes = tallies.values().stream().mapToInt(Tally::successes).sum();
        if (successes > 0) {
            violations.add(successes + " attacks made an honest read return the attacker's owner");
        }
        return new Result(p, tallies, List.copyOf(violations), sim.traceHash(), held.size(), claimsDone,
                claimsDone == 0 ? Double.NaN : claimSecondsTotal / claimsDone, sim.eventsProcessed(),
                (System.nanoTime() - wall0) / 1e9, end / 1e9);
    }

    private int done() {
        return counts.values().stream().mapToInt(c -> c[0]).sum();
    }

    private void scheduleChurn(long from, long until) {
        int churning = (int) Math.round(Math.min(1.0, p.churn()) * p.nodes() * (until - from) / (3600.0 * SECOND));
        for (int i = 0; i < churning; i++) {
            DhtSimulation.Node n = sim.nodes().get(rng.nextInt(sim.nodes().size()));
            long at = from + (long) ((until - from) * rng.nextDouble());
            sim.queue().at(at, () -> {
                if (n.online()) {
                    sim.crash(n);
                    sim.queue().after((long) (-Math.log(1 - rng.nextDouble()) * 10 * MINUTE), () -> sim.start(n, List.of()));
                }
            });
        }
    }

    /** A held name to attack: with ground ids, one of the names they sit next to. */
    private String target() {
        if (p.grinding()) {
            List<String> ground = held.stream().filter(n -> Integer.parseInt(n.substring("name-".length())) < p.groundNames()).toList();
            if (!ground.isEmpty()) {
                return ground.get(rng.nextInt(ground.size()));
            }
        }
        return held.get(rng.nextInt(held.size()));
    }

    private void trial(Attack attack, int trial) {
        DhtSimulation.Node attacker = randomOnline(false);
        if (attacker == null || held.isEmpty()) {
            return;
        }
        int[] c = counts.get(attack);
        c[0]++;
        switch (attack) {
            case SQUAT -> {
                String name = target();
                byte[] salt = new byte[NameRecords.SALT_BYTES];
                rng.nextBytes(salt);
                byte[] commitment = NameRecords.commitment(name, attacker.identity().publicKey(), salt);
                Key key = NameRecords.nameKey(name);
                long q = act(attacker, d -> d.commit(sim.now(), key, commitment));
                then(attacker, q, r -> {
                    // Honest replicas refused; colluders countersign with times as early as the reveal window allows.
                    List<DhtMessage.Countersigned> sigs = new ArrayList<>(((DhtEvent.CommitResult) r).countersignatures());
                    sigs.addAll(colluderCountersignatures(key, commitment, nowMillis() - rules.revealWindowMillis() + 60_000,
                            attacker));
                    List<DhtMessage.Countersigned> distinct = distinct(sigs);
                    Record claim = NameClaims.firstClaim(name, attacker.identity(), salt, NamePow.solve(commitment, 0, rules),
                            distinct, NameClaims.Terms.soleOwner(attacker.identity(), 300 * DAY_MS), nowMillis(), rules);
                    pushAndRead(attacker, claim, name, attack);
                });
            }
            case FORGED_TRANSFER -> {
                String name = target();
                long q = act(attacker, d -> d.get(sim.now(), NameRecords.nameKey(name), NameRecords.NAME));
                then(attacker, q, r -> {
                    // Its own read returns the colluders' forgery as often as not; it wants the real lineage.
                    Record base = null;
                    for (DhtSimulation.Node n : closest(where(NameRecords.nameKey(name)), 20, x -> x.online() && !isColluder(x))) {
                        Record h = n.dht().localRecord(sim.now(), NameRecords.nameKey(name), NameRecords.NAME);
                        if (h != null) {
                            base = h;
                            break;
                        }
                    }
                    if (base == null) {
                        readAndScore(name, attack);
                        return;
                    }
                    NameState s = judge.judge(base, nowMillis());
                    Record forged = NameClaims.transfer(s, List.of(attacker.id()), 1, List.of(attacker.identity()),
                            attacker.identity(), rules);
                    pushAndRead(attacker, forged, name, attack);
                });
            }
            case BACKDATED_CLAIM -> {
                String name = target();
                pushAndRead(attacker, backdatedClaim(name, attacker, 3 * DAY_MS + rng.nextInt(1000) * 60_000L), name, attack);
            }
            case FRONT_RUN -> {
                String name = "race-" + trial;
                DhtSimulation.Node claimant = randomOnline(true);
                if (claimant == null) {
                    c[0]--;
                    return;
                }
                // The honest claimant is slow to reveal (20 s), so the attacker's claim reaches the replicas first.
                honestClaim(claimant, name, 20 * SECOND, () -> {
                    if (!attacker.online()) {
                        return; // the attacker left (churn) while the honest commitment was in flight
                    }
                    // The attacker saw the commitment go by: it commits to the same name now and reveals first.
                    byte[] salt = new byte[NameRecords.SALT_BYTES];
                    rng.nextBytes(salt);
                    byte[] commitment = NameRecords.commitment(name, attacker.identity().publicKey(), salt);
                    Key key = NameRecords.nameKey(name);
                    long q = act(attacker, d -> d.commit(sim.now(), key, commitment));
                    then(attacker, q, r -> {
                        List<DhtMessage.Countersigned> sigs = new ArrayList<>(((DhtEvent.CommitResult) r).countersignatures());
                        sigs.addAll(colluderCountersignatures(key, commitment, nowMillis() - rules.revealWindowMillis() + 60_000,
                                attacker));
                        Record claim = NameClaims.firstClaim(name, attacker.identity(), salt, NamePow.solve(commitment, 0, rules),
                                distinct(sigs), NameClaims.Terms.soleOwner(attacker.identity(), 300 * DAY_MS), nowMillis(), rules);
                        if (attacker.online()) {
                            act(attacker, d -> d.put(sim.now(), claim));
                        }
                    });
                }, put -> {
                    if (put == null) {
                        c[0]--; // the honest claim never went out (its node left): no race to judge
                        return;
                    }
                    // The honest node committed first: whatever the replicas did, it is the rightful owner.
                    honestOwner.put(name, claimant.id());
                    sim.queue().after(30 * SECOND, () -> readAndScore(name, attack));
                });
            }
        }
    }

    /** Colluders' countersignatures first (they are the early ones), one per signer, at most the protocol's limit. */
    private static List<DhtMessage.Countersigned> distinct(List<DhtMessage.Countersigned> sigs) {
        List<DhtMessage.Countersigned> ordered = new ArrayList<>(sigs);
        ordered.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
        Map<String, DhtMessage.Countersigned> bySigner = new java.util.LinkedHashMap<>();
        for (DhtMessage.Countersigned s : ordered) {
            bySigner.putIfAbsent(NameRecords.hex(s.signerKey()), s);
        }
        List<DhtMessage.Countersigned> out = new ArrayList<>(bySigner.values());
        return out.subList(0, Math.min(out.size(), NameRules.MAX_COUNTERSIGNATURES));
    }

    /**
     * The attacker sends its record straight to the 2k nodes closest to the name (it needs
     * no lookup and skips its own node's checks), then honest nodes read the name.
     */
    private void pushAndRead(DhtSimulation.Node attacker, Record forged, String name, Attack attack) {
        if (attacker.online()) {
            for (DhtSimulation.Node n : closest(where(forged.key()), 2 * DhtConfig.DEFAULT.k(), DhtSimulation.Node::online)) {
                if (n != attacker) {
                    sim.inject(attacker, n, new DhtMessage.Store(rng.nextLong(), attacker.contact(), forged));
                }
            }
        }
        sim.queue().after(5 * SECOND, () -> {
            int honestStored = 0;
            for (DhtSimulation.Node n : closest(where(forged.key()), 60, x -> x.online() && !isColluder(x))) {
                Record h = n.dht().localRecord(sim.now(), forged.key(), NameRecords.NAME);
                if (h != null && h.sameAs(forged)) {
                    honestStored++;
                }
            }
            counts.get(attack)[5] += honestStored;
            readAndScore(name, attack);
        });
    }

    private void readAndScore(String name, Attack attack) {
        if (p.placed()) {
            // Every colluder, ticket or not, answers reads of this name with a forgery from now on.
            forgery.computeIfAbsent(NameRecords.nameKey(name), k -> backdatedClaim(name,
                    colluderNodes.get(Math.floorMod(k.hashCode(), colluderNodes.size())), 2 * DAY_MS));
        }
        NodeId owner = honestOwner.get(name);
        int[] c = counts.get(attack);
        boolean[] won = {false};
        for (int i = 0; i < READERS; i++) {
            DhtSimulation.Node reader = randomOnline(true);
            if (reader == null) {
                continue;
            }
            long q = act(reader, d -> d.get(sim.now(), NameRecords.nameKey(name), NameRecords.NAME));
            then(reader, q, r -> {
                DhtEvent.GetResult g = (DhtEvent.GetResult) r;
                c[2]++;
                c[6] += g.requests();
                if (g.conflicting() > 0) {
                    c[4]++;
                }
                if (g.record() == null) {
                    c[3]++;
                    return;
                }
                NodeId seen = judge.judge(g.record(), nowMillis()).owners().get(0);
                if (owner != null && !seen.equals(owner) && !won[0]) {
                    won[0] = true;
                    c[1]++;
                    violations.add(String.format(Locale.ROOT, "%s on \"%s\": reader %s resolved owner %s, not %s (%d agreeing,"
                            + " %d conflicting)", attack, name, reader.id().shortForm(), seen.shortForm(), owner.shortForm(),
                            g.agreeing(), g.conflicting()));
                }
            });
        }
    }

    /** Prints a run's table. */
    public static void summary(Result r, java.io.PrintStream out) {
        Params p = r.params();
        out.printf(Locale.ROOT, "# barn sim names: %d nodes, %.0f%% colluding, seed %d, churn %.0f%%/h%n", p.nodes(),
                p.malicious() * 100, p.seed(), p.churn() * 100);
        out.printf(Locale.ROOT, "%d of %d names claimed by honest nodes before the attacks; %d honest claims in all (with"
                + " the raced ones), mean %.1f s simulated from commit to stored; %d trials%n", r.claimed(), p.names(),
                r.honestClaims(), r.claimSeconds(), r.trials());
        out.println();
        out.println("| attack | trials | attacker won | honest reads | found nothing | flagged a conflict | honest replicas storing the forgery | requests per read |");
        out.println("|---|---|---|---|---|---|---|---|");
        r.tallies().forEach((a, t) -> out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %.1f |%n",
                a.name().toLowerCase(Locale.ROOT).replace('_', ' '), t.trials(), t.successes(), t.reads(), t.readsNotFound(),
                t.readsFlaggingConflict(), t.honestReplicasStoringForgery(), t.reads() == 0 ? 0.0 : (double) t.readRequests() / t.reads()));
        out.println();
        out.printf(Locale.ROOT, "simulated %.0f s in %.0f s wall, %d events; trace %s%n", r.simulatedSeconds(), r.wallSeconds(),
                r.events(), r.traceHash());
    }
}
