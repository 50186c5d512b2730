package net.barn.core.namespace;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.function.UnaryOperator;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Record;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.wire.names.Countersignature;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.NamePolicy;
import net.barn.wire.names.Origin;

/**
 * Builds name records: a first claim from its commitment's countersignatures and work, and
 * later versions (renewal, transfer, policy, delegation) that keep the first claim's origin.
 */
public final class NameClaims {
    private NameClaims() {}

    /** The owners (node ids) and terms a claim starts with. */
    public record Terms(List<NodeId> owners, int threshold, NamePolicy policy, long leaseMillis) {
        public Terms {
            owners = List.copyOf(owners);
        }

        public static Terms soleOwner(Identity owner, long leaseMillis) {
            return new Terms(List.of(owner.id()), 1, NamePolicy.getDefaultInstance(), leaseMillis);
        }
    }

    /**
     * The first claim of {@code name} (normal form) by {@code claimant}, revealed at
     * {@code nowMillis}: {@code countersigned} are the replicas' answers to its commitment,
     * {@code powNonce} solves the work for that commitment. Owners other than the claimant
     * alone are set by a handover the claimant signs.
     */
    public static Record firstClaim(String name, Identity claimant, byte[] salt, long powNonce,
            List<DhtMessage.Countersigned> countersigned, Terms terms, long nowMillis, NameRules rules) {
        Origin.Builder origin = Origin.newBuilder().setClaimantKey(ByteString.copyFrom(claimant.publicKey()))
                .setSalt(ByteString.copyFrom(salt)).setPowNonce(powNonce).setClaimedAtMillis(nowMillis);
        for (DhtMessage.Countersigned c : countersigned.subList(0, Math.min(countersigned.size(), NameRules.MAX_COUNTERSIGNATURES))) {
            origin.addCountersignatures(Countersignature.newBuilder().setSignerKey(ByteString.copyFrom(c.signerKey()))
                    .setSignerPowNonce(c.signerPowNonce()).setAtMillis(c.atMillis()).setSignature(ByteString.copyFrom(c.signature())));
        }
        NameClaim.Builder claim = NameClaim.newBuilder().setName(name).setSequence(1).setThreshold(terms.threshold())
                .setLeaseUntilMillis(nowMillis + terms.leaseMillis()).setPolicy(terms.policy()).setOrigin(origin);
        terms.owners().forEach(o -> claim.addOwners(ByteString.copyFrom(o.toBytes())));
        if (!terms.owners().equals(List.of(claimant.id())) || terms.threshold() != 1) {
            claim.addHandovers(NameRecords.handover(NameRecords.commitment(name, claimant.publicKey(), salt), 1,
                    terms.owners().stream().map(NodeId::toBytes).toList(), terms.threshold(), List.of(claimant)));
        }
        return NameRecords.sign(claim.build(), List.of(claimant), claimant, rules);
    }

    /**
     * The next version of a name: {@code change} edits a copy of the current claim (its
     * sequence is raised by one first); {@code approvers} sign it, {@code submitter} submits it.
     */
    public static Record update(NameState current, UnaryOperator<NameClaim.Builder> change, List<Identity> approvers,
            Identity submitter, NameRules rules) {
        NameClaim base = NameRecords.parts(current.record()).claim();
        NameClaim next = change.apply(base.toBuilder().setSequence(base.getSequence() + 1)).build();
        return NameRecords.sign(next, approvers, submitter, rules);
    }

    /** Renews the lease to {@code nowMillis + leaseMillis}. */
    public static UnaryOperator<NameClaim.Builder> renew(long nowMillis, long leaseMillis) {
        return b -> b.setLeaseUntilMillis(nowMillis + leaseMillis);
    }

    /** Replaces the policy. */
    public static UnaryOperator<NameClaim.Builder> policy(NamePolicy policy) {
        return b -> b.setPolicy(policy);
    }

    /**
     * Hands the name to {@code owners}: a handover signed by {@code approvers} (enough of the
     * current owners) is appended, and the claim's owners follow it.
     */
    public static Record transfer(NameState current, List<NodeId> owners, int threshold, List<Identity> approvers,
            Identity submitter, NameRules rules) {
        NameClaim base = NameRecords.parts(current.record()).claim();
        long seq = base.getSequence() + 1;
        List<byte[]> raw = owners.stream().map(NodeId::toBytes).toList();
        NameClaim.Builder b = base.toBuilder().setSequence(seq).clearOwners().setThreshold(threshold)
                .addHandovers(NameRecords.handover(NameRecords.commitmentOf(base), seq, raw, threshold, approvers));
        raw.forEach(o -> b.addOwners(ByteString.copyFrom(o)));
        return NameRecords.sign(b.build(), approvers, submitter, rules);
    }
}
