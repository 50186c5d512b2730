package net.barn.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/**
 * A root network of real {@link net.barn.core.dht.Dht} cores (each with the real routing
 * table, IP-group limits and disjoint-path lookups) in which the last nodes are an
 * adversary's. Adversarial nodes run the same core, but every answer they give to a lookup
 * is rewritten: instead of the contacts they know closest to the target they name only
 * adversarial nodes (the ones closest to the target), and they never return a record. This
 * is the routing-poisoning attack S/Kademlia's disjoint paths are meant to survive.
 *
 * <p>How the adversary chooses its nodes ({@link AdversaryStrategy}): greedy, the k adversarial nodes
 * closest to the target wherever the responder sits; bounded, as an adversary would that
 * knows lookups check answers against the responder's own distance to the target (PROTOCOL
 * §9.2): the k adversarial nodes closest to the target among those that pass that check; or
 * rotating, the next k closest not yet named for that target, to crowd a wide lookup.
 *
 * <p>Adversarial addresses come either from a few /16 blocks (what a Sybil operator renting
 * addresses actually holds; spread over all the /24s inside them) or from anywhere (an
 * adversary with unlimited address diversity, such as a botnet). Honest addresses are drawn
 * uniformly. No faults, no churn: the network is measured at rest.
 */
final class AdversaryNet {
    static final long SECOND = DhtSimulation.SECOND;
    static final long MINUTE = 60 * SECOND;

    final DhtSimulation sim;
    final int honestCount;
    final RandomGenerator rng;
    private final List<DhtSimulation.Node> adversary = new ArrayList<>();
    private final Set<NodeId> adversaryIds = new HashSet<>();
    private final XorIndex<DhtSimulation.Node> adversaryIndex;
    private final XorIndex<DhtSimulation.Node> honestIndex;
    private final DhtConfig config;
    /** Targets of lookup requests in flight, by message id (answers carry the request's id). */
    private final Map<Long, Key> targets = new LinkedHashMap<>(1 << 16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Key> eldest) {
            return size() > 500_000;
        }
    };

    /** Per target, the adversarial nodes already named (ROTATING). */
    private final Map<Key, Set<DhtSimulation.Node>> named = new LinkedHashMap<>(1 << 12, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Set<DhtSimulation.Node>> eldest) {
            return size() > 5_000;
        }
    };

    private record Ask(Key target, int limit) {}

    private final Map<Ask, List<Contact>> poisonCache = new LinkedHashMap<>(1 << 12, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Ask, List<Contact>> eldest) {
            return size() > 20_000;
        }
    };
    private final Map<Long, Consumer<DhtEvent.QueryResult>> waiting = new HashMap<>();
    private boolean poisoning = true;
    private boolean honestSeed;
    private AdversaryStrategy strategy = AdversaryStrategy.GREEDY;
    private int bound = Key.BITS;

    /**
     * @param adversaryCount the last {@code adversaryCount} nodes are the adversary's
     * @param groups /16 blocks the adversary's addresses come from; 0: anywhere
     * @param ids chooses some nodes' ids (may be null)
     */
    AdversaryNet(DhtConfig config, int nodes, int adversaryCount, int groups, long seed, DhtSimulation.NodePlan ids) {
        this.config = config;
        this.honestCount = nodes - adversaryCount;
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        RandomGenerator blocks = root.split();
        String[] block = new String[Math.max(groups, 0)];
        for (int g = 0; g < block.length; g++) {
            block[g] = (1 + blocks.nextInt(223)) + "." + blocks.nextInt(256);
        }
        DhtSimulation.NodePlan plan = new DhtSimulation.NodePlan() {
            @Override
            public NodeId id(int index, NodeId drawn) {
                return ids == null ? drawn : ids.id(index, drawn);
            }

            @Override
            public PeerAddress address(int index, PeerAddress drawn) {
                if (index < honestCount || block.length == 0) {
                    return drawn;
                }
                // Keep the drawn host's last two octets: spread over every /24 of the adversary's block.
                String[] o = drawn.host().split("\\.");
                return new PeerAddress(block[index % block.length] + "." + o[2] + "." + o[3], drawn.port());
            }
        };
        this.sim = new DhtSimulation(config, null, FaultProfile.NONE, root, nodes, plan, null);
        this.rng = root.split();
        List<DhtSimulation.Node> honest = new ArrayList<>();
        for (DhtSimulation.Node n : sim.nodes()) {
            if (n.index() >= honestCount) {
                adversary.add(n);
                adversaryIds.add(n.id());
            } else {
                honest.add(n);
            }
        }
        this.adversaryIndex = new XorIndex<>(adversary, n -> n.contact().key());
        this.honestIndex = new XorIndex<>(honest, n -> n.contact().key());
        sim.onEvent((node, e) -> {
            if (e instanceof DhtEvent.QueryDone d) {
                Consumer<DhtEvent.QueryResult> then = waiting.remove(d.query() * 1_000_003L + node.index());
                if (then != null) {
                    then.accept(d.result());
                }
            }
        });
        sim.intercept(this::intercept);
    }

    /**
     * Whether an honest node joins through at least one honest seed (true), or through three
     * seeds drawn from every node already up, so that 0.4^3 = 6.4% of honest nodes join through
     * the adversary alone at 40% (false, the default).
     */
    void honestSeed(boolean on) {
        honestSeed = on;
    }

    /** Turns the adversary's lying on or off (off: its nodes answer as honest ones do). */
    void poisoning(boolean on) {
        poisoning = on;
    }

    /** How the adversary picks the nodes it names; {@code bound} is the D it keeps within when bounded. */
    void strategy(AdversaryStrategy s, int bound) {
        this.strategy = s;
        this.bound = bound;
    }

    boolean isAdversary(DhtSimulation.Node n) {
        return n.index() >= honestCount;
    }

    boolean isAdversary(NodeId id) {
        return adversaryIds.contains(id);
    }

    List<DhtSimulation.Node> adversary() {
        return adversary;
    }

    private DhtMessage intercept(DhtSimulation.Node from, DhtMessage m) {
        if (!isAdversary(from)) {
            switch (m) {
                case DhtMessage.FindNode f -> targets.put(f.id(), f.target());
                case DhtMessage.FindValue f -> targets.put(f.id(), f.key());
                default -> { }
            }
            return m;
        }
        if (!poisoning) {
            return m;
        }
        return switch (m) {
            case DhtMessage.Nodes n -> {
                Key target = targets.remove(n.id());
                yield target == null ? m : new DhtMessage.Nodes(n.id(), n.sender(), poison(target, from));
            }
            case DhtMessage.Value v -> {
                Key target = targets.remove(v.id());
                yield target == null ? m : new DhtMessage.Value(v.id(), v.sender(), null, poison(target, from));
            }
            default -> m;
        };
    }

    /**
     * The k adversarial nodes closest to {@code target}; when bounded, of those sharing at most
     * D bits more with the target than {@code responder} does.
     */
    List<Contact> poison(Key target, DhtSimulation.Node responder) {
        if (strategy == AdversaryStrategy.ROTATING) {
            Set<DhtSimulation.Node> taken = named.computeIfAbsent(target, t -> new HashSet<>());
            List<Contact> out = new ArrayList<>(config.k());
            while (out.size() < config.k()) {
                DhtSimulation.Node n = adversaryIndex.closest(target, x -> !taken.contains(x) && x.online());
                if (n == null) {
                    break;
                }
                taken.add(n);
                out.add(n.contact());
            }
            return out;
        }
        int limit = strategy == AdversaryStrategy.BOUNDED ? target.commonPrefixLength(responder.contact().key()) + bound : Key.BITS;
        return poisonCache.computeIfAbsent(new Ask(target, Math.min(limit, Key.BITS)), a -> {
            Key t = a.target();
            List<Contact> out = new ArrayList<>(config.k());
            Set<DhtSimulation.Node> taken = new HashSet<>();
            while (out.size() < config.k()) {
                DhtSimulation.Node n = adversaryIndex.closest(t, x -> !taken.contains(x) && x.online()
                        && (a.limit() >= Key.BITS || t.commonPrefixLength(x.contact().key()) <= a.limit()));
                if (n == null) {
                    break;
                }
                taken.add(n);
                out.add(n.contact());
            }
            return List.copyOf(out);
        });
    }

    /** The online honest node closest to {@code target}, other than {@code except}. */
    DhtSimulation.Node closestHonest(Key target, DhtSimulation.Node except) {
        return honestIndex.closest(target, x -> x.online() && x != except);
    }

    /**
     * Starts every node over {@code window}, in a shuffled order, each through three nodes
     * already started; {@code skip} nodes are left for the scenario to start.
     */
    void joinAll(long from, long window, java.util.function.Predicate<DhtSimulation.Node> skip) {
        List<DhtSimulation.Node> order = new ArrayList<>();
        for (DhtSimulation.Node n : sim.nodes()) {
            if (!skip.test(n)) {
                order.add(n);
            }
        }
        java.util.Collections.shuffle(order, new java.util.Random(rng.nextLong()));
        List<DhtSimulation.Node> started = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            DhtSimulation.Node n = order.get(i);
            long at = from + (i == 0 ? 0 : (long) (window * (i / (double) order.size())));
            sim.queue().at(at, () -> {
                List<Contact> seeds = randomSeeds(started, 3);
                if (honestSeed && !isAdversary(n) && !seeds.isEmpty()
                        && seeds.stream().allMatch(c -> isAdversary(c.id()))) {
                    List<DhtSimulation.Node> honest = started.stream().filter(x -> !isAdversary(x)).toList();
                    if (!honest.isEmpty()) {
                        seeds.set(0, honest.get(rng.nextInt(honest.size())).contact());
                    }
                }
                sim.start(n, seeds);
                started.add(n);
            });
        }
    }

    List<Contact> randomSeeds(List<DhtSimulation.Node> among, int count) {
        List<Contact> seeds = new ArrayList<>();
        for (int s = 0; s < count && !among.isEmpty(); s++) {
            seeds.add(among.get(rng.nextInt(among.size())).contact());
        }
        return seeds;
    }

    /** Honest nodes that are up, in index order. */
    List<DhtSimulation.Node> honestOnline() {
        List<DhtSimulation.Node> out = new ArrayList<>();
        for (DhtSimulation.Node n : sim.nodes()) {
            if (!isAdversary(n) && n.online() && n.dht() != null && n.dht().isBootstrapped()) {
                out.add(n);
            }
        }
        return out;
    }

    /** What one lookup found. */
    record Outcome(boolean foundClosestHonest, boolean reachedHonestReplica, int requests) {}

    /** The k nodes closest to {@code target} of all online nodes (its replica set), honest or not. */
    private Set<NodeId> honestReplicas(Key target) {
        Set<NodeId> out = new HashSet<>();
        Set<DhtSimulation.Node> taken = new HashSet<>();
        XorIndex<DhtSimulation.Node> all = allIndex();
        for (int i = 0; i < config.k(); i++) {
            DhtSimulation.Node x = all.closest(target, y -> y.online() && !taken.contains(y));
            if (x == null) {
                break;
            }
            taken.add(x);
            if (!isAdversary(x)) {
                out.add(x.id());
            }
        }
        return out;
    }

    private XorIndex<DhtSimulation.Node> allIndex;

    private XorIndex<DhtSimulation.Node> allIndex() {
        if (allIndex == null) {
            allIndex = new XorIndex<>(sim.nodes(), x -> x.contact().key());
        }
        return allIndex;
    }

    /**
     * Has {@code n} look up the nodes closest to {@code target}; {@code done} learns whether
     * the result holds the online honest node closest to it (where a put must land), and
     * whether it holds any honest node of the target's replica set (the k nodes closest to it):
     * records are signed, so one honest replica is enough for a read.
     */
    void lookup(DhtSimulation.Node n, Key target, Consumer<Outcome> done) {
        DhtSimulation.Node truth = closestHonest(target, n);
        Set<NodeId> replicas = honestReplicas(target);
        replicas.remove(n.id());
        long q = sim.act(n, d -> d.findNode(sim.now(), target));
        waiting.put(q * 1_000_003L + n.index(), r -> {
            boolean ok = false;
            boolean replica = false;
            int requests = r instanceof DhtEvent.FindNodeResult f ? f.requests() : 0;
            if (r instanceof DhtEvent.FindNodeResult f && truth != null) {
                for (Contact c : f.closest()) {
                    ok |= c.id().equals(truth.id());
                    replica |= replicas.contains(c.id());
                }
            }
            sim.traceFact(n.index() + (ok ? " found " : " missed ") + target + (replica ? " replica" : ""));
            done.accept(new Outcome(ok, replica, requests));
        });
    }

    /** Share of a node's routing-table entries that are the adversary's (0 for an empty table). */
    double adversarialShare(DhtSimulation.Node n) {
        List<Contact> contacts = n.dht().table().contacts();
        if (contacts.isEmpty()) {
            return 0;
        }
        long bad = contacts.stream().filter(c -> isAdversary(c.id())).count();
        return bad / (double) contacts.size();
    }

    /** Share of the answers to honest nodes' lookup requests that lost a contact to the bound check. */
    double honestAnswersTrimmed() {
        long answers = 0;
        long trimmed = 0;
        for (DhtSimulation.Node n : sim.nodes()) {
            if (!isAdversary(n) && n.dht() != null) {
                answers += n.dht().lookupAnswers();
                trimmed += n.dht().lookupAnswersTrimmed();
            }
        }
        return answers == 0 ? 0 : trimmed / (double) answers;
    }

    int tableSize(DhtSimulation.Node n) {
        return n.dht().table().size();
    }
}
