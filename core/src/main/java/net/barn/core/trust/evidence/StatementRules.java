package net.barn.core.trust.evidence;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.barn.core.crypto.Ed25519;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.NodeId;
import net.barn.core.namespace.NameRecords;
import net.barn.wire.dht.SignedRecord;
import net.barn.wire.names.Handover;

/**
 * Per kind of statement: what its body must look like, what its signature covers, and when
 * two bodies conflict. Bodies must be in the canonical encoding the signer's code writes, so
 * one statement has one encoding and one evidence id.
 */
final class StatementRules {
    /** Largest body: a record's signed encoding with the largest value the root network stores (8 KiB). */
    static final int MAX_BODY_BYTES = 9216;
    static final byte[] VOTE_DOMAIN = "barn-steward-vote-v1".getBytes(StandardCharsets.US_ASCII);
    private static final int RECORD_CONTEXT_BYTES = 4 + Key.BYTES;

    private StatementRules() {}

    static Context recordContext(int type, Key key) {
        return new Context(Context.Kind.RECORD, ByteBuffer.allocate(RECORD_CONTEXT_BYTES).putInt(type).put(key.toBytes()).array());
    }

    static byte[] recordBody(Record r) {
        return recordBody(r.type(), r.key().toBytes(), r.value(), r.sequence(), r.expiresAtMillis(), r.publisherKey(), r.name());
    }

    /** The SignedRecord encoding, built field by field as {@link RecordTypes#signedBytes} does. */
    private static byte[] recordBody(int type, byte[] key, byte[] value, long sequence, long expires, byte[] publisher,
            byte[] name) {
        return SignedRecord.newBuilder().setType(type).setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .setSequence(sequence).setExpiresAtMillis(expires).setPublisherKey(ByteString.copyFrom(publisher))
                .setName(ByteString.copyFrom(name)).build().toByteArray();
    }

    static byte[] voteSignedBytes(byte[] context, long sequence, byte[] body) {
        return ByteBuffer.allocate(VOTE_DOMAIN.length + 1 + context.length + 8 + body.length).put(VOTE_DOMAIN)
                .put((byte) context.length).put(context).putLong(sequence).put(body).array();
    }

    /** Null if the statement has the shape its kind requires, else why not. Checks no signature. */
    static String shapeProblem(Statement s) {
        if (s.signerKey().length != Ed25519.KEY_LENGTH) {
            return "signer key is not " + Ed25519.KEY_LENGTH + " bytes";
        }
        if (!NodeId.ofPublicKey(s.signerKey()).equals(s.signer())) {
            return "signer id is not the hash of the signer key";
        }
        if (s.signature().length != Ed25519.SIGNATURE_LENGTH) {
            return "signature is not " + Ed25519.SIGNATURE_LENGTH + " bytes";
        }
        byte[] context = s.context().key();
        if (context.length > Context.MAX_KEY_BYTES) {
            return "context of " + context.length + " bytes, limit " + Context.MAX_KEY_BYTES;
        }
        if (s.body().length > MAX_BODY_BYTES) {
            return "body of " + s.body().length + " bytes, limit " + MAX_BODY_BYTES;
        }
        return switch (s.context().kind()) {
            case RECORD -> recordProblem(s, context);
            case NAME_OWNERS -> handoverProblem(s, context);
            case VOTE -> voteProblem(s, context);
        };
    }

    private static String recordProblem(Statement s, byte[] context) {
        if (context.length != RECORD_CONTEXT_BYTES) {
            return "record context is not type and key (" + RECORD_CONTEXT_BYTES + " bytes)";
        }
        SignedRecord r = parseRecord(s.body());
        if (r == null) {
            return "body is not a signed record";
        }
        byte[] key = r.getKey().toByteArray();
        if (key.length != Key.BYTES) {
            return "record key is not " + Key.BYTES + " bytes";
        }
        if (!Arrays.equals(s.body(), recordBody(r.getType(), key, r.getValue().toByteArray(), r.getSequence(),
                r.getExpiresAtMillis(), r.getPublisherKey().toByteArray(), r.getName().toByteArray()))) {
            return "record body is not in canonical form";
        }
        if (r.getType() == NameRecords.NAME) {
            return "name records are re-signed by each cosigner; their handovers are the statements";
        }
        if (!Arrays.equals(context, ByteBuffer.allocate(RECORD_CONTEXT_BYTES).putInt(r.getType()).put(key).array())) {
            return "record type and key differ from the context";
        }
        if (r.getSequence() != s.sequence()) {
            return "record sequence differs from the statement's";
        }
        if (!Arrays.equals(r.getPublisherKey().toByteArray(), s.signerKey())) {
            return "record publisher is not the signer";
        }
        return null;
    }

    private static String handoverProblem(Statement s, byte[] context) {
        if (context.length != 32) {
            return "name context is not a 32-byte commitment";
        }
        Handover h;
        try {
            h = Handover.parseFrom(s.body());
        } catch (InvalidProtocolBufferException e) {
            return "body is not a handover";
        }
        if (h.getSignaturesCount() != 0 || !Arrays.equals(h.toByteArray(), s.body())) {
            return "handover body is not in canonical form (signatures cleared)";
        }
        if (h.getSequence() != s.sequence()) {
            return "handover sequence differs from the statement's";
        }
        return null;
    }

    private static String voteProblem(Statement s, byte[] context) {
        String motion = StewardVote.motionProblem(context);
        if (motion != null) {
            return motion;
        }
        return StewardVote.bodyProblem(s.body());
    }

    /** What the signature covers; null for a body that cannot be read. */
    static byte[] signedBytes(Statement s) {
        return switch (s.context().kind()) {
            case RECORD -> {
                SignedRecord r = parseRecord(s.body());
                yield r == null || r.getKey().size() != Key.BYTES ? null : RecordTypes.signedBytes(r.getType(),
                        Key.of(r.getKey().toByteArray()), r.getValue().toByteArray(), r.getSequence(), r.getExpiresAtMillis(),
                        r.getPublisherKey().toByteArray(), r.getName().toByteArray());
            }
            case NAME_OWNERS -> {
                try {
                    yield NameRecords.handoverSignedBytes(s.context().key(), Handover.parseFrom(s.body()));
                } catch (InvalidProtocolBufferException e) {
                    yield null;
                }
            }
            case VOTE -> voteSignedBytes(s.context().key(), s.sequence(), s.body());
        };
    }

    /** Whether two well-formed statements of one slot say incompatible things. */
    static boolean conflict(Statement a, Statement b) {
        return switch (a.context().kind()) {
            case RECORD -> {
                // A republished record with a new expiry but the same value is no lie.
                SignedRecord ra = parseRecord(a.body());
                SignedRecord rb = parseRecord(b.body());
                yield ra != null && rb != null && !ra.getValue().equals(rb.getValue());
            }
            case NAME_OWNERS -> !Arrays.equals(a.body(), b.body());
            case VOTE -> a.body().length > 0 && b.body().length > 0 && a.body()[0] != b.body()[0];
        };
    }

    private static SignedRecord parseRecord(byte[] body) {
        try {
            return SignedRecord.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }
}
