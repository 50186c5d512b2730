package net.barn.core.dht;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/** Root-network messages to and from their protobuf encoding (barn/dht.proto). */
public final class DhtCodec {
    public static final int MAX_MESSAGE = 65_536;
    public static final int MAX_CONTACTS = 64;
    public static final int MAX_MORE = 15;
    /** A presence ticket is 104 bytes; room for a later encoding, no more. */
    public static final int MAX_TICKET = 256;

    private DhtCodec() {}

    public static byte[] encode(DhtMessage m) {
        net.barn.wire.dht.DhtMessage.Builder b = net.barn.wire.dht.DhtMessage.newBuilder()
                .setId(m.id()).setSender(contact(m.sender()));
        switch (m) {
            case DhtMessage.Ping p -> b.setPing(net.barn.wire.dht.Ping.getDefaultInstance());
            case DhtMessage.Pong p -> b.setPong(net.barn.wire.dht.Pong.newBuilder()
                    .setObservedAddress(p.observedAddress() == null ? "" : p.observedAddress()));
            case DhtMessage.FindNode f -> b.setFindNode(net.barn.wire.dht.FindNode.newBuilder()
                    .setTarget(ByteString.copyFrom(f.target().toBytes())));
            case DhtMessage.Nodes n -> b.setNodes(net.barn.wire.dht.Nodes.newBuilder()
                    .addAllContacts(n.contacts().stream().map(DhtCodec::contact).toList()));
            case DhtMessage.FindValue f -> {
                net.barn.wire.dht.FindValue.Builder fb = net.barn.wire.dht.FindValue.newBuilder()
                        .setKey(ByteString.copyFrom(f.key().toBytes())).setType(f.type());
                if (!f.target().equals(f.key())) {
                    fb.setTarget(ByteString.copyFrom(f.target().toBytes()));
                }
                b.setFindValue(fb);
            }
            case DhtMessage.Value v -> {
                net.barn.wire.dht.Value.Builder vb = net.barn.wire.dht.Value.newBuilder()
                        .addAllContacts(v.contacts().stream().map(DhtCodec::contact).toList());
                if (v.record() != null) {
                    vb.setRecord(record(v.record()));
                }
                v.more().forEach(r -> vb.addMore(record(r)));
                vb.setTicket(ByteString.copyFrom(v.ticket()));
                b.setValue(vb);
            }
            case DhtMessage.Store s -> b.setStore(net.barn.wire.dht.Store.newBuilder().setRecord(record(s.record())));
            case DhtMessage.Stored s -> b.setStored(net.barn.wire.dht.Stored.newBuilder().setAccepted(s.accepted())
                    .setReason(s.reason() == null ? "" : s.reason()).setHeldSequence(s.heldSequence()));
            case DhtMessage.Commit c -> b.setCommit(net.barn.wire.dht.Commit.newBuilder()
                    .setKey(ByteString.copyFrom(c.key().toBytes())).setCommitment(ByteString.copyFrom(c.commitment())));
            case DhtMessage.Countersigned c -> b.setCountersigned(net.barn.wire.dht.Countersigned.newBuilder()
                    .setAccepted(c.accepted()).setReason(c.reason() == null ? "" : c.reason()).setAtMillis(c.atMillis())
                    .setSignerKey(ByteString.copyFrom(c.signerKey())).setSignerPowNonce(c.signerPowNonce())
                    .setSignature(ByteString.copyFrom(c.signature())));
        }
        return b.build().toByteArray();
    }

    public static DhtMessage decode(byte[] bytes) throws ProtocolException {
        if (bytes.length > MAX_MESSAGE) {
            throw bad("message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        net.barn.wire.dht.DhtMessage m;
        try {
            m = net.barn.wire.dht.DhtMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a DhtMessage");
        }
        Contact sender = contact(m.getSender(), true);
        long id = m.getId();
        return switch (m.getKindCase()) {
            case PING -> new DhtMessage.Ping(id, sender);
            case PONG -> new DhtMessage.Pong(id, sender, m.getPong().getObservedAddress());
            case FIND_NODE -> new DhtMessage.FindNode(id, sender, key(m.getFindNode().getTarget()));
            case NODES -> new DhtMessage.Nodes(id, sender, contacts(m.getNodes().getContactsList()));
            case FIND_VALUE -> {
                net.barn.wire.dht.FindValue f = m.getFindValue();
                Key key = key(f.getKey());
                yield new DhtMessage.FindValue(id, sender, key, f.getType(), f.getTarget().isEmpty() ? key : key(f.getTarget()));
            }
            case VALUE -> {
                if (m.getValue().getMoreCount() > MAX_MORE || (!m.getValue().hasRecord() && m.getValue().getMoreCount() > 0)) {
                    throw bad("a VALUE carries at most " + MAX_MORE + " further records, and only after a first");
                }
                List<Record> more = new ArrayList<>();
                for (net.barn.wire.dht.Record r : m.getValue().getMoreList()) {
                    more.add(record(r));
                }
                if (m.getValue().getTicket().size() > MAX_TICKET) {
                    throw bad("a VALUE's ticket is at most " + MAX_TICKET + " bytes");
                }
                yield new DhtMessage.Value(id, sender, m.getValue().hasRecord() ? record(m.getValue().getRecord()) : null,
                        contacts(m.getValue().getContactsList()), more, m.getValue().getTicket().toByteArray());
            }
            case STORE -> {
                if (!m.getStore().hasRecord()) {
                    throw bad("STORE without a record");
                }
                yield new DhtMessage.Store(id, sender, record(m.getStore().getRecord()));
            }
            case STORED -> new DhtMessage.Stored(id, sender, m.getStored().getAccepted(), m.getStored().getReason(),
                    m.getStored().getHeldSequence());
            case COMMIT -> {
                if (m.getCommit().getCommitment().size() != Countersigning.COMMITMENT_BYTES) {
                    throw bad("a commitment is 32 bytes");
                }
                yield new DhtMessage.Commit(id, sender, key(m.getCommit().getKey()), m.getCommit().getCommitment().toByteArray());
            }
            case COUNTERSIGNED -> {
                net.barn.wire.dht.Countersigned c = m.getCountersigned();
                if (c.getAccepted() && (c.getSignerKey().size() != 32 || c.getSignature().size() != 64)) {
                    throw bad("a countersignature needs a 32-byte key and a 64-byte signature");
                }
                if (c.getReason().length() > 256) {
                    throw bad("reason longer than 256 characters");
                }
                yield new DhtMessage.Countersigned(id, sender, c.getAccepted(), c.getReason(), c.getAtMillis(),
                        c.getSignerKey().toByteArray(), c.getSignerPowNonce(), c.getSignature().toByteArray());
            }
            case KIND_NOT_SET -> throw bad("empty or unknown DHT message");
        };
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, why);
    }

    private static net.barn.wire.dht.Contact contact(Contact c) {
        return net.barn.wire.dht.Contact.newBuilder().setNodeId(ByteString.copyFrom(c.id().toBytes()))
                .setAddress(c.address() == null ? "" : c.address().toString()).build();
    }

    private static Contact contact(net.barn.wire.dht.Contact c, boolean required) throws ProtocolException {
        if (c.getNodeId().size() != NodeId.LENGTH) {
            throw bad(required ? "sender id must be 32 bytes" : "contact id must be 32 bytes");
        }
        PeerAddress address = null;
        if (!c.getAddress().isEmpty()) {
            try {
                address = PeerAddress.parse(c.getAddress());
            } catch (IllegalArgumentException e) {
                throw bad("bad contact address: " + e.getMessage());
            }
        }
        return new Contact(NodeId.of(c.getNodeId().toByteArray()), address);
    }

    private static List<Contact> contacts(List<net.barn.wire.dht.Contact> list) throws ProtocolException {
        if (list.size() > MAX_CONTACTS) {
            throw bad("more than " + MAX_CONTACTS + " contacts");
        }
        List<Contact> out = new ArrayList<>(list.size());
        for (net.barn.wire.dht.Contact c : list) {
            out.add(contact(c, false));
        }
        return out;
    }

    private static Key key(ByteString b) throws ProtocolException {
        if (b.size() != Key.BYTES) {
            throw bad("keys are 32 bytes");
        }
        return Key.of(b.toByteArray());
    }

    static net.barn.wire.dht.Record record(Record r) {
        return net.barn.wire.dht.Record.newBuilder()
                .setType(r.type()).setKey(ByteString.copyFrom(r.key().toBytes())).setValue(ByteString.copyFrom(r.value()))
                .setSequence(r.sequence()).setExpiresAtMillis(r.expiresAtMillis())
                .setPublisherKey(ByteString.copyFrom(r.publisherKey())).setName(ByteString.copyFrom(r.name()))
                .setSignature(ByteString.copyFrom(r.signature())).build();
    }

    static Record record(net.barn.wire.dht.Record r) throws ProtocolException {
        return new Record(r.getType(), key(r.getKey()), r.getValue().toByteArray(), r.getSequence(), r.getExpiresAtMillis(),
                r.getPublisherKey().toByteArray(), r.getName().toByteArray(), r.getSignature().toByteArray());
    }

    /** A record as bytes, for a node's persistent store. */
    public static byte[] encodeRecord(Record r) {
        return record(r).toByteArray();
    }

    public static Record decodeRecord(byte[] bytes) throws ProtocolException {
        try {
            return record(net.barn.wire.dht.Record.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a Record");
        }
    }
}
