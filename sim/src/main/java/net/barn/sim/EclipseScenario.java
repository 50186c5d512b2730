package net.barn.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;

/**
 * Eclipsing chosen victims, behind {@code barn sim attack --kind eclipse}: of the adversary's
 * ids (a share of all), up to {@code nearPerVictim} per victim (as many as the share allows) are ground to share the victim's
 * first ⌈log2 N⌉+3 bits, so they are closer to it than any honest node and land in its
 * deepest buckets; the rest are random. All of them poison lookups ({@link AdversaryNet}).
 * The near ones join after the honest network has formed, naming their victim among their
 * seeds so that it hears of them at once.
 *
 * <p>Settings: with and without the routing table's IP-group limits; a victim that was in the
 * network before the attack (its full buckets keep their long-lived entries: a newcomer only
 * gets in where there is room or a stale entry fails a ping) versus a victim that restarts
 * among the Sybils (so that preference has nothing to protect; it comes back with its peer
 * cache and three honest seeds). The preference for long-lived entries itself cannot be
 * switched off without changing the core, so the restart is the "without" case.
 *
 * <p>A victim is eclipsed if none of its lookups of random targets finds the honest node
 * closest to the target: everything it learns comes through the adversary.
 */
public final class EclipseScenario {
    /**
     * @param victims victims in all (the trials), spread over networks of {@link #PER_NETWORK} victims, seeds
     *     {@code seed}, {@code seed+1}, ...
     * @param groups /16 blocks of the adversary's addresses; 0: anywhere
     */
    public record Params(int nodes, long seed, double adversary, int groups, int victims, int nearPerVictim,
            int lookupsPerVictim) {
        public static Params defaults(int nodes, long seed, double adversary) {
            return new Params(nodes, seed, adversary, 2, 50, 60, 20);
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind eclipse --adversary %s --nodes %d --seed %d"
                    + " --trials %d --groups %d", adversary, nodes, seed, victims, groups);
        }
    }

    static final int PER_NETWORK = 10;

    /** One setting. */
    public record Setting(String label, boolean ipLimits, boolean victimRejoins, int groups) {}

    private final Params p;
    private Consumer<String> progress = line -> { };

    public EclipseScenario(Params p) {
        this.p = p;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    public List<Setting> settings() {
        String few = "Sybils in " + p.groups() + " /16";
        return List.of(
                new Setting("IP limits; victim established before the attack; " + few, true, false, p.groups()),
                new Setting("no IP limits; victim established before the attack; " + few, false, false, p.groups()),
                new Setting("IP limits; victim restarts among the Sybils; " + few, true, true, p.groups()),
                new Setting("no IP limits; victim restarts among the Sybils; " + few, false, true, p.groups()),
                new Setting("IP limits; victim restarts among the Sybils; adversary IPs anywhere", true, true, 0));
    }

    public AttackTable run() {
        AttackTable table = new AttackTable("eclipse", String.format(Locale.ROOT,
                "barn sim attack eclipse: %d nodes, %.0f%% adversarial ids (up to %d per victim ground close to it: %d of %d"
                        + " in a network of %d victims), seed %d", p.nodes(), 100 * p.adversary(), p.nearPerVictim(),
                groundIds(Math.min(PER_NETWORK, p.victims())), adversaryCount(), Math.min(PER_NETWORK, p.victims()), p.seed()));
        for (Setting s : settings()) {
            table.add(run(s));
        }
        table.note("trial = one victim; attack success = the victim is eclipsed: none of its " + p.lookupsPerVictim()
                + " FIND_NODE lookups of random targets found the honest node closest to the target; honest lookups ="
                + " the victims' lookups");
        table.note("'table adv.' = mean share of adversarial entries in the victims' routing tables; '>=50%' = victims"
                + " whose table was at least half adversarial");
        table.note("real Dht cores; up to " + PER_NETWORK + " victims per network (each with its own ground ids), networks"
                + " with seeds seed, seed+1, ...; no loss or churn; id puzzles not solved (grinding ids near a victim costs"
                + " the adversary 2^(prefix bits) puzzle attempts per id, not modelled)");
        return table.replay(p.replayCommand());
    }

    private int adversaryCount() {
        return (int) Math.round(p.adversary() * p.nodes());
    }

    /** Adversarial ids ground near the victims of a network of {@code victims}: the rest are random. */
    private int groundIds(int victims) {
        return Math.min(adversaryCount(), victims * p.nearPerVictim());
    }

    AttackTable.Row run(Setting s) {
        DhtConfig config = DhtConfig.DEFAULT;
        if (!s.ipLimits()) {
            config = config.withIpDiversity(config.k(), Integer.MAX_VALUE);
        }
        int trials = 0;
        int eclipsed = 0;
        int lookups = 0;
        int found = 0;
        int halfBad = 0;
        double shareSum = 0;
        double sizeSum = 0;
        long wall0 = System.nanoTime();
        for (int net = 0; trials < p.victims(); net++) {
            int victims = Math.min(PER_NETWORK, p.victims() - trials);
            int[] r = runNetwork(config, s, p.seed() + net, victims);
            trials += victims;
            eclipsed += r[0];
            lookups += r[1];
            found += r[2];
            halfBad += r[3];
            shareSum += r[4] / 1e6;
            sizeSum += r[5];
        }
        progress.accept(String.format(Locale.ROOT, "%s: %d of %d victims eclipsed (%.0f s wall)", s.label(), eclipsed, trials,
                (System.nanoTime() - wall0) / 1e9));
        return new AttackTable.Row(s.label(), p.adversary(), trials, eclipsed, lookups, found, String.format(Locale.ROOT,
                "table adv. %.1f%%; >=50%%: %d; table size %.0f", 100 * shareSum / trials, halfBad, sizeSum / trials));
    }

    /** Returns eclipsed, lookups, found, tables >= 50% adversarial, sum of shares (millionths), sum of table sizes. */
    private int[] runNetwork(DhtConfig config, Setting s, long seed, int victims) {
        int adversaryCount = adversaryCount();
        int honestCount = p.nodes() - adversaryCount;
        int near = groundIds(victims);
        int prefix = 64 - Long.numberOfLeadingZeros(Math.max(1, p.nodes() - 1)) + 3;
        NodeId[] victimIds = new NodeId[victims];
        DhtSimulation.NodePlan ids = new DhtSimulation.NodePlan() {
            @Override
            public NodeId id(int index, NodeId drawn) {
                if (index < victims) {
                    victimIds[index] = drawn;
                    return drawn;
                }
                int j = index - honestCount;
                if (j < 0 || j >= near) {
                    return drawn;
                }
                byte[] b = drawn.toBytes();
                byte[] v = victimIds[j % victims].toBytes();
                for (int bit = 0; bit < prefix; bit++) {
                    int mask = 0x80 >>> (bit % 8);
                    b[bit / 8] = (byte) ((b[bit / 8] & ~mask) | (v[bit / 8] & mask));
                }
                return NodeId.of(b);
            }
        };
        AdversaryNet net = new AdversaryNet(config, p.nodes(), adversaryCount, s.groups(), seed, ids);
        List<DhtSimulation.Node> victimNodes = net.sim.nodes().subList(0, victims);
        List<DhtSimulation.Node> nearNodes = net.adversary().subList(0, near);
        long join = Math.max(2, p.nodes() / 2000) * AdversaryNet.MINUTE;
        net.joinAll(0, join, nearNodes::contains);
        long attack = join + 2 * AdversaryNet.MINUTE;
        for (int i = 0; i < nearNodes.size(); i++) {
            DhtSimulation.Node n = nearNodes.get(i);
            DhtSimulation.Node victim = victimNodes.get(i % victims);
            net.sim.queue().at(attack + AdversaryNet.MINUTE * i / Math.max(1, nearNodes.size()), () -> {
                List<net.barn.core.dht.Contact> seeds = new ArrayList<>(net.randomSeeds(net.honestOnline(), 2));
                seeds.add(0, victim.contact());
                net.sim.start(n, seeds);
            });
        }
        long measure = attack + 6 * AdversaryNet.MINUTE;
        if (s.victimRejoins()) {
            long restart = attack + 3 * AdversaryNet.MINUTE;
            net.sim.queue().at(restart, () -> {
                List<DhtSimulation.Node> honest = new ArrayList<>(net.honestOnline());
                honest.removeAll(victimNodes);
                for (DhtSimulation.Node v : victimNodes) {
                    net.sim.crash(v);
                }
                for (DhtSimulation.Node v : victimNodes) {
                    net.sim.start(v, net.randomSeeds(honest, 3));
                }
            });
            measure = restart + 6 * AdversaryNet.MINUTE;
        }
        int[] out = new int[6];
        int[][] perVictim = new int[victims][2];
        long at = measure;
        net.sim.queue().at(at, () -> {
            for (int v = 0; v < victims; v++) {
                DhtSimulation.Node victim = victimNodes.get(v);
                if (!victim.online() || victim.dht() == null) {
                    continue;
                }
                double share = net.adversarialShare(victim);
                out[4] += (int) Math.round(share * 1e6);
                out[5] += net.tableSize(victim);
                if (share >= 0.5) {
                    out[3]++;
                }
                int vi = v;
                for (int l = 0; l < p.lookupsPerVictim(); l++) {
                    Key target = Key.random(net.rng);
                    net.sim.queue().at(at + l * 2 * AdversaryNet.SECOND, () -> net.lookup(victim, target, o -> {
                        perVictim[vi][0]++;
                        if (o.foundClosestHonest()) {
                            perVictim[vi][1]++;
                        }
                    }));
                }
            }
        });
        net.sim.runUntil(at + p.lookupsPerVictim() * 2 * AdversaryNet.SECOND + AdversaryNet.MINUTE);
        for (int[] v : perVictim) {
            out[1] += v[0];
            out[2] += v[1];
            if (v[1] == 0) {
                out[0]++;
            }
        }
        return out;
    }
}
