package net.barn.core.dht;

import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/**
 * A node and the address it accepts links on. A contact without an address is a client:
 * it may ask, but it is never put in a routing table.
 *
 * @param key the node id as a point in the XOR space (derived, kept to avoid recomputing)
 */
public record Contact(NodeId id, PeerAddress address, Key key) {
    public Contact {
        if (id == null) {
            throw new IllegalArgumentException("a contact needs an id");
        }
        if (key == null) {
            key = Key.of(id);
        }
    }

    public Contact(NodeId id, PeerAddress address) {
        this(id, address, null);
    }

    public boolean isReachable() {
        return address != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Contact c && c.id.equals(id)
                && (address == null ? c.address == null : address.equals(c.address));
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id.shortForm() + (address == null ? "" : "@" + address);
    }
}
