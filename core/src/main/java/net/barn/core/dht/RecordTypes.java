package net.barn.core.dht;

import java.nio.charset.StandardCharsets;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.wire.dht.SignedRecord;

/**
 * The record types of the root network and their validators. Type 1, OWNED: a value a node
 * publishes under a name of its own; only it can sign it, the key is
 * SHA-256("barn-owned-v1" || publisher node id || name), so nobody can squat another
 * node's name. Later issues add types (namespace claims, peer records) here.
 */
public final class RecordTypes {
    public static final int OWNED = 1;
    public static final int MAX_NAME_BYTES = 64;
    static final byte[] SIGNATURE_DOMAIN = "barn-record-v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] OWNED_KEY_DOMAIN = "barn-owned-v1".getBytes(StandardCharsets.US_ASCII);

    private RecordTypes() {}

    /** The key an owned record of {@code publisher} called {@code name} lives under. */
    public static Key ownedKey(NodeId publisher, byte[] name) {
        return Key.of(Sha256.hash(OWNED_KEY_DOMAIN, publisher.toBytes(), name));
    }

    /** Makes and signs an owned record. */
    public static Record owned(Identity publisher, String name, byte[] value, long sequence, long expiresAtMillis) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        Key key = ownedKey(publisher.id(), n);
        byte[] signed = signedBytes(OWNED, key, value, sequence, expiresAtMillis, publisher.publicKey(), n);
        return new Record(OWNED, key, value, sequence, expiresAtMillis, publisher.publicKey(), n, publisher.sign(signed));
    }

    /** What a record's signature covers: the domain prefix and the canonical SignedRecord encoding. */
    public static byte[] signedBytes(int type, Key key, byte[] value, long sequence, long expiresAtMillis,
            byte[] publisherKey, byte[] name) {
        byte[] body = SignedRecord.newBuilder()
                .setType(type)
                .setKey(com.google.protobuf.ByteString.copyFrom(key.toBytes()))
                .setValue(com.google.protobuf.ByteString.copyFrom(value))
                .setSequence(sequence)
                .setExpiresAtMillis(expiresAtMillis)
                .setPublisherKey(com.google.protobuf.ByteString.copyFrom(publisherKey))
                .setName(com.google.protobuf.ByteString.copyFrom(name))
                .build().toByteArray();
        byte[] out = new byte[SIGNATURE_DOMAIN.length + body.length];
        System.arraycopy(SIGNATURE_DOMAIN, 0, out, 0, SIGNATURE_DOMAIN.length);
        System.arraycopy(body, 0, out, SIGNATURE_DOMAIN.length, body.length);
        return out;
    }

    /**
     * Null if the record is valid at {@code nowMillis} under {@code config}, else the reason.
     * Checks everything but whether it is newer than what a node already holds.
     */
    public static String problem(Record r, long nowMillis, DhtConfig config, SignatureVerifier verifier) {
        if (r.type() != OWNED) {
            return "unknown record type " + r.type();
        }
        if (r.value().length > config.maxValueBytes()) {
            return "value of " + r.value().length + " bytes, limit " + config.maxValueBytes();
        }
        if (r.name().length == 0 || r.name().length > MAX_NAME_BYTES) {
            return "name must be 1.." + MAX_NAME_BYTES + " bytes";
        }
        if (r.expiresAtMillis() <= nowMillis) {
            return "expired";
        }
        if (r.expiresAtMillis() > nowMillis + config.maxTtlMillis()) {
            return "expires more than " + config.maxTtlMillis() / 3_600_000 + " h from now";
        }
        if (r.publisherKey().length != Ed25519.KEY_LENGTH || r.signature().length != Ed25519.SIGNATURE_LENGTH) {
            return "publisher key or signature of the wrong length";
        }
        if (!ownedKey(NodeId.ofPublicKey(r.publisherKey()), r.name()).equals(r.key())) {
            return "key does not belong to this publisher and name";
        }
        byte[] signed = signedBytes(r.type(), r.key(), r.value(), r.sequence(), r.expiresAtMillis(), r.publisherKey(), r.name());
        if (!verifier.verify(r.publisherKey(), signed, r.signature())) {
            return "bad signature";
        }
        return null;
    }
}
