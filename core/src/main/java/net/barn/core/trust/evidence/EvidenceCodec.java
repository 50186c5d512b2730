package net.barn.core.trust.evidence;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Arrays;
import net.barn.core.crypto.Ed25519;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.trust.beacon.Checked;

/**
 * Encodes evidence as barn.evidence.v1 (wire/src/main/proto/barn/evidence.proto) and decodes
 * it strictly: size limits before parsing, every field checked, and only the canonical
 * encoding accepted (the one {@link #encode} writes, statements in order), so one evidence
 * has one encoding and one id. Bad input is refused with a reason, never an exception.
 */
public final class EvidenceCodec {
    /** Largest evidence message: two statements with the largest bodies, and framing. */
    public static final int MAX_EVIDENCE_BYTES = 20 * 1024;
    /** Largest statement body. */
    public static final int MAX_BODY_BYTES = StatementRules.MAX_BODY_BYTES;

    private EvidenceCodec() {}

    public static byte[] encode(Evidence e) {
        return net.barn.wire.evidence.Evidence.newBuilder().setFirst(toWire(e.first())).setSecond(toWire(e.second()))
                .build().toByteArray();
    }

    /** One statement's encoding (barn.evidence.v1.Statement): what canonical order sorts by. */
    public static byte[] encodeStatement(Statement s) {
        return toWire(s).toByteArray();
    }

    private static net.barn.wire.evidence.Statement toWire(Statement s) {
        return net.barn.wire.evidence.Statement.newBuilder().setKindValue(s.context().kind().wire())
                .setContext(ByteString.copyFrom(s.context().key())).setSequence(s.sequence())
                .setBody(ByteString.copyFrom(s.body())).setSignerKey(ByteString.copyFrom(s.signerKey()))
                .setSignature(ByteString.copyFrom(s.signature())).build();
    }

    /**
     * Decodes one statement (barn.evidence.v1.Statement) as strictly as in evidence: the
     * canonical encoding only. Its signature is not checked. A steward vote travels this way.
     */
    public static Checked<Statement> decodeStatement(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > MAX_EVIDENCE_BYTES / 2) {
            return Checked.invalid("statement of " + (bytes == null ? 0 : bytes.length) + " bytes, 1.."
                    + MAX_EVIDENCE_BYTES / 2);
        }
        net.barn.wire.evidence.Statement w;
        try {
            w = net.barn.wire.evidence.Statement.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return Checked.invalid("not a statement: " + e.getMessage());
        }
        Checked<Statement> s = fromWire(w);
        if (s.isValid() && !Arrays.equals(encodeStatement(s.orElseThrow()), bytes)) {
            return Checked.invalid("statement not in canonical encoding");
        }
        return s;
    }

    /** Decodes evidence; its signatures and conflict are not checked (see {@link #decodeAndVerify}). */
    public static Checked<Evidence> decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return Checked.invalid("empty evidence");
        }
        if (bytes.length > MAX_EVIDENCE_BYTES) {
            return Checked.invalid("evidence of " + bytes.length + " bytes, limit " + MAX_EVIDENCE_BYTES);
        }
        net.barn.wire.evidence.Evidence w;
        try {
            w = net.barn.wire.evidence.Evidence.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return Checked.invalid("not an evidence message: " + e.getMessage());
        }
        if (!w.hasFirst() || !w.hasSecond()) {
            return Checked.invalid("evidence needs two statements");
        }
        Checked<Statement> a = fromWire(w.getFirst());
        if (!a.isValid()) {
            return Checked.invalid("first statement: " + a.reason());
        }
        Checked<Statement> b = fromWire(w.getSecond());
        if (!b.isValid()) {
            return Checked.invalid("second statement: " + b.reason());
        }
        Evidence e = new Evidence(a.orElseThrow(), b.orElseThrow());
        if (!Arrays.equals(encode(e), bytes)) {
            return Checked.invalid("evidence not in canonical encoding (field order, unknown fields or statement order)");
        }
        return Checked.valid(e);
    }

    /** Decodes and verifies: the only way untrusted evidence should be taken in. */
    public static Checked<Evidence> decodeAndVerify(byte[] bytes, SignatureVerifier verifier) {
        Checked<Evidence> d = decode(bytes);
        return d.isValid() ? Evidence.verify(d.orElseThrow(), verifier) : d;
    }

    private static Checked<Statement> fromWire(net.barn.wire.evidence.Statement w) {
        Context.Kind kind = Context.Kind.ofWire(w.getKindValue());
        if (kind == null) {
            return Checked.invalid("unknown statement kind " + w.getKindValue());
        }
        if (w.getContext().size() > Context.MAX_KEY_BYTES) {
            return Checked.invalid("context of " + w.getContext().size() + " bytes, limit " + Context.MAX_KEY_BYTES);
        }
        if (w.getBody().size() > MAX_BODY_BYTES) {
            return Checked.invalid("body of " + w.getBody().size() + " bytes, limit " + MAX_BODY_BYTES);
        }
        if (w.getSignerKey().size() != Ed25519.KEY_LENGTH) {
            return Checked.invalid("signer key is not " + Ed25519.KEY_LENGTH + " bytes");
        }
        if (w.getSignature().size() != Ed25519.SIGNATURE_LENGTH) {
            return Checked.invalid("signature is not " + Ed25519.SIGNATURE_LENGTH + " bytes");
        }
        return Checked.valid(Statement.of(w.getSignerKey().toByteArray(), new Context(kind, w.getContext().toByteArray()),
                w.getSequence(), w.getBody().toByteArray(), w.getSignature().toByteArray()));
    }
}
