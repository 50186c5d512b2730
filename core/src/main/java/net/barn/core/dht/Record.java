package net.barn.core.dht;

import java.util.Arrays;

/**
 * A signed record in the root network. Which key a record may have, who may sign it and
 * what it may hold is decided by its type's validator ({@link RecordTypes}); the newest
 * valid record for a (key, type) wins, "newest" meaning the highest sequence.
 */
public record Record(int type, Key key, byte[] value, long sequence, long expiresAtMillis, byte[] publisherKey,
        byte[] name, byte[] signature) {
    public Record {
        value = value.clone();
        publisherKey = publisherKey.clone();
        name = name.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public byte[] publisherKey() {
        return publisherKey.clone();
    }

    @Override
    public byte[] name() {
        return name.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Bytes a node spends holding this record, for its storage limit. */
    public int size() {
        return value.length + name.length + 32 + 32 + 64 + 32;
    }

    /** Same sequence, same signed content: the same record. */
    public boolean sameAs(Record o) {
        return o != null && type == o.type && sequence == o.sequence && key.equals(o.key)
                && Arrays.equals(signature, o.signature);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && sameAs(r) && Arrays.equals(value, r.value) && expiresAtMillis == r.expiresAtMillis
                && Arrays.equals(publisherKey, r.publisherKey) && Arrays.equals(name, r.name);
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Long.hashCode(sequence);
    }

    @Override
    public String toString() {
        return "Record[type " + type + ", key " + key + ", seq " + sequence + ", " + value.length + " bytes]";
    }
}
