package net.barn.core.dht;

import java.util.List;

/** The root network's messages. Requests carry a fresh id; responses echo it. */
public sealed interface DhtMessage {
    long id();

    Contact sender();

    /** True for the answers; false for the requests. */
    default boolean isResponse() {
        return this instanceof Pong || this instanceof Nodes || this instanceof Value || this instanceof Stored
                || this instanceof Countersigned;
    }

    record Ping(long id, Contact sender) implements DhtMessage {}

    record Pong(long id, Contact sender, String observedAddress) implements DhtMessage {}

    record FindNode(long id, Contact sender, Key target) implements DhtMessage {}

    record Nodes(long id, Contact sender, List<Contact> contacts) implements DhtMessage {
        public Nodes {
            contacts = List.copyOf(contacts);
        }
    }

    /**
     * Asks for the record of {@code type} under {@code key}, and the contacts nearest
     * {@code target}: the key itself, or for placed types the key's point in the current
     * placement period ({@link Placement}).
     */
    record FindValue(long id, Contact sender, Key key, int type, Key target) implements DhtMessage {
        public FindValue {
            if (target == null) {
                target = key;
            }
        }

        public FindValue(long id, Contact sender, Key key, int type) {
            this(id, sender, key, type, key);
        }
    }

    /**
     * {@code record} is null when the responder holds none; {@code more} lists further records
     * under the key, for types with one record per publisher (at most 15). {@code ticket}: for
     * placed types, the responder's presence ticket for the placement period (empty if none).
     */
    record Value(long id, Contact sender, Record record, List<Contact> contacts, List<Record> more, byte[] ticket)
            implements DhtMessage {
        public Value {
            contacts = List.copyOf(contacts);
            more = List.copyOf(more);
            ticket = ticket == null ? new byte[0] : ticket.clone();
        }

        public Value(long id, Contact sender, Record record, List<Contact> contacts, List<Record> more) {
            this(id, sender, record, contacts, more, new byte[0]);
        }

        public Value(long id, Contact sender, Record record, List<Contact> contacts) {
            this(id, sender, record, contacts, List.of(), new byte[0]);
        }

        @Override
        public byte[] ticket() {
            return ticket.clone();
        }

        /** The record and the further ones (types with a record per publisher). */
        public List<Record> records() {
            if (record == null) {
                return List.of();
            }
            List<Record> all = new java.util.ArrayList<>(1 + more.size());
            all.add(record);
            all.addAll(more);
            return all;
        }
    }

    record Store(long id, Contact sender, Record record) implements DhtMessage {}

    record Stored(long id, Contact sender, boolean accepted, String reason, long heldSequence) implements DhtMessage {}

    /** Asks a replica of {@code key} to countersign a claim commitment (32 bytes). */
    record Commit(long id, Contact sender, Key key, byte[] commitment) implements DhtMessage {
        public Commit {
            commitment = commitment.clone();
        }

        @Override
        public byte[] commitment() {
            return commitment.clone();
        }
    }

    /**
     * A replica's countersignature on a commitment, or its refusal. The signature covers
     * {@link Countersigning#signedBytes}.
     */
    record Countersigned(long id, Contact sender, boolean accepted, String reason, long atMillis, byte[] signerKey,
            long signerPowNonce, byte[] signature) implements DhtMessage {
        public Countersigned {
            signerKey = signerKey.clone();
            signature = signature.clone();
        }

        @Override
        public byte[] signerKey() {
            return signerKey.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }
    }
}
