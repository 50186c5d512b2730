package net.barn.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.identity.NodeId;
import net.barn.core.relay.RelayChooser;
import net.barn.core.relay.RelayConfig;
import net.barn.core.relay.RelayServer;

/**
 * The scenario behind {@code barn sim relay}: a network where a share of the nodes is behind
 * NAT (cone or symmetric). Every public node runs the real {@link RelayServer} with a capacity
 * drawn from four classes; every NAT'd node knows a sample of relays (their advertised spare
 * load, asked when it chooses), picks two with the real {@link RelayChooser}, reserves,
 * renews, moves when a relay refuses, sheds it or leaves, and every ten minutes compares its
 * relays with the ones it knows (a few of which it newly met) and moves to a clearly emptier
 * one, as the daemon does. Public nodes churn (they leave
 * and new ones arrive); a client notices a relay gone after its keepalive interval (30 s). The
 * run reports the share of NAT'd node-time with a live reservation (a node is unreachable only
 * while every relay it holds is gone and it has not noticed) and the spread of relay load.
 *
 * <p>Hole punching is modelled, not run: per NAT pair type, trials draw the ports the NATs
 * allocate. Cone pairs open simultaneously at RTT-synchronised times with the latency model's
 * jitter; a cone/symmetric pair tries birthday-style prediction (256 sockets on the symmetric
 * side, 256 probes from the cone side); symmetric pairs need both directions to collide.
 */
public final class RelayScenario {
    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    /** How long a client takes to notice its relay left: its keepalive interval. */
    static final long DETECT_NANOS = 30 * SECOND;
    /** Known relays replaced by newly met ones per rebalancing round. */
    static final int REFRESH = 5;
    /** Reservation capacity classes of public nodes, and their shares. */
    private static final int[] CAPACITY = {32, 64, 128, 256};
    private static final double[] CAPACITY_SHARE = {0.3, 0.3, 0.25, 0.15};

    /** What to run. */
    public record Params(int nodes, long seed, double natShare, double symmetricShare, int minutes, double churnPerHour,
            int relaysPerNode, int knownRelays, int punchTrials) {
        public static Params defaults(int nodes, long seed) {
            return new Params(nodes, seed, 0.5, 0.4, 60, 0.2, 2, 30, 2000);
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim relay --nodes %d --seed %d --nat %.2f --symmetric %.2f --minutes %d"
                    + " --churn %.2f", nodes, seed, natShare, symmetricShare, minutes, churnPerHour);
        }
    }

    /** One minute's sample. */
    public record Minute(int minute, int natAlive, int reachable, double maxOverMean, double gini, int relays) {}

    /** The run. */
    /**
     * The run. {@code byClass}: per relay capacity, how many live relays held how many
     * reservations at the end (reservations to relay count).
     */
    public record Result(Params params, List<Minute> minutes, double reachableShare, double worstMinute, double maxOverMean,
            double gini, int[] finalLoads, double[] punchSuccess, long refusals, long shed, long moves,
            java.util.Map<Integer, java.util.TreeMap<Integer, Integer>> byClass) {}

    private final class Relay {
        final NodeId id;
        final String group;
        final int region;
        final long access;
        final RelayServer server;
        boolean alive = true;
        final int capacity;

        Relay(NodeId id, String group, int region, long access, int capacity) {
            this.id = id;
            this.group = group;
            this.region = region;
            this.access = access;
            this.server = new RelayServer(RelayConfig.DEFAULT.withMaxReservations(capacity));
            this.capacity = capacity;
        }
    }

    private final class Client {
        final NodeId id;
        final String group;
        final int region;
        final long access;
        final List<Relay> known = new ArrayList<>();
        final List<Relay> held = new ArrayList<>();
        final Set<NodeId> avoid = new HashSet<>();
        long renewAt;
        long rebalanceAt;

        Client(NodeId id, String group, int region, long access) {
            this.id = id;
            this.group = group;
            this.region = region;
            this.access = access;
        }
    }

    private final Params p;
    private final RandomGenerator rng;
    private final RelayChooser chooser;
    private final List<Relay> relays = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final java.util.Map<NodeId, Client> byId = new java.util.HashMap<>();
    private long refusals;
    private long moves;
    /** Client-nanoseconds without a live reservation. */
    private long outage;
    private int nextId;

    public RelayScenario(Params p) {
        this.p = p;
        RandomGenerator root = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        this.rng = root;
        this.chooser = new RelayChooser(RandomGeneratorFactory.of("L64X128MixRandom").create(root.nextLong()));
    }

    private NodeId nextId() {
        byte[] b = new byte[32];
        int n = nextId++;
        b[0] = (byte) (n >>> 24);
        b[1] = (byte) (n >>> 16);
        b[2] = (byte) (n >>> 8);
        b[3] = (byte) n;
        return NodeId.of(b);
    }

    private String group() {
        return "g" + rng.nextInt(Math.max(64, p.nodes() * 4)); // mostly distinct networks, some shared
    }

    private Relay newRelay() {
        double u = rng.nextDouble();
        int capacity = CAPACITY[CAPACITY.length - 1];
        for (int i = 0; i < CAPACITY.length; i++) {
            if (u < cumulative(i)) {
                capacity = CAPACITY[i];
                break;
            }
        }
        Relay r = new Relay(nextId(), group(), LatencyModel.pickRegion(rng), LatencyModel.accessDelay(rng), capacity);
        relays.add(r);
        return r;
    }

    private static double cumulative(int i) {
        double s = 0;
        for (int k = 0; k <= i; k++) {
            s += CAPACITY_SHARE[k];
        }
        return s;
    }

    private long rtt(Client c, Relay r) {
        return 2 * LatencyModel.oneWay(c.region, c.access, r.region, r.access, 0, rng);
    }

    public Result run() {
        int publicNodes = (int) Math.round(p.nodes() * (1 - p.natShare()));
        for (int i = 0; i < publicNodes; i++) {
            newRelay();
        }
        for (int i = 0; i < p.nodes() - publicNodes; i++) {
            Client c = new Client(nextId(), group(), LatencyModel.pickRegion(rng), LatencyModel.accessDelay(rng));
            clients.add(c);
            byId.put(c.id, c);
            learn(c, p.knownRelays());
        }
        List<Minute> minutes = new ArrayList<>();
        long now = 0;
        // Clients arrive over the first minute, in random order.
        List<Client> order = new ArrayList<>(clients);
        java.util.Collections.shuffle(order, new java.util.Random(rng.nextLong()));
        for (Client c : order) {
            reserve(now + rng.nextLong(MINUTE), c);
            c.rebalanceAt = MINUTE + rng.nextLong(RelayChooser.REBALANCE_NANOS);
        }
        double worst = 1;
        for (int m = 1; m <= p.minutes(); m++) {
            now = m * MINUTE;
            churn(now);
            for (Relay r : relays) {
                if (r.alive) {
                    r.server.expire(now);
                    for (NodeId moved : r.server.shed(now)) {
                        Client c = client(moved);
                        if (c != null) {
                            c.held.remove(r);
                            c.avoid.add(r.id);
                            moves++;
                        }
                    }
                }
            }
            for (Client c : clients) {
                List<Relay> dead = c.held.stream().filter(r -> !r.alive).toList();
                if (!dead.isEmpty() && dead.size() == c.held.size()) {
                    // Every relay it held left this minute: unreachable from the last one's departure
                    // until its keepalive notices (DETECT) and it reserves elsewhere.
                    outage += DETECT_NANOS;
                }
                c.held.removeIf(r -> !r.alive || !r.server.holds(c.id));
                if (now >= c.rebalanceAt) {
                    refresh(c);
                    rebalance(now, c);
                    c.rebalanceAt = now + RelayChooser.REBALANCE_NANOS;
                }
                if (now >= c.renewAt) {
                    for (Relay r : c.held) {
                        r.server.reserve(now, c.id, c.group);
                    }
                    c.renewAt = now + RelayConfig.DEFAULT.reservationNanos() / 2;
                }
                if (c.held.size() < p.relaysPerNode()) {
                    reserve(now, c);
                }
            }
            int reachable = 0;
            for (Client c : clients) {
                if (!c.held.isEmpty()) {
                    reachable++;
                }
            }
            double[] util = utilisation();
            minutes.add(new Minute(m, clients.size(), reachable, maxOverMean(util), gini(util), util.length));
            worst = Math.min(worst, reachable / (double) clients.size());
        }
        Minute last = minutes.get(minutes.size() - 1);
        java.util.Map<Integer, java.util.TreeMap<Integer, Integer>> byClass = new java.util.TreeMap<>();
        for (int cap : CAPACITY) {
            java.util.TreeMap<Integer, Integer> h = new java.util.TreeMap<>();
            relays.stream().filter(r -> r.alive && r.capacity == cap).forEach(r -> h.merge(r.server.reservations(), 1, Integer::sum));
            byClass.put(cap, h);
        }
        int[] loads = relays.stream().filter(r -> r.alive).mapToInt(r -> r.server.reservations()).toArray();
        long shed = relays.stream().mapToLong(r -> r.server.shedTotal()).sum();
        double reachableTime = 1 - outage / ((double) clients.size() * p.minutes() * MINUTE);
        return new Result(p, minutes, reachableTime, worst, last.maxOverMean(), last.gini(), loads, punches(), refusals, shed, moves,
                byClass);
    }

    private Client client(NodeId id) {
        return byId.get(id);
    }

    /** A client learns of {@code count} live relays at random (from the root network, in a real node). */
    private void learn(Client c, int count) {
        for (int i = 0; i < count * 3 && c.known.size() < count; i++) {
            Relay r = relays.get(rng.nextInt(relays.size()));
            if (r.alive && !c.known.contains(r)) {
                c.known.add(r);
            }
        }
    }

    /**
     * The relays a node knows turn over as its routing table does: a few it knew are replaced
     * by nodes it met since, some of them newly arrived.
     */
    private void refresh(Client c) {
        c.known.removeIf(r -> !r.alive);
        for (int i = 0; i < REFRESH && !c.known.isEmpty(); i++) {
            c.known.remove(rng.nextInt(c.known.size()));
        }
        learn(c, p.knownRelays());
    }

    private void reserve(long now, Client c) {
        for (int attempt = 0; attempt < 4 && c.held.size() < p.relaysPerNode(); attempt++) {
            c.known.removeIf(r -> !r.alive);
            if (c.known.size() < p.knownRelays() / 2) {
                learn(c, p.knownRelays());
            }
            List<RelayChooser.Candidate> candidates = new ArrayList<>();
            for (Relay r : c.known) {
                // The client asks the candidates it draws for their current load (a status request).
                candidates.add(new RelayChooser.Candidate(r.id, r.group, r.server.spare(), r.capacity, rtt(c, r)));
            }
            Set<NodeId> exclude = new HashSet<>(c.avoid);
            Set<String> groups = new HashSet<>();
            for (Relay r : c.held) {
                exclude.add(r.id);
                groups.add(r.group);
            }
            for (RelayChooser.Candidate pick : chooser.choose(candidates, exclude, groups, p.relaysPerNode() - c.held.size())) {
                Relay r = c.known.stream().filter(k -> k.id.equals(pick.id())).findFirst().orElseThrow();
                RelayServer.Reply reply = r.server.reserve(now, c.id, c.group);
                if (reply instanceof RelayServer.Reserved) {
                    c.held.add(r);
                } else {
                    refusals++;
                    c.avoid.add(r.id);
                }
            }
        }
        if (c.avoid.size() > 16) {
            c.avoid.clear();
        }
        c.renewAt = now + RelayConfig.DEFAULT.reservationNanos() / 2;
    }

    /**
     * Every {@link RelayChooser#REBALANCE_NANOS} a client asks a few relays it knows for their
     * load and leaves its most loaded relay for a clearly emptier one (RelayChooser.worthMoving):
     * new relays fill up this way.
     */
    private void rebalance(long now, Client c) {
        if (c.held.isEmpty()) {
            return;
        }
        Relay worst = c.held.stream().max(java.util.Comparator.comparingDouble(r -> r.server.load())).orElseThrow();
        Set<NodeId> exclude = new HashSet<>();
        Set<String> groups = new HashSet<>();
        for (Relay r : c.held) {
            exclude.add(r.id);
            if (r != worst) {
                groups.add(r.group);
            }
        }
        List<RelayChooser.Candidate> candidates = new ArrayList<>();
        for (Relay r : c.known) {
            if (r.alive) {
                candidates.add(new RelayChooser.Candidate(r.id, r.group, r.server.spare(), r.capacity, rtt(c, r)));
            }
        }
        RelayChooser.Candidate held = new RelayChooser.Candidate(worst.id, worst.group, worst.server.spare(), worst.capacity,
                rtt(c, worst));
        for (RelayChooser.Candidate alt : chooser.choose(candidates, exclude, groups, 1)) {
            Relay r = c.known.stream().filter(k -> k.id.equals(alt.id())).findFirst().orElseThrow();
            if (RelayChooser.worthMoving(held, alt) && r.server.reserve(now, c.id, c.group) instanceof RelayServer.Reserved) {
                worst.server.release(c.id);
                c.held.remove(worst);
                c.held.add(r);
                moves++;
            }
        }
    }

    private void churn(long now) {
        double perMinute = p.churnPerHour() / 60;
        List<Relay> live = relays.stream().filter(r -> r.alive).toList();
        int leaving = 0;
        for (Relay r : live) {
            if (rng.nextDouble() < perMinute) {
                r.alive = false;

                leaving++;
            }
        }
        for (int i = 0; i < leaving; i++) {
            newRelay(); // the population holds: as many public nodes arrive as leave
        }
    }

    private double[] utilisation() {
        return relays.stream().filter(r -> r.alive)
                .mapToDouble(r -> r.server.reservations() / (double) r.server.config().maxReservations()).toArray();
    }

    static double maxOverMean(double[] v) {
        double mean = Arrays.stream(v).average().orElse(0);
        return mean == 0 ? 0 : Arrays.stream(v).max().orElse(0) / mean;
    }

    static double gini(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        double sum = 0;
        double weighted = 0;
        for (int i = 0; i < s.length; i++) {
            sum += s[i];
            weighted += (i + 1) * s[i];
        }
        return sum == 0 ? 0 : (2 * weighted) / (s.length * sum) - (s.length + 1.0) / s.length;
    }

    // ---------------------------------------------------------------- hole punching, modelled

    /** Success shares for cone/cone, cone/symmetric and symmetric/symmetric pairs. */
    private double[] punches() {
        int[] ok = new int[3];
        for (int t = 0; t < p.punchTrials(); t++) {
            int r1 = LatencyModel.pickRegion(rng);
            int r2 = LatencyModel.pickRegion(rng);
            long a1 = LatencyModel.accessDelay(rng);
            long a2 = LatencyModel.accessDelay(rng);
            // Cone pair: each side sends when the relayed RTT measurement says the other does;
            // the error is the jitter of the measured paths. Opening succeeds if each side's
            // first packet leaves before the other's arrives; three rounds are tried.
            boolean cone = false;
            for (int round = 0; round < 3 && !cone; round++) {
                long oneWay = LatencyModel.oneWay(r1, a1, r2, a2, 1.0, rng);
                long error = Math.abs(LatencyModel.oneWay(r1, a1, r2, a2, 1.0, rng) - LatencyModel.oneWay(r1, a1, r2, a2, 1.0, rng));
                cone = error < oneWay && rng.nextDouble() > 0.01; // and the packet is not lost
            }
            ok[0] += cone ? 1 : 0;
            ok[1] += birthday(256, 256) ? 1 : 0;
            ok[2] += bothWays(256) ? 1 : 0;
        }
        return new double[] {ok[0] / (double) p.punchTrials(), ok[1] / (double) p.punchTrials(), ok[2] / (double) p.punchTrials()};
    }

    /** The symmetric side opens {@code sockets} mappings at random ports; the cone side probes {@code probes} random ports. */
    private boolean birthday(int sockets, int probes) {
        Set<Integer> mapped = new HashSet<>();
        while (mapped.size() < sockets) {
            mapped.add(1024 + rng.nextInt(64512));
        }
        for (int i = 0; i < probes; i++) {
            if (mapped.contains(1024 + rng.nextInt(64512))) {
                return true;
            }
        }
        return false;
    }

    /** Both symmetric: a probe of A must hit a mapping of B whose own probe hit that very mapping of A. */
    private boolean bothWays(int sockets) {
        int[] aMapped = new int[sockets];
        int[] aTarget = new int[sockets];
        int[] bMapped = new int[sockets];
        int[] bTarget = new int[sockets];
        for (int i = 0; i < sockets; i++) {
            aMapped[i] = 1024 + rng.nextInt(64512);
            aTarget[i] = 1024 + rng.nextInt(64512);
            bMapped[i] = 1024 + rng.nextInt(64512);
            bTarget[i] = 1024 + rng.nextInt(64512);
        }
        for (int i = 0; i < sockets; i++) {
            for (int j = 0; j < sockets; j++) {
                if (aTarget[i] == bMapped[j] && bTarget[j] == aMapped[i]) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- report

    public static void summary(Result r, PrintStream out) {
        Params p = r.params();
        out.printf(Locale.ROOT, "barn sim relay: %d nodes, %.0f%% behind NAT (%.0f%% of those symmetric), %d minutes, "
                + "%.0f%% of public nodes leaving per hour, %d relays per NAT'd node, %d relays known each%n", p.nodes(),
                100 * p.natShare(), 100 * p.symmetricShare(), p.minutes(), 100 * p.churnPerHour(), p.relaysPerNode(), p.knownRelays());
        out.printf(Locale.ROOT, "reachable NAT'd nodes:   %.4f%% of node-time (target >= 99.9%%); at minute ends worst %.4f%%%n",
                100 * r.reachableShare(), 100 * r.worstMinute());
        out.printf(Locale.ROOT, "relay load (utilisation, last minute): max/mean %.2f (target <= 2), Gini %.3f (target <= 0.3),"
                + " over %d relays; worst minute max/mean %.2f%n", r.maxOverMean(), r.gini(), r.finalLoads().length,
                r.minutes().stream().mapToDouble(Minute::maxOverMean).max().orElse(0));
        r.byClass().forEach((cap, h) -> out.printf(Locale.ROOT, "  relays of %d reservations: held -> relays %s%n", cap, h));
        out.printf(Locale.ROOT, "reservations refused %d, shed %d, moves (after shedding, or to a clearly emptier relay when rebalancing) %d%n",
                r.refusals(), r.shed(), r.moves());
        out.printf(Locale.ROOT, "hole punching (modelled, %d trials each): cone/cone %.1f%%, cone/symmetric %.1f%%, "
                + "symmetric/symmetric %.2f%%%n", p.punchTrials(), 100 * r.punchSuccess()[0], 100 * r.punchSuccess()[1],
                100 * r.punchSuccess()[2]);
        double c = 1 - p.symmetricShare();
        double sh = p.symmetricShare();
        out.printf(Locale.ROOT, "two NAT'd nodes at random go direct after punching: %.1f%%, the rest stay relayed%n",
                100 * (c * c * r.punchSuccess()[0] + 2 * c * sh * r.punchSuccess()[1] + sh * sh * r.punchSuccess()[2]));
        out.println("replay: " + p.replayCommand());
    }

    public static void write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("minute,nat_alive,reachable,max_over_mean,gini,relays\n");
        for (Minute m : r.minutes()) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%d,%.4f,%.4f,%d%n", m.minute(), m.natAlive(), m.reachable(), m.maxOverMean(),
                    m.gini(), m.relays()));
        }
        Files.writeString(dir.resolve("minutes.csv"), csv);
        System.setProperty("java.awt.headless", "true");
        org.jfree.data.xy.XYSeries reach = new org.jfree.data.xy.XYSeries("reachable NAT'd nodes (%)");
        org.jfree.data.xy.XYSeries balance = new org.jfree.data.xy.XYSeries("max/mean relay load");
        for (Minute m : r.minutes()) {
            reach.add(m.minute(), 100.0 * m.reachable() / m.natAlive());
            balance.add(m.minute(), m.maxOverMean());
        }
        save(org.jfree.chart.ChartFactory.createXYLineChart("Reachable NAT'd nodes per minute", "minute", "% reachable",
                new org.jfree.data.xy.XYSeriesCollection(reach), org.jfree.chart.plot.PlotOrientation.VERTICAL, true, false, false),
                dir.resolve("reachable.png"));
        save(org.jfree.chart.ChartFactory.createXYLineChart("Relay load balance per minute", "minute", "max / mean utilisation",
                new org.jfree.data.xy.XYSeriesCollection(balance), org.jfree.chart.plot.PlotOrientation.VERTICAL, true, false, false),
                dir.resolve("balance.png"));
        org.jfree.data.category.DefaultCategoryDataset loads = new org.jfree.data.category.DefaultCategoryDataset();
        java.util.TreeMap<Integer, Integer> hist = new java.util.TreeMap<>();
        for (int l : r.finalLoads()) {
            hist.merge(l, 1, Integer::sum);
        }
        hist.forEach((k, v) -> loads.addValue(v, "relays", Integer.toString(k)));
        save(org.jfree.chart.ChartFactory.createBarChart("Reservations per relay (last minute)", "reservations", "relays", loads),
                dir.resolve("loads.png"));
        org.jfree.data.category.DefaultCategoryDataset punch = new org.jfree.data.category.DefaultCategoryDataset();
        String[] kinds = {"cone/cone", "cone/symmetric", "symmetric/symmetric"};
        for (int i = 0; i < 3; i++) {
            punch.addValue(100 * r.punchSuccess()[i], "success (%)", kinds[i]);
        }
        save(org.jfree.chart.ChartFactory.createBarChart("Hole punching by NAT pair (modelled)", "pair", "% success", punch),
                dir.resolve("punch.png"));
    }

    private static void save(org.jfree.chart.JFreeChart chart, Path file) throws IOException {
        chart.setBackgroundPaint(java.awt.Color.WHITE);
        org.jfree.chart.ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 500);
    }
}
