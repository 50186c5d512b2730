package net.barn.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import net.barn.sim.DhtScenario;
import net.barn.sim.MazeScenario;
import net.barn.sim.NameAttackScenario;
import net.barn.sim.NamespaceReport;
import net.barn.sim.NamespaceScenario;
import net.barn.sim.SimReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sim", mixinStandardHelpOptions = true,
        description = "Runs a deterministic simulation of many nodes; the same seed gives the same run.",
        subcommands = {SimCommand.Dht.class, SimCommand.Namespace.class, SimCommand.Names.class, SimCommand.MazeSim.class,
                SimCommand.RelaySim.class, SimBeaconCommand.class, SimCommand.Attack.class})
final class SimCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every simulation takes. */
    static final class Common {
        @Option(names = "--nodes", required = true, description = "Number of nodes.")
        int nodes;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where CSV files and PNG plots go.")
        Path out;
    }

    @Command(name = "dht", mixinStandardHelpOptions = true,
            description = {"The root network: nodes join by invite, records are put and read under churn on a",
                    "wide-area network with loss, duplication, reordering and partitions."})
    static final class Dht implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Option(names = "--churn", defaultValue = "0.1", description = "Share of nodes leaving per hour (default ${DEFAULT-VALUE}).")
        double churn;

        @Option(names = "--minutes", defaultValue = "30", description = "Simulated minutes of workload (default ${DEFAULT-VALUE}).")
        int minutes;

        @Option(names = "--idle", defaultValue = "10", description = "Simulated idle minutes after it, to measure idle traffic (default ${DEFAULT-VALUE}).")
        int idle;

        @Option(names = "--join", description = "Simulated minutes over which the nodes join (default: one per 2,000 nodes, at least 2).")
        Integer join;

        @Option(names = "--no-faults", description = "No loss, duplication, jitter or partitions.")
        boolean noFaults;

        @Option(names = "--lookup-width", paramLabel = "W",
                description = "Live candidates each lookup path works through before it ends (default: as nodes run).")
        Integer lookupWidth;

        @Option(names = "--anchored", paramLabel = "on|off",
                description = "Full buckets keep the contacts nearest secret anchor points (on) or the longest-known (off) (default: as nodes run).")
        String anchored;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (common.nodes < 2 || common.nodes > 1_000_000 || churn < 0 || churn > 1 || minutes < 1 || idle < 0
                    || (join != null && (join < 1 || join > 10_000))) {
                throw new IllegalArgumentException(
                        "need 2 <= nodes <= 1000000, 0 <= churn <= 1, minutes >= 1, idle >= 0, 1 <= join <= 10000");
            }
            DhtScenario.Params p = DhtScenario.Params.defaults(common.nodes, common.seed).withChurn(churn)
                    .withMinutes(minutes, idle).withFaults(!noFaults);
            if (join != null) {
                p = p.withJoinMinutes(join);
            }
            if (lookupWidth != null) {
                p = p.withLookupWidth(lookupWidth);
            }
            if (anchored != null) {
                p = p.withAnchoredBuckets(Attack.on("--anchored", anchored));
            }
            DhtScenario scenario = new DhtScenario(p);
            scenario.onProgress(line -> System.err.println("barn sim: " + line));
            DhtScenario.Result r = scenario.run();
            SimReport.summary(r, System.out);
            SimReport.write(r, common.out);
            System.out.println("wrote samples.csv, minutes.csv, hops.png, latency.png, success.png to " + common.out);
            if (!r.violations().isEmpty()) {
                System.out.println("FAILED: seed " + common.seed + " broke a safety invariant; replay with:");
                System.out.println("  " + p.replayCommand(common.out.toString()));
                return 3;
            }
            return 0;
        }
    }

    @Command(name = "names", mixinStandardHelpOptions = true,
            description = {"The root namespace under attack: a share of the ids collude to take names others hold or are",
                    "claiming (squat, forged transfer, backdated claim, front-running), lying on every read; honest",
                    "nodes read each attacked name. Fails (exit 3) if any honest read returns an attacker as owner."})
    static final class Names implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "10000", description = "Number of nodes (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--malicious", defaultValue = "0.2", description = "Share of colluding ids (default ${DEFAULT-VALUE}).")
        double malicious;

        @Option(names = "--names", defaultValue = "100", description = "Names honest nodes claim first (default ${DEFAULT-VALUE}).")
        int names;

        @Option(names = "--trials", defaultValue = "1000", description = "Attacks (default ${DEFAULT-VALUE}).")
        int trials;

        @Option(names = "--churn", defaultValue = "0.1", description = "Share of nodes leaving per hour (default ${DEFAULT-VALUE}).")
        double churn;

        @Option(names = "--out", paramLabel = "DIR", description = "Where the replay line goes on failure (default: none).")
        Path out;

        @Override
        public Integer call() {
            if (nodes < 50 || nodes > 1_000_000 || malicious < 0 || malicious >= 1 || names < 1 || trials < 1 || churn < 0 || churn > 1) {
                throw new IllegalArgumentException("need 50 <= nodes <= 1000000, 0 <= malicious < 1, names >= 1, trials >= 1, 0 <= churn <= 1");
            }
            NameAttackScenario.Params p = NameAttackScenario.Params.defaults(nodes, seed).with(malicious, names, trials, churn);
            NameAttackScenario scenario = new NameAttackScenario(p);
            scenario.onProgress(line -> System.err.println("barn sim: " + line));
            NameAttackScenario.Result r = scenario.run();
            NameAttackScenario.summary(r, System.out);
            if (!r.violations().isEmpty()) {
                r.violations().stream().limit(20).forEach(v -> System.out.println("VIOLATION: " + v));
                System.out.println("FAILED: seed " + seed + "; replay with:");
                System.out.println("  " + p.replayCommand(out == null ? "/tmp/barn-sim-names" : out.toString()));
                return 3;
            }
            return 0;
        }
    }

    @Command(name = "namespace", mixinStandardHelpOptions = true,
            description = {"Namespace overlays (HyParView membership, Plumtree broadcast): nodes join",
                    "1-3 of many namespaces of Zipf-like sizes; every namespace broadcasts under",
                    "churn on a wide-area network with loss, duplication and jitter. Finding",
                    "contacts in the root network is modelled, not simulated."})
    static final class Namespace implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "10000", description = "Number of nodes (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--namespaces", defaultValue = "100", description = "Number of namespaces (default ${DEFAULT-VALUE}).")
        int namespaces;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the CSV files go.")
        Path out;

        @Option(names = "--churn", defaultValue = "0.5", description = "Share of nodes leaving per hour (default ${DEFAULT-VALUE}).")
        double churn;

        @Option(names = "--minutes", defaultValue = "10", description = "Simulated minutes of broadcasts (default ${DEFAULT-VALUE}).")
        int minutes;

        @Option(names = "--no-faults", description = "No loss, duplication or jitter.")
        boolean noFaults;

        @Override
        public Integer call() throws Exception {
            if (nodes < 2 || nodes > 1_000_000 || namespaces < 1 || namespaces > nodes || churn < 0 || churn > 10
                    || minutes < 1 || minutes > 24 * 60) {
                throw new IllegalArgumentException(
                        "need 2 <= nodes <= 1000000, 1 <= namespaces <= nodes, 0 <= churn <= 10, 1 <= minutes <= 1440");
            }
            NamespaceScenario.Params p = NamespaceScenario.Params.defaults(nodes, namespaces, seed).withChurn(churn)
                    .withMinutes(minutes).withFaults(!noFaults);
            NamespaceScenario scenario = new NamespaceScenario(p);
            scenario.onProgress(line -> System.err.println("barn sim: " + line));
            NamespaceScenario.Result r = scenario.run();
            NamespaceReport.summary(r, System.out);
            NamespaceReport.write(r, out);
            System.out.println("wrote broadcasts.csv, namespaces.csv, distributions.csv to " + out);
            if (!r.violations().isEmpty()) {
                System.out.println("FAILED: seed " + seed + " broke a safety invariant; replay with:");
                System.out.println("  " + p.replayCommand(out.toString()));
                return 3;
            }
            return 0;
        }
    }
    @Command(name = "maze", mixinStandardHelpOptions = true,
            description = {"A maze network (full mesh, reliable per-sender ordered delivery)",
                    "on a wide-area network with loss and duplication; some member pairs",
                    "lose their direct link, some members crash. Fails (exit 3) if a",
                    "survivor misses, repeats or reorders a message."})
    static final class MazeSim implements Callable<Integer> {
        @Option(names = "--members", defaultValue = "64", description = "Number of members (default ${DEFAULT-VALUE}).")
        int members;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--minutes", defaultValue = "5", description = "Simulated minutes of traffic (default ${DEFAULT-VALUE}).")
        int minutes;

        @Option(names = "--loss", defaultValue = "0.01", description = "Share of messages lost (default ${DEFAULT-VALUE}).")
        double loss;

        @Option(names = "--cuts", defaultValue = "0", description = "Member pairs whose direct link fails (default ${DEFAULT-VALUE}).")
        int cuts;

        @Option(names = "--crashes", defaultValue = "0", description = "Members that crash (default ${DEFAULT-VALUE}).")
        int crashes;

        @Option(names = "--rate", defaultValue = "10", description = "Messages per second over the whole maze (default ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--out", paramLabel = "DIR", description = "Where summary.txt and latency.csv go (default: none).")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (members < 2 || members > 256 || minutes < 1 || minutes > 24 * 60 || loss < 0 || loss >= 1 || cuts < 0
                    || cuts > members * (members - 1) / 2 || crashes < 0 || crashes > members - 2 || rate <= 0 || rate > 10_000) {
                throw new IllegalArgumentException("need 2 <= members <= 256, 1 <= minutes <= 1440, 0 <= loss < 1, "
                        + "0 <= cuts <= member pairs, 0 <= crashes <= members - 2, 0 < rate <= 10000");
            }
            MazeScenario.Params p = MazeScenario.Params.defaults(members, seed).with(minutes, loss, cuts, crashes).withRate(rate);
            if (members > p.config().maxMembers()) {
                p = new MazeScenario.Params(members, seed, minutes, loss, cuts, crashes, rate, p.config().withMaxMembers(members));
            }
            MazeScenario scenario = new MazeScenario(p);
            scenario.onProgress(line -> System.err.println("barn sim: " + line));
            MazeScenario.Result r = scenario.run();
            MazeScenario.summary(r, System.out);
            if (out != null) {
                MazeScenario.write(r, out);
                System.out.println("wrote summary.txt, latency.csv to " + out);
            }
            if (!r.violations().isEmpty()) {
                r.violations().stream().limit(20).forEach(v -> System.out.println("VIOLATION: " + v));
                System.out.println("FAILED: seed " + seed + " broke an invariant; replay with:");
                System.out.println("  " + p.replayCommand());
                return 3;
            }
            return 0;
        }
    }

    @Command(name = "relay", mixinStandardHelpOptions = true,
            description = {"Relaying for nodes behind NAT: public nodes run the relay core with capacities of",
                    "four classes, NAT'd nodes choose and hold two relays each, public nodes churn. Reports",
                    "the share of NAT'd nodes reachable, the spread of relay load, and hole-punching success",
                    "per NAT pair type (modelled). Exits 3 if reachability falls below 99.9%."})
    static final class RelaySim implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "10000", description = "Number of nodes (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--nat", defaultValue = "0.5", description = "Share of nodes behind NAT (default ${DEFAULT-VALUE}).")
        double nat;

        @Option(names = "--symmetric", defaultValue = "0.4", description = "Share of NAT'd nodes behind symmetric NAT (default ${DEFAULT-VALUE}).")
        double symmetric;

        @Option(names = "--minutes", defaultValue = "60", description = "Simulated minutes (default ${DEFAULT-VALUE}).")
        int minutes;

        @Option(names = "--churn", defaultValue = "0.2", description = "Share of public nodes leaving per hour (default ${DEFAULT-VALUE}).")
        double churn;

        @Option(names = "--out", paramLabel = "DIR", description = "Where minutes.csv and the PNG plots go (default: none).")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (nodes < 10 || nodes > 1_000_000 || nat <= 0 || nat >= 1 || symmetric < 0 || symmetric > 1 || minutes < 1
                    || minutes > 24 * 60 || churn < 0 || churn > 10) {
                throw new IllegalArgumentException("need 10 <= nodes <= 1000000, 0 < nat < 1, 0 <= symmetric <= 1, "
                        + "1 <= minutes <= 1440, 0 <= churn <= 10");
            }
            net.barn.sim.RelayScenario.Params d = net.barn.sim.RelayScenario.Params.defaults(nodes, seed);
            net.barn.sim.RelayScenario.Params p = new net.barn.sim.RelayScenario.Params(nodes, seed, nat, symmetric, minutes, churn,
                    d.relaysPerNode(), d.knownRelays(), d.punchTrials());
            net.barn.sim.RelayScenario.Result r = new net.barn.sim.RelayScenario(p).run();
            net.barn.sim.RelayScenario.summary(r, System.out);
            if (out != null) {
                net.barn.sim.RelayScenario.write(r, out);
                System.out.println("wrote minutes.csv, reachable.png, balance.png, loads.png, punch.png to " + out);
            }
            if (r.reachableShare() < 0.999) {
                System.out.println("FAILED: reachability below 99.9% with seed " + seed + "; replay with:");
                System.out.println("  " + p.replayCommand());
                return 3;
            }
            return 0;
        }
    }

    @Command(name = "attack", mixinStandardHelpOptions = true,
            description = {"An attack, with and without each defence against it; prints a table of success rates",
                    "and the line that replays the run.",
                    "  sybil     adversarial ids poison lookups (disjoint paths, IP-group limits on/off)",
                    "  eclipse   ids ground close to chosen victims fill their tables (IP limits, long-lived entries)",
                    "  hijack    colluding ids take names (the names simulation, ids ground next to claimed names, read defences off)",
                    "  beacon    committee members withhold partials or abort selectively (threshold BLS)",
                    "  committee ids ground next to each committee target once its seed is out (presence tickets on/off)",
                    "  equivocate  signers show different readers different values; evidence spreads (on/off)",
                    "Exits 3 if a safety check fails: a name taken with every defence on, or threshold",
                    "recovery that disagrees with the group signature."})
    static final class Attack implements Callable<Integer> {
        enum Kind { sybil, eclipse, hijack, beacon, committee, equivocate }

        @Option(names = "--kind", required = true, description = "One of: ${COMPLETION-CANDIDATES}.")
        Kind kind;

        @Option(names = "--adversary", defaultValue = "0.2", paramLabel = "FRACTION",
                description = "Share of ids (or of the beacon committee) the adversary holds (default ${DEFAULT-VALUE}).")
        double adversary;

        @Option(names = "--nodes", description = "Nodes (beacon: committee size; default: sybil 5000, eclipse 2000,"
                + " hijack 1000; beacon 16, 32 and 64; committee 10000).")
        Integer nodes;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--trials", description = "Trials (default: sybil 1000 lookups per setting, eclipse 50 victims,"
                + " hijack 1000 attacks, beacon 20000 rounds, committee 1000 draws).")
        Integer trials;

        @Option(names = "--groups", defaultValue = "2",
                description = "sybil, eclipse: /16 blocks the Sybils' addresses come from (default ${DEFAULT-VALUE}).")
        int groups;

        @Option(names = "--out", paramLabel = "DIR", description = "Where attack-KIND.csv and attack-KIND.png go (default: none).")
        Path out;

        @Option(names = "--reputation", defaultValue = "off", paramLabel = "on|off",
                description = "sybil: honest nodes keep a local reputation and order lookups by it (default ${DEFAULT-VALUE}).")
        String reputation;

        @Option(names = "--adversary-strategy", defaultValue = "greedy", paramLabel = "greedy|bounded|rotating",
                description = "sybil: the adversary names its nodes closest to the target (greedy), the closest that pass"
                        + " the lookups' bound check as seen from the responder (bounded), or for each target the closest"
                        + " not yet named (rotating) (default ${DEFAULT-VALUE}).")
        String strategy;

        @Option(names = "--lookup-width", paramLabel = "W",
                description = "sybil: live candidates each lookup path works through before it ends (default: as nodes run).")
        Integer lookupWidth;

        @Option(names = "--rows", split = ",", paramLabel = "N",
                description = "sybil: run only these rows of the table (1-based, comma-separated; default: all).")
        java.util.List<Integer> rows;

        @Option(names = "--lookup-bound", paramLabel = "D|off",
                description = "sybil: D of the honest nodes' bound check on lookup answers, or off (default: off, as nodes run; 8 is the D suggested for a node that checks).")
        String lookupBound;

        @Option(names = "--anchored", paramLabel = "on|off",
                description = "sybil: full buckets keep the contacts nearest secret anchor points (on) or the longest-known (off) (default: as nodes run).")
        String anchored;

        @Option(names = "--settle", paramLabel = "MINUTES",
                description = "sybil: simulated minutes between the last join and the first trial (default 2; past 60 every node"
                        + " has refreshed its buckets again).")
        Integer settle;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (adversary < 0 || adversary >= 1 || (nodes != null && (nodes < 2 || nodes > 1_000_000))
                    || (trials != null && trials < 1) || groups < 0) {
                throw new IllegalArgumentException("need 0 <= adversary < 1, 2 <= nodes <= 1000000, trials >= 1, groups >= 0");
            }
            java.util.function.Consumer<String> progress = line -> System.err.println("barn sim: " + line);
            net.barn.sim.AttackTable table;
            int exit = 0;
            switch (kind) {
                case sybil -> {
                    net.barn.sim.SybilScenario.Params p = new net.barn.sim.SybilScenario.Params(orDefault(nodes, 5000), seed,
                            adversary, groups, orDefault(trials, 1000));
                    net.barn.sim.SybilScenario s = new net.barn.sim.SybilScenario(p).withReputation(on("--reputation", reputation))
                            .withAdversaryStrategy(switch (strategy) {
                                case "greedy" -> net.barn.sim.AdversaryStrategy.GREEDY;
                                case "bounded" -> net.barn.sim.AdversaryStrategy.BOUNDED;
                                case "rotating" -> net.barn.sim.AdversaryStrategy.ROTATING;
                                default -> throw new IllegalArgumentException(
                                        "--adversary-strategy takes greedy, bounded or rotating, not " + strategy);
                            });
                    if (lookupWidth != null) {
                        s.withLookupWidth(lookupWidth);
                    }
                    if (rows != null) {
                        s.onlyRows(rows);
                    }
                    if (anchored != null) {
                        s.withAnchoredBuckets(Attack.on("--anchored", anchored));
                    }
                    if (settle != null) {
                        if (settle < 1 || settle > 24 * 60) {
                            throw new IllegalArgumentException("need 1 <= settle <= 1440");
                        }
                        s.withSettleMinutes(settle);
                    }
                    if (lookupBound != null) {
                        s.withLookupBound(lookupBound.equals("off") ? net.barn.core.dht.DhtConfig.LOOKUP_BOUND_OFF
                                : Integer.parseInt(lookupBound));
                    }
                    s.onProgress(progress);
                    table = s.run();
                }
                case eclipse -> {
                    net.barn.sim.EclipseScenario.Params d = net.barn.sim.EclipseScenario.Params.defaults(orDefault(nodes, 2000),
                            seed, adversary);
                    net.barn.sim.EclipseScenario s = new net.barn.sim.EclipseScenario(new net.barn.sim.EclipseScenario.Params(
                            d.nodes(), seed, adversary, groups, orDefault(trials, d.victims()), d.nearPerVictim(),
                            d.lookupsPerVictim()));
                    s.onProgress(progress);
                    table = s.run();
                }
                case hijack -> {
                    net.barn.sim.HijackScenario s = new net.barn.sim.HijackScenario(net.barn.sim.HijackScenario.Params.defaults(
                            orDefault(nodes, 1000), seed, adversary, orDefault(trials, 1000)));
                    s.onProgress(progress);
                    table = s.run();
                    if (!s.violations().isEmpty()) {
                        s.violations().stream().limit(20).forEach(v -> System.out.println("VIOLATION: " + v));
                        exit = 3;
                    }
                }
                case beacon -> {
                    net.barn.sim.BeaconBiasScenario s = new net.barn.sim.BeaconBiasScenario(
                            net.barn.sim.BeaconBiasScenario.Params.defaults(
                                    nodes == null ? java.util.List.of(16, 32, 64) : java.util.List.of(nodes), seed, adversary)
                                    .withRounds(orDefault(trials, 20_000)));
                    s.onProgress(progress);
                    table = s.run();
                    if (s.mismatches() > 0) {
                        exit = 3;
                    }
                }
                case committee -> {
                    net.barn.sim.CommitteeCaptureScenario s = new net.barn.sim.CommitteeCaptureScenario(
                            new net.barn.sim.CommitteeCaptureScenario.Params(orDefault(nodes, 10_000), 17, seed, adversary,
                                    orDefault(trials, 1000)));
                    s.onProgress(progress);
                    table = s.run();
                }
                case equivocate -> {
                    net.barn.sim.EquivocationScenario.Params p = net.barn.sim.EquivocationScenario.Params
                            .defaults(orDefault(nodes, 2000), seed).withAdversary(adversary);
                    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
                    net.barn.sim.EquivocationScenario.summary(new net.barn.sim.EquivocationScenario(p).run(),
                            new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
                    spec.commandLine().getOut().print(text.toString(java.nio.charset.StandardCharsets.UTF_8));
                    spec.commandLine().getOut().flush();
                    return 0;
                }
                default -> throw new IllegalStateException(kind.name());
            }
            table.print(System.out);
            if (out != null) {
                table.write(out);
                System.out.println("wrote attack-" + kind + ".csv, attack-" + kind + ".png to " + out);
            }
            if (exit != 0) {
                System.out.println("FAILED: seed " + seed + "; replay with:");
                System.out.println("  " + table.replayCommand());
            }
            return exit;
        }

        private static boolean on(String option, String v) {
            return switch (v) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException(option + " takes on or off, not " + v);
            };
        }

        private static int orDefault(Integer v, int d) {
            return v == null ? d : v;
        }
    }
}
