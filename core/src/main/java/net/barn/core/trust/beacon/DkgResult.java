package net.barn.core.trust.beacon;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedSet;

/**
 * A finished DKG or resharing: the dealers that qualified, the group's public side (group key
 * and every member's public share), and this member's secret share (null when it was a dealer
 * only, as an outgoing member in a resharing is).
 */
public record DkgResult(SortedSet<Integer> qualified, GroupKey group, SecretShare share, int receivers) {
    public DkgResult {
        qualified = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(qualified));
    }

    /** Every receiver's public share, by index 1..receivers. */
    public Map<Integer, BlsPublicKey> publicShares() {
        Map<Integer, BlsPublicKey> out = new LinkedHashMap<>();
        for (int i = 1; i <= receivers; i++) {
            out.put(i, group.publicShare(i));
        }
        return out;
    }
}
