package net.barn.core.trust.beacon;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A threshold group's public side: the commitment to its secret polynomial, from which follow
 * the group public key (index 0) and every member's public share. What a verifier or a new
 * committee needs; no secret.
 */
public final class GroupKey {
    private final FeldmanCommitment commitment;
    private final BlsPublicKey publicKey;
    private final Map<Integer, BlsPublicKey> shares = new ConcurrentHashMap<>();

    public GroupKey(FeldmanCommitment commitment) {
        this.commitment = commitment;
        this.publicKey = BlsPublicKey.of(commitment.constant());
    }

    /** How many partial signatures make a group signature. */
    public int threshold() {
        return commitment.threshold();
    }

    public BlsPublicKey publicKey() {
        return publicKey;
    }

    /** The public key of member {@code index}'s share, to check its partial signatures. */
    public BlsPublicKey publicShare(int index) {
        return shares.computeIfAbsent(index, commitment::publicShare);
    }

    public FeldmanCommitment commitment() {
        return commitment;
    }

    @Override
    public String toString() {
        return "GroupKey[t=" + threshold() + ", " + publicKey + "]";
    }
}
