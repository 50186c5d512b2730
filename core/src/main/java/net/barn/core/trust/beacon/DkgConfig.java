package net.barn.core.trust.beacon;

import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One member's parameters for a {@link Dkg} run. Dealers deal shares to receivers; in a fresh
 * DKG both are the committee 1..n; in a resharing the dealers are (some of) the old committee,
 * dealing shares of their old shares, and the receivers the new committee 1..n'.
 *
 * @param session identifies the run; messages of another run are refused
 * @param dealers dealer indices (at least 1 each)
 * @param receivers receiver count n: receivers are 1..n
 * @param threshold t of the new sharing: t receivers' shares sign
 * @param selfDealer this member's dealer index, or 0 if it does not deal
 * @param selfReceiver this member's receiver index, or 0 if it receives no share
 * @param previous in a resharing, the old group (to check that each dealer's constant is its
 *     old public share); null in a fresh DKG
 * @param previousShare in a resharing, this dealer's old share; else null
 */
public record DkgConfig(long session, SortedSet<Integer> dealers, int receivers, int threshold, int selfDealer,
        int selfReceiver, long dealNanos, long complaintNanos, long justificationNanos, GroupKey previous,
        SecretShare previousShare) {
    public DkgConfig {
        dealers = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(dealers));
        if (dealers.isEmpty() || dealers.first() < 1) {
            throw new IllegalArgumentException("dealer indices start at 1, and there is at least one dealer");
        }
        if (threshold < 1 || threshold > receivers) {
            throw new IllegalArgumentException("need 1 <= t <= receivers, got t=" + threshold + " n=" + receivers);
        }
        if (selfDealer != 0 && !dealers.contains(selfDealer)) {
            throw new IllegalArgumentException("dealer " + selfDealer + " is not among the dealers");
        }
        if (selfReceiver < 0 || selfReceiver > receivers) {
            throw new IllegalArgumentException("receiver " + selfReceiver + " is not in 1.." + receivers);
        }
        if (previous != null && selfDealer != 0 && (previousShare == null || previousShare.index() != selfDealer)) {
            throw new IllegalArgumentException("a resharing dealer deals its own old share");
        }
        if (previous != null && dealers.size() < previous.threshold()) {
            throw new IllegalArgumentException("a resharing needs at least the old threshold of dealers");
        }
    }

    /** Member {@code self} of a fresh DKG among 1..n with threshold t. */
    public static DkgConfig fresh(long session, int n, int threshold, int self, long phaseNanos) {
        TreeSet<Integer> all = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            all.add(i);
        }
        return new DkgConfig(session, all, n, threshold, self, self, phaseNanos, phaseNanos, phaseNanos, null, null);
    }

    /**
     * A participant in handing {@code previous}'s key to a new committee of {@code receivers}
     * with threshold t: an old member dealing its {@code previousShare} (else null), a new
     * member receiving {@code selfReceiver} (else 0), or both.
     */
    public static DkgConfig reshare(long session, GroupKey previous, SortedSet<Integer> oldDealers,
            SecretShare previousShare, int receivers, int threshold, int selfReceiver, long phaseNanos) {
        int selfDealer = previousShare == null ? 0 : previousShare.index();
        return new DkgConfig(session, oldDealers, receivers, threshold, selfDealer, selfReceiver, phaseNanos,
                phaseNanos, phaseNanos, previous, previousShare);
    }

    public boolean isResharing() {
        return previous != null;
    }
}
