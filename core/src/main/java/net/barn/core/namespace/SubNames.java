package net.barn.core.namespace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.DhtCodec;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.wire.names.SubNameValue;

/**
 * Sub-names inside a namespace (type 4): nicks, channels, services, pointing at a node and
 * a port or service (docs/PROTOCOL.md section 12.7). Who may register one is the
 * namespace's policy: anyone, first come ({@code MEMBERS}), or its owners and the delegates
 * of the label ({@code OWNERS}).
 */
public final class SubNames {
    public static final int SUBNAME = 4;
    public static final long MAX_TTL_MILLIS = 30L * 24 * 3600 * 1000;
    static final byte[] KEY_DOMAIN = "barn-subname-v1".getBytes(StandardCharsets.US_ASCII);

    private SubNames() {}

    public static Key key(String fullName) {
        return Key.of(Sha256.hash(KEY_DOMAIN, fullName.getBytes(StandardCharsets.UTF_8)));
    }

    /** The namespace (first label) of a full name. */
    public static String namespaceOf(String fullName) {
        int slash = fullName.indexOf('/');
        return slash < 0 ? fullName : fullName.substring(0, slash);
    }

    /** The label under the namespace ("#barn" of "irc/#barn/x"): what delegations name. */
    public static String firstLabel(String fullName) {
        String[] parts = fullName.split("/");
        return parts.length > 1 ? parts[1] : "";
    }

    /** {@code registrant}'s sub-name {@code fullName} (normal form) for {@code target}, relying on {@code parent}. */
    public static Record register(Identity registrant, String fullName, NodeId target, int port, String service, Record parent,
            long nowMillis, long ttlMillis) {
        byte[] value = SubNameValue.newBuilder().setName(fullName).setTarget(ByteString.copyFrom(target.toBytes()))
                .setPort(port).setService(service == null ? "" : service)
                .setParent(ByteString.copyFrom(DhtCodec.encodeRecord(parent))).build().toByteArray();
        byte[] name = fullName.getBytes(StandardCharsets.UTF_8);
        Key key = key(fullName);
        long expires = nowMillis + ttlMillis;
        byte[] signed = RecordTypes.signedBytes(SUBNAME, key, value, nowMillis, expires, registrant.publicKey(), name);
        return new Record(SUBNAME, key, value, nowMillis, expires, registrant.publicKey(), name, registrant.sign(signed));
    }

    public static SubNameValue value(Record r) {
        try {
            return SubNameValue.parseFrom(r.value());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("value is not a sub-name");
        }
    }
}
