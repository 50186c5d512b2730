package net.barn.core.trust.evidence;

import java.util.Arrays;
import java.util.HexFormat;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Checked;

/**
 * Proof that a node equivocated: two statements it signed about one context at one sequence
 * that conflict. Nobody but the signer can make it, so any node that checks it may act on it
 * alone. The pair is kept in canonical order (by statement encoding), so (a, b) and (b, a)
 * are one evidence with one {@link #id()}. A value of this type is not yet checked: use
 * {@link #verify}.
 */
public record Evidence(Statement first, Statement second) {
    public Evidence {
        if (first == null || second == null) {
            throw new IllegalArgumentException("evidence needs two statements");
        }
        if (Arrays.compareUnsigned(EvidenceCodec.encodeStatement(first), EvidenceCodec.encodeStatement(second)) > 0) {
            Statement t = first;
            first = second;
            second = t;
        }
    }

    /** The node the evidence is against. */
    public NodeId offender() {
        return first.signer();
    }

    /** The canonical encoding (barn.evidence.v1.Evidence). */
    public byte[] encode() {
        return EvidenceCodec.encode(this);
    }

    /** SHA-256 of the canonical encoding. */
    public byte[] id() {
        return Sha256.hash(encode());
    }

    public String idHex() {
        return HexFormat.of().formatHex(id());
    }

    /**
     * Checks that the evidence proves what it claims: one signer, one context and sequence,
     * conflicting bodies, both signatures valid. Cheap checks come first, so fake evidence
     * costs no signature check unless it is well formed.
     */
    public static Checked<Evidence> verify(Evidence e, SignatureVerifier verifier) {
        Statement a = e.first;
        Statement b = e.second;
        if (!a.signer().equals(b.signer()) || !Arrays.equals(a.signerKey(), b.signerKey())) {
            return Checked.invalid("statements by different signers");
        }
        if (!a.context().equals(b.context())) {
            return Checked.invalid("statements about different contexts");
        }
        if (a.sequence() != b.sequence()) {
            return Checked.invalid("statements at different sequences (" + a.sequence() + ", " + b.sequence() + ")");
        }
        for (Statement s : new Statement[] {a, b}) {
            String shape = StatementRules.shapeProblem(s);
            if (shape != null) {
                return Checked.invalid((s == a ? "first" : "second") + " statement: " + shape);
            }
        }
        if (!StatementRules.conflict(a, b)) {
            return Checked.invalid("statements do not conflict");
        }
        for (Statement s : new Statement[] {a, b}) {
            if (!verifier.verify(s.signerKey(), s.signedBytes(), s.signature())) {
                return Checked.invalid((s == a ? "first" : "second") + " statement: signature does not verify");
            }
        }
        return Checked.valid(e);
    }

    @Override
    public String toString() {
        return "Evidence[" + offender().shortForm() + ", " + first.context().kind() + ", seq " + first.sequence() + "]";
    }
}
