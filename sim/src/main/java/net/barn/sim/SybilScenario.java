package net.barn.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.Key;

/**
 * Sybils in the root network, behind {@code barn sim attack --kind sybil}: a share of the ids
 * are the adversary's (each paid its id puzzle, so their ids are random; the puzzle itself is
 * not solved in the simulation). Every adversarial node poisons the lookups it is asked to
 * serve (see {@link AdversaryNet}). Honest nodes then look up random targets; a lookup
 * succeeds if its result holds the honest node closest to the target.
 *
 * <p>Each setting is a fresh network of real DHT cores with the same seed (so the same ids
 * and addresses), run with and without S/Kademlia's disjoint paths (3 versus 1) and with and
 * without the routing table's IP-group limits (2 per /24 per bucket, 16 per /16 per table,
 * versus none), against Sybils from a few /16 blocks and against an adversary whose addresses
 * are as diverse as honest ones.
 */
public final class SybilScenario {
    /**
     * @param groups /16 blocks the adversary's addresses come from in the "few blocks" settings
     * @param lookups honest lookups per setting (the trials)
     */
    public record Params(int nodes, long seed, double adversary, int groups, int lookups) {
        public static Params defaults(int nodes, long seed, double adversary) {
            return new Params(nodes, seed, adversary, 2, 1000);
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind sybil --adversary %s --nodes %d --seed %d --trials %d"
                    + " --groups %d", adversary, nodes, seed, lookups, groups);
        }
    }

    /**
     * One setting: what is on, and where the adversary's addresses come from (0 groups: anywhere).
     *
     * @param wide lookups as nodes run them ({@link DhtConfig#lookupWidth} of the scenario), or
     *     narrow (width k: plain S/Kademlia)
     * @param honestSeed each honest node joins through at least one honest seed; otherwise its three
     *     seeds are drawn from every node up, the adversary's included
     */
    public record Setting(String label, int paths, boolean ipLimits, int groups, boolean lying, boolean wide,
            boolean honestSeed) {}
    private final Params p;
    private Consumer<String> progress = line -> { };
    private boolean reputation;
    private AdversaryStrategy strategy = AdversaryStrategy.GREEDY;
    private int lookupWidth = DhtConfig.DEFAULT.lookupWidth();
    private int lookupBound = DhtConfig.DEFAULT.lookupBound();
    private List<Integer> rows = List.of();
    private boolean anchored = DhtConfig.DEFAULT.anchoredBuckets();
    private int settleMinutes = 2;

    public SybilScenario(Params p) {
        this.p = p;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    /** Whether honest nodes keep a local reputation of their peers and order their lookups by it. */
    public SybilScenario withReputation(boolean on) {
        reputation = on;
        return this;
    }

    /**
     * How the adversary's nodes choose whom to name ({@link AdversaryStrategy}): its nodes closest
     * to the target wherever the responder sits (greedy, the default); the closest that pass the
     * bound check as seen from each responder (bounded; it keeps within the protocol's D even when
     * honest nodes do not check); or, for each target, the closest not yet named (rotating).
     */
    public SybilScenario withAdversaryStrategy(AdversaryStrategy s) {
        strategy = s;
        return this;
    }

    /** How many live candidates the honest nodes' lookup paths work through ({@link DhtConfig#lookupWidth}). */
    public SybilScenario withLookupWidth(int w) {
        lookupWidth = w;
        return this;
    }

    /** Whether full buckets keep the contacts nearest their secret anchors ({@link DhtConfig#anchoredBuckets}). */
    public SybilScenario withAnchoredBuckets(boolean on) {
        anchored = on;
        return this;
    }

    /**
     * Minutes the network runs between the last join and the first trial (default 2). Past an
     * hour every node has refreshed its buckets once more, as a network that has been up a while.
     */
    public SybilScenario withSettleMinutes(int minutes) {
        settleMinutes = minutes;
        return this;
    }

    /** D of the honest nodes' bound check ({@link DhtConfig#LOOKUP_BOUND_OFF}: no check). */
    public SybilScenario withLookupBound(int d) {
        lookupBound = d;
        return this;
    }

    private String options() {
        return (reputation ? " --reputation on" : "") + (strategy == AdversaryStrategy.GREEDY ? ""
                        : " --adversary-strategy " + strategy.name().toLowerCase(Locale.ROOT))
                + (lookupWidth == DhtConfig.DEFAULT.lookupWidth() ? "" : " --lookup-width " + lookupWidth)
                + (anchored == DhtConfig.DEFAULT.anchoredBuckets() ? "" : " --anchored " + (anchored ? "on" : "off"))
                + (settleMinutes == 2 ? "" : " --settle " + settleMinutes)
                + (rows.isEmpty() ? "" : " --rows " + String.join(",", rows.stream().map(String::valueOf).toList()))
                + (lookupBound == DhtConfig.DEFAULT.lookupBound() ? ""
                        : " --lookup-bound " + (lookupBound >= DhtConfig.LOOKUP_BOUND_OFF ? "off" : lookupBound));
    }

    public List<Setting> settings() {
        String few = p.groups() + " /16";
        String wide = "wide lookups (width " + lookupWidth + "), ";
        return List.of(
                new Setting(wide + "3 disjoint paths + IP limits; Sybils in " + few, 3, true, p.groups(), true, true, true),
                new Setting(wide + "3 disjoint paths + IP limits; adversary IPs anywhere", 3, true, 0, true, true, true),
                new Setting(wide + "1 path + IP limits; adversary IPs anywhere", 1, true, 0, true, true, true),
                new Setting(wide + "3 paths + IP limits; adversary IPs anywhere; newcomers may join through adversarial"
                        + " seeds only", 3, true, 0, true, true, false),
                new Setting("narrow lookups (width 20), 3 disjoint paths + IP limits; Sybils in " + few, 3, true, p.groups(),
                        true, false, true),
                new Setting("narrow, 3 disjoint paths, no IP limits; Sybils in " + few, 3, false, p.groups(), true, false, true),
                new Setting("narrow, 3 disjoint paths + IP limits; adversary IPs anywhere", 3, true, 0, true, false, true),
                new Setting("narrow, 1 path + IP limits; adversary IPs anywhere", 1, true, 0, true, false, true),
                new Setting("control: " + wide + "3 paths + IP limits, adversary answers honestly", 3, true, 0, false, true, true),
                new Setting("control: narrow, 3 paths + IP limits, adversary answers honestly", 3, true, 0, false, false, true));
    }

    /** Runs only these settings (1-based, in {@link #settings()} order); empty: all. */
    public SybilScenario onlyRows(List<Integer> rows) {
        this.rows = List.copyOf(rows);
        return this;
    }

    public AttackTable run() {
        AttackTable table = new AttackTable("sybil", String.format(Locale.ROOT,
                "barn sim attack sybil: %d nodes, %.0f%% adversarial ids, seed %d%s; %s adversary, lookup width %d, %s buckets, trials from %d min after the last join, lookup bound %s",
                p.nodes(), 100 * p.adversary(), p.seed(), reputation ? ", local reputation on" : "",
                strategy.name().toLowerCase(Locale.ROOT), lookupWidth, anchored ? "anchored" : "longest-known", settleMinutes,
                lookupBound >= DhtConfig.LOOKUP_BOUND_OFF ? "off" : "D = " + lookupBound));
        List<Setting> all = settings();
        for (int i = 0; i < all.size(); i++) {
            if (rows.isEmpty() || rows.contains(i + 1)) {
                table.add(run(all.get(i)));
            }
        }
        table.note("trial = one FIND_NODE lookup by a random honest node for a random target; honest success = its result"
                + " holds the online honest node closest to the target (where a put must land); attack success = it does not;"
                + " 'reached an honest replica' = its result holds at least one honest node among the k=20 closest to the"
                + " target (records are signed, so that is enough for a read)");
        table.note("real Dht cores (routing table, IP-group limits, disjoint-path lookups) on a simulated network without"
                + " loss or churn; id puzzles are not solved (adversarial ids are random, as puzzle-paid ids are); every"
                + " node joins through three seeds among the nodes already up, one of them honest unless the row says"
                + " otherwise (a node whose every seed is the adversary's is eclipsed from its first lookup)");
        table.note("wide lookup (PROTOCOL.md 9.2): a path also asks every start contact (its k nearest and two from every"
                + " bucket) and the w nearest candidates named by a responder farther from the target; narrow = width k, as"
                + " S/Kademlia; 'requests per lookup' = what one lookup sent, the cost of the defence");
        table.note("the adversary answers every lookup request with the adversarial nodes closest to the target"
                + switch (strategy) {
                    case GREEDY -> "";
                    case BOUNDED -> " among those that pass the bound check as seen from the responder";
                    case ROTATING -> " not yet named in an answer about that target";
                }
                + " and never returns a record; 'table adv.' = mean share of adversarial entries in honest routing tables;"
                + " 'trimmed' = share of the answers honest nodes took in that lost a contact to the bound check; the control"
                + " row measures the simulated lookups themselves (same network, nobody lies)");
        if (reputation) {
            table.note("local reputation on: each node scores its peers by their answers and timeouts and asks the"
                    + " better-scored of equally near candidates first, a poor one last");
        }
        return table.replay(p.replayCommand() + options());
    }

    AttackTable.Row run(Setting s) {
        DhtConfig config = DhtConfig.DEFAULT.withDisjointPaths(s.paths()).withLookupBound(lookupBound)
                .withLookupWidth(s.wide() ? lookupWidth : DhtConfig.DEFAULT.k()).withAnchoredBuckets(anchored);
        if (!s.ipLimits()) {
            config = config.withIpDiversity(config.k(), Integer.MAX_VALUE);
        }
        int adversaryCount = (int) Math.round(p.adversary() * p.nodes());
        AdversaryNet net = new AdversaryNet(config, p.nodes(), adversaryCount, s.groups(), p.seed(), null);
        net.poisoning(s.lying());
        net.honestSeed(s.honestSeed());
        net.strategy(strategy,
                lookupBound >= DhtConfig.LOOKUP_BOUND_OFF ? DhtConfig.SUGGESTED_LOOKUP_BOUND : lookupBound);
        net.sim.useReputation(reputation);
        long join = Math.max(2, p.nodes() / 2000) * AdversaryNet.MINUTE;
        net.joinAll(0, join, n -> false);
        long start = join + settleMinutes * AdversaryNet.MINUTE;
        long spread = 5 * AdversaryNet.MINUTE;
        int[] done = new int[3];
        long[] requests = new long[1];
        List<Double> shares = new ArrayList<>();
        net.sim.queue().at(start, () -> {
            List<DhtSimulation.Node> honest = net.honestOnline();
            for (int i = 0; i < Math.min(500, honest.size()); i++) {
                shares.add(net.adversarialShare(honest.get(net.rng.nextInt(honest.size()))));
            }
            for (int i = 0; i < p.lookups(); i++) {
                DhtSimulation.Node n = honest.get(net.rng.nextInt(honest.size()));
                Key target = Key.random(net.rng);
                net.sim.queue().at(start + spread * i / p.lookups(), () -> net.lookup(n, target, o -> {
                    done[0]++;
                    requests[0] += o.requests();
                    if (o.foundClosestHonest()) {
                        done[1]++;
                    }
                    if (o.reachedHonestReplica()) {
                        done[2]++;
                    }
                }));
            }
        });
        long wall0 = System.nanoTime();
        net.sim.runUntil(start + spread + AdversaryNet.MINUTE);
        double share = shares.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        progress.accept(String.format(Locale.ROOT, "%s: %d of %d lookups found the closest honest node (%.0f s wall)",
                s.label(), done[1], done[0], (System.nanoTime() - wall0) / 1e9));
        return new AttackTable.Row(s.label(), p.adversary(), done[0], done[0] - done[1], done[0], done[1],
                String.format(Locale.ROOT, "table adv. %.1f%%; reached an honest replica: %.1f%%; trimmed %.1f%%; %.0f requests per lookup",
                        100 * share, done[0] == 0 ? 0 : 100.0 * done[2] / done[0], 100 * net.honestAnswersTrimmed(),
                        done[0] == 0 ? 0 : requests[0] / (double) done[0]));
    }
}
