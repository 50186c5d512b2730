package net.barn.core.namespace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.wire.names.Invitation;
import net.barn.wire.names.MemberValue;

/**
 * Membership records (type 3): how members of a namespace network find each other in the
 * root network (docs/PROTOCOL.md section 12.6), and the invitations closed namespaces ask for.
 */
public final class MemberRecords {
    public static final int MEMBER = 3;
    /** Furthest a membership record may expire; members republish well before. */
    public static final long MAX_TTL_MILLIS = 2 * 3600 * 1000L;
    public static final long REPUBLISH_MILLIS = 30 * 60 * 1000L;
    static final byte[] INVITE_DOMAIN = "barn-invite-v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MAZE_DOMAIN = "barn-maze-v1".getBytes(StandardCharsets.US_ASCII);

    /** Where the members of a maze (a sub-namespace, "irc/#barn") are listed. */
    public static Key mazeKey(String fullName) {
        return Key.of(net.barn.core.crypto.Sha256.hash(MAZE_DOMAIN, fullName.getBytes(StandardCharsets.UTF_8)));
    }

    /** The key a membership of {@code name} (a namespace, or a maze inside one) lives under. */
    public static Key keyOf(String name) {
        return name.indexOf('/') < 0 ? NameRecords.nameKey(name) : mazeKey(name);
    }

    /**
     * {@code member}'s listing in the maze {@code fullName} ("irc/#barn", normal form), carrying
     * {@code parent}, the claim of its namespace, whose policy admits the member.
     */
    public static Record mazeMember(Identity member, String fullName, String address, Invitation invitation,
            boolean leaving, Record parent, long nowMillis, long ttlMillis) {
        MemberValue.Builder v = MemberValue.newBuilder().setNamespace(fullName).setAddress(address == null ? "" : address)
                .setLeaving(leaving).setParent(ByteString.copyFrom(net.barn.core.dht.DhtCodec.encodeRecord(parent)));
        if (invitation != null) {
            v.setInvitation(invitation);
        }
        return signed(member, fullName, v.build().toByteArray(), nowMillis, ttlMillis);
    }

    private static Record signed(Identity member, String name, byte[] value, long nowMillis, long ttlMillis) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        Key key = keyOf(name);
        long expires = nowMillis + ttlMillis;
        byte[] signed = RecordTypes.signedBytes(MEMBER, key, value, nowMillis, expires, member.publicKey(), n);
        return new Record(MEMBER, key, value, nowMillis, expires, member.publicKey(), n, member.sign(signed));
    }

    private MemberRecords() {}

    /** What an invitation's signature covers. */
    public static byte[] invitationSignedBytes(String namespace, NodeId member, long expiresAtMillis) {
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(INVITE_DOMAIN.length + ns.length + NodeId.LENGTH + 8).put(INVITE_DOMAIN).put(ns)
                .put(member.toBytes()).putLong(expiresAtMillis).array();
    }

    /** An invitation of {@code member} into {@code namespace}, signed by {@code inviter} (an owner or delegate). */
    public static Invitation invite(String namespace, NodeId member, long expiresAtMillis, Identity inviter) {
        return Invitation.newBuilder().setNamespace(namespace).setMember(ByteString.copyFrom(member.toBytes()))
                .setExpiresAtMillis(expiresAtMillis).setInviterKey(ByteString.copyFrom(inviter.publicKey()))
                .setSignature(ByteString.copyFrom(inviter.sign(invitationSignedBytes(namespace, member, expiresAtMillis))))
                .build();
    }

    /** {@code member}'s listing in {@code namespace} (normal form), valid for {@code ttlMillis}. */
    public static Record member(Identity member, String namespace, String address, Invitation invitation, boolean leaving,
            long nowMillis, long ttlMillis) {
        MemberValue.Builder v = MemberValue.newBuilder().setNamespace(namespace).setAddress(address == null ? "" : address)
                .setLeaving(leaving);
        if (invitation != null) {
            v.setInvitation(invitation);
        }
        return signed(member, namespace, v.build().toByteArray(), nowMillis, ttlMillis);
    }

    /** A member to contact: its id and where it accepts links. */
    public record Contact(NodeId id, net.barn.core.identity.PeerAddress address) {}

    /**
     * The members a joiner may contact, from the membership records it read: not itself, not
     * leaving, with an address, admitted by the namespace's policy (the joiner checks too,
     * replicas are not taken on their word); at most {@code max}, picked at random.
     */
    public static java.util.List<Contact> contacts(java.util.List<Record> records, NameState claim, NodeId self,
            NameValidator validator, long nowMillis, java.util.random.RandomGenerator rng, int max) {
        java.util.List<Contact> out = new java.util.ArrayList<>();
        java.util.Set<NodeId> seen = new java.util.HashSet<>();
        for (Record r : records) {
            NodeId id = NodeId.ofPublicKey(r.publisherKey());
            MemberValue v;
            try {
                v = value(r);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (id.equals(self) || v.getLeaving() || v.getAddress().isEmpty() || !seen.add(id)
                    || (claim != null && validator.membershipProblem(r, claim, nowMillis) != null)) {
                continue;
            }
            try {
                out.add(new Contact(id, net.barn.core.identity.PeerAddress.parse(v.getAddress())));
            } catch (IllegalArgumentException e) {
                // an address this node cannot read: skip the member
            }
        }
        for (int i = out.size() - 1; i > 0; i--) { // Fisher-Yates with the caller's generator
            java.util.Collections.swap(out, i, rng.nextInt(i + 1));
        }
        return out.subList(0, Math.min(max, out.size()));
    }

    /** The members the namespace's policy admits among these records (leaving ones excluded). */
    public static java.util.Set<NodeId> admitted(java.util.List<Record> records, NameState claim, NameValidator validator,
            long nowMillis) {
        java.util.Set<NodeId> out = new java.util.HashSet<>();
        for (Record r : records) {
            try {
                if (!value(r).getLeaving() && (claim == null || validator.membershipProblem(r, claim, nowMillis) == null)) {
                    out.add(NodeId.ofPublicKey(r.publisherKey()));
                }
            } catch (IllegalArgumentException e) {
                // not a membership: not admitted
            }
        }
        return out;
    }

    /** The value of a membership record; an {@link IllegalArgumentException} if it is none. */
    public static MemberValue value(Record r) {
        try {
            return MemberValue.parseFrom(r.value());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("value is not a membership");
        }
    }
}
