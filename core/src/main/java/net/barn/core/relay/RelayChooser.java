package net.barn.core.relay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.random.RandomGenerator;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.reputation.Reputation;

/**
 * How a node that cannot be reached picks its relays (sans-IO, randomness injected). Among the
 * relays it knows, it keeps the nearer half by round-trip time; then, for each relay it needs,
 * it draws {@code choices} of those at random, asks their current load, and takes the one with
 * the lowest Webster quotient (used + 1/2) / capacity, the nearer on a tie; never two relays in
 * one IP group, never a full one. Drawing a few instead of taking the best keeps everyone from
 * piling onto the same relay (the power of d choices). The quotient is Sainte-Laguë's
 * apportionment: it hands out reservations in proportion to capacity without the bias of
 * (used + 1) / capacity, which leaves small relays empty while large ones fill (with two
 * reservations per relay on average that bias alone costs a Gini of 0.37 against 0.16).
 *
 * <p>With a local reputation (this node's own scores, {@link Reputation}), of two relays whose
 * quotients are within {@link #SIMILAR} of each other the better-scored wins, and a
 * {@linkplain Reputation#POOR poor} relay (one that failed or dropped this node's circuits and
 * reservations) sinks: it is kept last in the round-trip order and drawn only when no other
 * relay is left.
 */
public final class RelayChooser {
    /** Relays asked per pick. */
    public static final int CHOICES = 8;

    /**
     * A relay the node knows: its spare capacity (0..1) as it last answered, its reservation
     * capacity, and the round trip to it.
     */
    public record Candidate(NodeId id, String group, double spare, int capacity, long rttNanos) {
        /** Reservations it holds. */
        double used() {
            return (1 - spare) * capacity;
        }

        /** Its Webster quotient for one more reservation: the lower, the more it is owed one. */
        double projected() {
            return (used() + 0.5) / capacity;
        }

        /** The quotient of a reservation it already holds (the one a leaving node would free). */
        public double heldQuotient() {
            return Math.max(0, used() - 0.5) / capacity;
        }
    }

    /** How often a node holding reservations compares its relays' load with others' (a load query to a few). */
    public static final long REBALANCE_NANOS = 10 * 60 * 1_000_000_000L;

    /** A held relay is left for another when the other's utilisation, with the node added, is below this share of the held one's. */
    public static final double MOVE_BELOW = 0.75;

    /** Quotients this close (relative to the larger) count as similar load, where the score decides. */
    public static final double SIMILAR = 0.25;

    private final RandomGenerator rng;
    private final Predicate<NodeId> excluded;
    private final ToDoubleFunction<NodeId> score;

    /**
     * Whether a node holding {@code held} (its current load as answered) does better to move
     * to {@code alternative}: only for a clearly emptier relay, so that nodes do not flap.
     */
    public static boolean worthMoving(Candidate held, Candidate alternative) {
        return alternative.projected() < MOVE_BELOW * held.heldQuotient();
    }

    public RelayChooser(RandomGenerator rng) {
        this(rng, id -> false);
    }

    /** A chooser that never picks a relay {@code excluded} names (proven misbehaving). */
    public RelayChooser(RandomGenerator rng, Predicate<NodeId> excluded) {
        this(rng, excluded, id -> 0.5);
    }

    /** As above, preferring relays {@code score} (this node's reputation of them, 0..1) rates better. */
    public RelayChooser(RandomGenerator rng, Predicate<NodeId> excluded, ToDoubleFunction<NodeId> score) {
        this.rng = rng;
        this.excluded = excluded;
        this.score = score;
    }

    /** Whether {@code c} (with score {@code cs}) is a better pick than {@code pick} (with {@code ps}). */
    private static boolean better(Candidate c, double cs, Candidate pick, double ps) {
        boolean cPoor = cs < Reputation.POOR;
        if (cPoor != ps < Reputation.POOR) {
            return !cPoor;
        }
        double a = c.projected();
        double b = pick.projected();
        if (cs != ps && Math.abs(a - b) <= SIMILAR * Math.max(a, b)) {
            return cs > ps;
        }
        return a < b || (a == b && c.rttNanos() < pick.rttNanos());
    }

    /**
     * Up to {@code n} relays from {@code known}, none in {@code exclude} (held already, or
     * refused lately) nor in {@code groupsInUse}, none without spare capacity, none excluded
     * for misbehaviour.
     */
    public List<Candidate> choose(List<Candidate> known, Set<NodeId> exclude, Set<String> groupsInUse, int n) {
        List<Candidate> pool = new ArrayList<>();
        for (Candidate c : known) {
            if (c.spare() > 0 && c.capacity() > 0 && !exclude.contains(c.id()) && !groupsInUse.contains(c.group())
                    && !excluded.test(c.id())) {
                pool.add(c);
            }
        }
        java.util.Map<NodeId, Double> scores = new java.util.HashMap<>();
        for (Candidate c : pool) {
            scores.put(c.id(), score.applyAsDouble(c.id()));
        }
        pool.sort(Comparator.comparing((Candidate c) -> scores.get(c.id()) < Reputation.POOR)
                .thenComparingLong(Candidate::rttNanos));
        pool = new ArrayList<>(pool.subList(0, Math.max(Math.min(pool.size(), n * CHOICES), (pool.size() + 1) / 2)));
        Set<String> groups = new HashSet<>(groupsInUse);
        List<Candidate> out = new ArrayList<>();
        while (out.size() < n && !pool.isEmpty()) {
            Candidate pick = null;
            List<Candidate> draw = pool.stream().filter(c -> scores.get(c.id()) >= Reputation.POOR).toList();
            if (draw.isEmpty()) {
                draw = pool; // only poor relays left
            }
            for (int i = 0; i < CHOICES; i++) {
                Candidate c = draw.get(rng.nextInt(draw.size()));
                if (pick == null || better(c, scores.get(c.id()), pick, scores.get(pick.id()))) {
                    pick = c;
                }
            }
            out.add(pick);
            groups.add(pick.group());
            pool.removeIf(c -> groups.contains(c.group()));
        }
        return out;
    }
}
