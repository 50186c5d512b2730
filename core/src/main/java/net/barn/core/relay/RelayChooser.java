package net.barn.core.relay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import net.barn.core.identity.NodeId;

/**
 * How a node that cannot be reached picks its relays (sans-IO, randomness injected): among
 * relays it knows with spare capacity, by the power of two choices, each pick the better of
 * two drawn at random, "better" being more spare capacity per unit of round-trip time; never
 * two relays in one IP group. Drawing two instead of taking the best keeps a popular, close
 * relay from being chosen by everyone at once (everyone's view of spare capacity lags).
 */
public final class RelayChooser {
    /** The round trip at which a relay's score is halved. */
    static final long RTT_SCALE_NANOS = 100_000_000L;

    /** A relay the node knows: its advertised spare capacity (0..1) and the round trip to it. */
    public record Candidate(NodeId id, String group, double spare, long rttNanos) {}

    private final RandomGenerator rng;

    public RelayChooser(RandomGenerator rng) {
        this.rng = rng;
    }

    static double score(Candidate c) {
        return c.spare() / (1.0 + c.rttNanos() / (double) RTT_SCALE_NANOS);
    }

    /**
     * Up to {@code n} relays from {@code known}, none in {@code exclude} (held already, or
     * refused lately) nor in {@code groupsInUse}, none without spare capacity.
     */
    public List<Candidate> choose(List<Candidate> known, Set<NodeId> exclude, Set<String> groupsInUse, int n) {
        List<Candidate> pool = new ArrayList<>();
        for (Candidate c : known) {
            if (c.spare() > 0 && !exclude.contains(c.id()) && !groupsInUse.contains(c.group())) {
                pool.add(c);
            }
        }
        Set<String> groups = new HashSet<>(groupsInUse);
        List<Candidate> out = new ArrayList<>();
        while (out.size() < n && !pool.isEmpty()) {
            Candidate a = pool.get(rng.nextInt(pool.size()));
            Candidate b = pool.get(rng.nextInt(pool.size()));
            Candidate pick = score(a) >= score(b) ? a : b;
            out.add(pick);
            groups.add(pick.group());
            pool.removeIf(c -> groups.contains(c.group()));
        }
        return out;
    }
}
