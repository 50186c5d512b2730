package net.barn.core.namespace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.wire.names.Handover;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.NameValue;
import net.barn.wire.names.OwnerSignature;

/**
 * Name records (type 2): where they live, what their commitments are, how they are signed
 * and read back (docs/PROTOCOL.md section 11).
 */
public final class NameRecords {
    public static final int NAME = 2;
    public static final int SALT_BYTES = 16;
    static final byte[] KEY_DOMAIN = "barn-name-v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] COMMIT_DOMAIN = "barn-commit-v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] CLAIM_DOMAIN = "barn-name-claim-v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] HANDOVER_DOMAIN = "barn-name-handover-v1".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private NameRecords() {}

    /** The key a top-level name (in normal form) lives under: SHA-256("barn-name-v1" || name). */
    public static Key nameKey(String normalName) {
        return Key.of(Sha256.hash(KEY_DOMAIN, normalName.getBytes(StandardCharsets.UTF_8)));
    }

    /** SHA-256("barn-commit-v1" || name || claimant key || salt). */
    public static byte[] commitment(String normalName, byte[] claimantKey, byte[] salt) {
        return Sha256.hash(COMMIT_DOMAIN, normalName.getBytes(StandardCharsets.UTF_8), claimantKey, salt);
    }

    /** What each owner's approval covers: "barn-name-claim-v1" || claim bytes. */
    public static byte[] claimSignedBytes(byte[] claimBytes) {
        byte[] out = new byte[CLAIM_DOMAIN.length + claimBytes.length];
        System.arraycopy(CLAIM_DOMAIN, 0, out, 0, CLAIM_DOMAIN.length);
        System.arraycopy(claimBytes, 0, out, CLAIM_DOMAIN.length, claimBytes.length);
        return out;
    }

    /** What each approval of a handover covers. */
    public static byte[] handoverSignedBytes(byte[] commitment, Handover h) {
        byte[] body = h.toBuilder().clearSignatures().build().toByteArray();
        byte[] out = new byte[HANDOVER_DOMAIN.length + commitment.length + body.length];
        System.arraycopy(HANDOVER_DOMAIN, 0, out, 0, HANDOVER_DOMAIN.length);
        System.arraycopy(commitment, 0, out, HANDOVER_DOMAIN.length, commitment.length);
        System.arraycopy(body, 0, out, HANDOVER_DOMAIN.length + commitment.length, body.length);
        return out;
    }

    /** A handover to {@code owners} (node ids) at {@code sequence}, approved by {@code approvers}. */
    public static Handover handover(byte[] commitment, long sequence, List<byte[]> owners, int threshold,
            List<Identity> approvers) {
        Handover.Builder b = Handover.newBuilder().setSequence(sequence).setThreshold(threshold);
        owners.forEach(o -> b.addOwners(ByteString.copyFrom(o)));
        Handover unsigned = b.build();
        byte[] signed = handoverSignedBytes(commitment, unsigned);
        Set<String> seen = new LinkedHashSet<>();
        for (Identity a : approvers) {
            if (seen.add(HEX.formatHex(a.publicKey()))) {
                b.addSignatures(OwnerSignature.newBuilder().setOwnerKey(ByteString.copyFrom(a.publicKey()))
                        .setSignature(ByteString.copyFrom(a.sign(signed))));
            }
        }
        return b.build();
    }

    /** The commitment a claim's origin makes. */
    public static byte[] commitmentOf(NameClaim c) {
        return commitment(c.getName(), c.getOrigin().getClaimantKey().toByteArray(), c.getOrigin().getSalt().toByteArray());
    }

    /**
     * Signs a claim body by each of {@code owners} (who approve it) and wraps it in a record
     * submitted by {@code submitter}. The record expires when the lease plus grace ends.
     */
    public static Record sign(NameClaim claim, List<Identity> owners, Identity submitter, NameRules rules) {
        byte[] body = claim.toByteArray();
        NameValue.Builder value = NameValue.newBuilder().setClaim(ByteString.copyFrom(body));
        Set<String> seen = new LinkedHashSet<>();
        for (Identity o : owners) {
            if (seen.add(HEX.formatHex(o.publicKey()))) {
                value.addSignatures(OwnerSignature.newBuilder().setOwnerKey(ByteString.copyFrom(o.publicKey()))
                        .setSignature(ByteString.copyFrom(o.sign(claimSignedBytes(body)))));
            }
        }
        byte[] v = value.build().toByteArray();
        byte[] name = claim.getName().getBytes(StandardCharsets.UTF_8);
        Key key = nameKey(claim.getName());
        long expires = claim.getLeaseUntilMillis() + rules.graceMillis();
        byte[] signed = RecordTypes.signedBytes(NAME, key, v, claim.getSequence(), expires, submitter.publicKey(), name);
        return new Record(NAME, key, v, claim.getSequence(), expires, submitter.publicKey(), name, submitter.sign(signed));
    }

    /**
     * Adds {@code signer}'s approval to a proposed version (k-of-m owners) and makes
     * {@code signer} its submitter. If a handover takes effect at this version and still lacks
     * {@code handoverThreshold} signatures, the signer signs the handover (which changes the
     * claim body, so approvals of the body made before are dropped: they are given again in a
     * second round); otherwise it signs the claim body, keeping the approvals already there.
     */
    public static Record cosign(Record proposal, Identity signer, int handoverThreshold) {
        Parts p = parts(proposal);
        NameClaim claim = p.claim();
        ByteString me = ByteString.copyFrom(signer.publicKey());
        List<OwnerSignature> kept = new java.util.ArrayList<>(p.signatures());
        int last = claim.getHandoversCount() - 1;
        if (last >= 0 && claim.getHandovers(last).getSequence() == claim.getSequence()
                && claim.getHandovers(last).getSignaturesCount() < handoverThreshold
                && claim.getHandovers(last).getSignaturesList().stream().noneMatch(x -> x.getOwnerKey().equals(me))) {
            Handover h = claim.getHandovers(last);
            byte[] signed = handoverSignedBytes(commitmentOf(claim), h);
            claim = claim.toBuilder().setHandovers(last, h.toBuilder().addSignatures(OwnerSignature.newBuilder()
                    .setOwnerKey(me).setSignature(ByteString.copyFrom(signer.sign(signed))))).build();
            kept.clear();
        }
        byte[] body = claim.toByteArray();
        NameValue.Builder value = NameValue.newBuilder().setClaim(ByteString.copyFrom(body));
        kept.stream().filter(x -> !x.getOwnerKey().equals(me)).forEach(value::addSignatures);
        value.addSignatures(OwnerSignature.newBuilder().setOwnerKey(me)
                .setSignature(ByteString.copyFrom(signer.sign(claimSignedBytes(body)))));
        byte[] v = value.build().toByteArray();
        byte[] signed = RecordTypes.signedBytes(NAME, proposal.key(), v, proposal.sequence(), proposal.expiresAtMillis(),
                signer.publicKey(), proposal.name());
        return new Record(NAME, proposal.key(), v, proposal.sequence(), proposal.expiresAtMillis(), signer.publicKey(),
                proposal.name(), signer.sign(signed));
    }

    /** The parts of a name record, as its signers wrote them (not yet judged). */
    public record Parts(NameClaim claim, byte[] claimBytes, List<OwnerSignature> signatures) {}

    /** Splits a record's value; an {@link IllegalArgumentException} if it is not a name value. */
    public static Parts parts(Record r) {
        try {
            NameValue v = NameValue.parseFrom(r.value());
            return new Parts(NameClaim.parseFrom(v.getClaim()), v.getClaim().toByteArray(), new ArrayList<>(v.getSignaturesList()));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("value is not a name claim");
        }
    }

    /** Lowercase hex of a key, the form sets of owners use. */
    public static String hex(byte[] key) {
        return HEX.formatHex(key);
    }

    public static String hex(ByteString key) {
        return HEX.formatHex(key.toByteArray());
    }
}
