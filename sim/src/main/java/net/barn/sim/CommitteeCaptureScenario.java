package net.barn.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Bls;
import net.barn.core.trust.beacon.BlsSecretKey;
import net.barn.core.trust.beacon.PresenceTicket;
import net.barn.core.trust.beacon.Sortition;

/**
 * Capturing a beacon committee by grinding, behind {@code barn sim attack --kind committee}: the
 * adversary holds a share of the ids that were present in the previous epoch, and once an
 * epoch's seed is out it grinds fresh ids nearer the committee target than anyone (as many as
 * the committee has seats), which take a presence ticket of the epoch under way. Each trial
 * draws one committee from a fresh seed with the daemon's rules: the candidates nearest the
 * target, {@link PresenceTicket#refuse} (when the defence is on), at most 2 per IP group,
 * {@link Sortition#committee} and {@link Sortition#oddCommittee}. The adversary wins a trial
 * when it holds at least the threshold t of the committee: then it sees every output first and
 * can stop or bias rounds. Tickets are real BLS signatures under one group key (signed with the
 * group secret, which gives the same signature as t shares); the lookup is idealised (the
 * drawer finds the true nearest nodes), and every id has its own IP group (addresses anywhere,
 * the adversary's best case under the per-group limit).
 */
public final class CommitteeCaptureScenario {
    /** What to run: network size, committee size, the adversary's share of present ids, trials. */
    public record Params(int nodes, int committee, long seed, double adversary, int trials) {
        public Params {
            if (nodes < 2 || committee < 1 || committee > nodes || trials < 1 || adversary < 0 || adversary >= 1) {
                throw new IllegalArgumentException("need 1 <= committee <= nodes, trials >= 1, 0 <= adversary < 1");
            }
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind committee --adversary %s --nodes %d --seed %d --trials %d",
                    adversary, nodes, seed, trials);
        }
    }

    /** The epoch every trial draws for: present ids hold tickets of the one before. */
    private static final long EPOCH = 100;
    private static final long WINDOW = 24;

    private final Params p;
    private Consumer<String> progress = line -> { };

    public CommitteeCaptureScenario(Params p) {
        this.p = p;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    /** A node and its key (kept, not rebuilt on every comparison of the sort). */
    private record Node(NodeId id, Key key, boolean adversarial, PresenceTicket ticket) {
        Node(NodeId id, boolean adversarial, PresenceTicket ticket) {
            this(id, Key.of(id), adversarial, ticket);
        }
    }

    public AttackTable run() {
        long wall0 = System.nanoTime();
        SeededEntropy entropy = new SeededEntropy(p.seed() * 1_000_003L + 17);
        SplittableRandom rng = new SplittableRandom(p.seed());
        BlsSecretKey group = Bls.generate(entropy);
        int adversarial = (int) Math.round(p.adversary() * p.nodes());
        List<Node> present = new ArrayList<>();
        for (int i = 0; i < p.nodes(); i++) {
            NodeId id = NodeId.of(Key.random(rng).toBytes());
            present.add(new Node(id, i < adversarial, ticket(group, id, EPOCH - 1)));
        }
        progress.accept(String.format(Locale.ROOT, "%d present ids with tickets of epoch %d in %.0f s wall", p.nodes(), EPOCH - 1,
                (System.nanoTime() - wall0) / 1e9));
        int t = Sortition.threshold(p.committee() % 2 == 1 ? p.committee() : p.committee() - 1);
        int[][] wins = new int[2][2]; // [grind][defence]
        long[][] seats = new long[2][2];
        Map<NodeId, Boolean> checked = new HashMap<>(); // a present id's ticket verdict is the same every trial
        for (int trial = 0; trial < p.trials(); trial++) {
            byte[] seed = new byte[32];
            entropy.nextBytes(seed);
            Key target = Sortition.committeeTarget(seed, EPOCH);
            List<Node> ground = grind(group, target, rng);
            for (int g = 0; g < 2; g++) {
                List<Node> all = new ArrayList<>(present);
                if (g == 1) {
                    all.addAll(ground);
                }
                List<Node> nearest = nearest(target, all, 2 * p.committee());
                for (int d = 0; d < 2; d++) {
                    List<Sortition.Candidate> candidates = new ArrayList<>();
                    for (Node n : nearest) {
                        if (d == 0 || eligible(n, group, checked)) {
                            candidates.add(new Sortition.Candidate(n.id(), n.id().toString()));
                        }
                    }
                    List<NodeId> committee = Sortition.oddCommittee(Sortition.committee(target, candidates, p.committee(), 2));
                    Set<NodeId> theirs = new HashSet<>();
                    nearest.stream().filter(Node::adversarial).forEach(n -> theirs.add(n.id()));
                    long held = committee.stream().filter(theirs::contains).count();
                    seats[g][d] += held;
                    if (held >= Sortition.threshold(committee.size()) && !committee.isEmpty()) {
                        wins[g][d]++;
                    }
                }
            }
            if ((trial + 1) % 100 == 0) {
                progress.accept(String.format(Locale.ROOT, "%d of %d draws in %.0f s wall", trial + 1, p.trials(),
                        (System.nanoTime() - wall0) / 1e9));
            }
        }
        AttackTable table = new AttackTable("committee", String.format(Locale.ROOT,
                "barn sim attack committee: %d present ids, %.0f%% the adversary's, committee of %d (t = %d), %d draws, seed %d",
                p.nodes(), 100 * p.adversary(), p.committee(), t, p.trials(), p.seed()));
        String[] grinding = {"no grinding", "grinds " + p.committee() + " fresh ids next to each target"};
        String[] defence = {"no age asked (as at genesis)", "presence ticket from before the epoch (as drawn after genesis)"};
        for (int g = 0; g < 2; g++) {
            for (int d = 0; d < 2; d++) {
                table.add(new AttackTable.Row(grinding[g] + "; " + defence[d], p.adversary(), p.trials(), wins[g][d], 0, 0,
                        String.format(Locale.ROOT, "mean adversarial seats %.2f of %d", seats[g][d] / (double) p.trials(),
                                p.committee() % 2 == 1 ? p.committee() : p.committee() - 1)));
            }
        }
        table.note("trial = one committee draw from a fresh seed; attack success = the adversary holds at least t seats");
        table.note("real presence tickets (BLS12-381) checked with PresenceTicket.refuse; real Sortition.committee; idealised lookup;"
                + " every id in its own IP group; fresh ids hold tickets of the drawn epoch itself, the earliest they can get");
        progress.accept(String.format(Locale.ROOT, "done in %.0f s wall", (System.nanoTime() - wall0) / 1e9));
        return table.replay(p.replayCommand());
    }

    private static PresenceTicket ticket(BlsSecretKey group, NodeId id, long epoch) {
        return new PresenceTicket(epoch, group.sign(PresenceTicket.message(id, epoch)));
    }

    private boolean eligible(Node n, BlsSecretKey group, Map<NodeId, Boolean> checked) {
        if (n.ticket().epoch() != EPOCH - 1) {
            return n.ticket().refuse(group.publicKey(), n.id(), EPOCH, WINDOW) == null;
        }
        return checked.computeIfAbsent(n.id(), id -> n.ticket().refuse(group.publicKey(), id, EPOCH, WINDOW) == null);
    }

    /**
     * Ids nearer the target than any present one: the target with its last 8 bytes random, as
     * grinding gives (about 2^8 key generations per id for each halving of the distance).
     */
    private List<Node> grind(BlsSecretKey group, Key target, SplittableRandom rng) {
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < p.committee(); i++) {
            byte[] b = target.toBytes();
            for (int j = 24; j < 32; j++) {
                b[j] = (byte) rng.nextInt(256);
            }
            NodeId id = NodeId.of(b);
            out.add(new Node(id, true, ticket(group, id, EPOCH)));
        }
        return out;
    }

    private static List<Node> nearest(Key target, List<Node> all, int count) {
        List<Node> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> target.compareDistance(a.key(), b.key()));
        return sorted.subList(0, Math.min(count, sorted.size()));
    }
}
