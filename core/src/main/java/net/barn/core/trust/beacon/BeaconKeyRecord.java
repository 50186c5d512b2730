package net.barn.core.trust.beacon;

import java.util.Arrays;

/**
 * The value of a node's beacon key record (docs/PROTOCOL.md section 17.5): the 240-byte bound
 * key (node key, BLS key, proof of possession, identity signature), then, once the node holds
 * one, its newest presence ticket. Splitting only; {@link BeaconKey#verify} checks the key and
 * {@link PresenceTicket#refuse} the ticket.
 */
public final class BeaconKeyRecord {
    /** The bare key: node key (32) || BLS key (48) || proof of possession (96) || identity signature (64). */
    public static final int KEY_BYTES = 240;

    private BeaconKeyRecord() {}

    /** A decoded record value; {@code ticket} is null when the node holds none yet. */
    public record Decoded(byte[] key, PresenceTicket ticket) {
        public Decoded {
            key = key.clone();
        }
    }

    public static byte[] encode(byte[] keyValue, PresenceTicket ticket) {
        if (keyValue.length != KEY_BYTES) {
            throw new IllegalArgumentException("a key of " + KEY_BYTES + " bytes");
        }
        if (ticket == null) {
            return keyValue.clone();
        }
        byte[] out = Arrays.copyOf(keyValue, KEY_BYTES + PresenceTicket.BYTES);
        System.arraycopy(ticket.encode(), 0, out, KEY_BYTES, PresenceTicket.BYTES);
        return out;
    }

    public static Checked<Decoded> decode(byte[] value) {
        if (value.length == KEY_BYTES) {
            return Checked.valid(new Decoded(value, null));
        }
        if (value.length != KEY_BYTES + PresenceTicket.BYTES) {
            return Checked.invalid("a beacon key record of " + value.length + " bytes, not " + KEY_BYTES + " or "
                    + (KEY_BYTES + PresenceTicket.BYTES) + " (with a presence ticket)");
        }
        return switch (PresenceTicket.decode(Arrays.copyOfRange(value, KEY_BYTES, value.length))) {
            case Checked.Valid<PresenceTicket> t -> Checked.valid(new Decoded(Arrays.copyOf(value, KEY_BYTES), t.value()));
            case Checked.Invalid<PresenceTicket> i -> Checked.invalid(i.reason());
        };
    }
}
