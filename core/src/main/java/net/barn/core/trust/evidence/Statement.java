package net.barn.core.trust.evidence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.barn.core.crypto.Ed25519;
import net.barn.core.dht.Record;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.namespace.NameRecords;
import net.barn.core.trust.beacon.Checked;
import net.barn.wire.names.Handover;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.OwnerSignature;

/**
 * Something a node signed about a {@link Context} at a sequence: the raw material of
 * evidence. What the signature covers depends on the kind ({@link StatementRules}); for
 * records and name handovers it is the very signature the network already checks, so a
 * statement is built from what the signer published and needs no signature of its own.
 *
 * @param signer SHA-256 of {@code signerKey}
 * @param body what was said; compared between two statements to find a conflict
 */
public record Statement(NodeId signer, byte[] signerKey, Context context, long sequence, byte[] body, byte[] signature) {
    public Statement {
        if (signer == null || signerKey == null || context == null || body == null || signature == null) {
            throw new IllegalArgumentException("a statement needs every field");
        }
        signerKey = signerKey.clone();
        body = body.clone();
        signature = signature.clone();
    }

    /** A statement whose signer id is derived from the key, as on the wire. */
    public static Statement of(byte[] signerKey, Context context, long sequence, byte[] body, byte[] signature) {
        return new Statement(NodeId.ofPublicKey(signerKey), signerKey, context, sequence, body, signature);
    }

    /** Signs a statement of a kind that has a signature of its own (votes). */
    public static Statement sign(Identity signer, Context context, long sequence, byte[] body) {
        if (context.kind() != Context.Kind.VOTE) {
            throw new IllegalArgumentException(context.kind() + " statements are signed as records or handovers");
        }
        byte[] unsigned = StatementRules.voteSignedBytes(context.key(), sequence, body);
        return new Statement(signer.id(), signer.publicKey(), context, sequence, body, signer.sign(unsigned));
    }

    /**
     * The statement a signed DHT record makes: its publisher says "under this type and key, at
     * this sequence, the value is this". Name records (type 2) are refused: every cosigning owner
     * re-signs them at one sequence, so their record signatures prove nothing; see
     * {@link #ofHandovers}.
     */
    public static Checked<Statement> ofRecord(Record r) {
        if (r.type() == NameRecords.NAME) {
            return Checked.invalid("name records are re-signed by each cosigner; their handovers are the statements");
        }
        Statement s = of(r.publisherKey(), StatementRules.recordContext(r.type(), r.key()), r.sequence(),
                StatementRules.recordBody(r), r.signature());
        String shape = StatementRules.shapeProblem(s);
        return shape == null ? Checked.valid(s) : Checked.invalid(shape);
    }

    /**
     * The statements a name record carries about its owners: for each handover, each owner's
     * signature on it ("at this sequence the name passes to these owners"). Empty if the record
     * is not a readable name record. Signatures are not checked here.
     */
    public static List<Statement> ofHandovers(Record nameRecord) {
        if (nameRecord.type() != NameRecords.NAME) {
            return List.of();
        }
        NameClaim claim;
        try {
            claim = NameRecords.parts(nameRecord).claim();
        } catch (IllegalArgumentException e) {
            return List.of();
        }
        if (!claim.hasOrigin()) {
            return List.of();
        }
        Context context = new Context(Context.Kind.NAME_OWNERS, NameRecords.commitmentOf(claim));
        List<Statement> out = new ArrayList<>();
        for (Handover h : claim.getHandoversList()) {
            byte[] body = h.toBuilder().clearSignatures().build().toByteArray();
            for (OwnerSignature sig : h.getSignaturesList()) {
                byte[] key = sig.getOwnerKey().toByteArray();
                if (key.length == Ed25519.KEY_LENGTH) {
                    out.add(of(key, context, h.getSequence(), body, sig.getSignature().toByteArray()));
                }
            }
        }
        return out;
    }

    /** The bytes the signature covers; null if the body cannot be read for its kind. */
    public byte[] signedBytes() {
        return StatementRules.signedBytes(this);
    }

    /** Null if the statement is well formed and its signature holds, else why not. */
    public String problem(SignatureVerifier verifier) {
        String shape = StatementRules.shapeProblem(this);
        if (shape != null) {
            return shape;
        }
        return verifier.verify(signerKey, signedBytes(), signature) ? null : "signature does not verify";
    }

    /** True if both are about the same thing at the same sequence by the same signer. */
    public boolean sameSlot(Statement o) {
        return signer.equals(o.signer) && context.equals(o.context) && sequence == o.sequence;
    }

    /**
     * True if this and {@code o}, well formed and of one slot, say things that cannot both
     * hold. What counts depends on the kind: a record's value, a handover's owners and
     * threshold, a vote's choice (not its reason).
     */
    public boolean conflictsWith(Statement o) {
        return sameSlot(o) && StatementRules.conflict(this, o);
    }

    @Override
    public byte[] signerKey() {
        return signerKey.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Statement s && sequence == s.sequence && signer.equals(s.signer) && context.equals(s.context)
                && Arrays.equals(signerKey, s.signerKey) && Arrays.equals(body, s.body) && Arrays.equals(signature, s.signature);
    }

    @Override
    public int hashCode() {
        return (signer.hashCode() * 31 + context.hashCode()) * 31 + Long.hashCode(sequence);
    }

    @Override
    public String toString() {
        return "Statement[" + signer.shortForm() + ", " + context.kind() + ", seq " + sequence + ", " + body.length + " bytes]";
    }
}
