package net.barn.sim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Placement;
import net.barn.core.identity.NodeId;

/**
 * Presence tickets as the simulator models them: the ids present before a placement period's
 * salt came out hold a ticket for it, and nobody can make one for another id. A ticket here
 * is SHA-256("barn-sim-ticket" || period || id), checked against the set of ids given one,
 * instead of the beacon group's BLS signature (PresenceTicket): the same yes or no, without a
 * 5.7 ms pairing per check, which would dominate runs of thousands of nodes. The real tickets
 * are checked in the core's and the daemon's tests.
 */
final class SimTickets implements Placement.TicketCheck {
    private static final byte[] DOMAIN = "barn-sim-ticket".getBytes(StandardCharsets.US_ASCII);
    private final Set<NodeId> holders = new HashSet<>();

    /** Gives {@code id} its tickets (it was present before the salts this run uses came out). */
    void issue(NodeId id) {
        holders.add(id);
    }

    /** {@code id}'s ticket for {@code period}, or empty if it holds none. */
    byte[] ticket(long period, NodeId id) {
        return holders.contains(id) ? bytes(period, id) : new byte[0];
    }

    @Override
    public String refuse(long period, NodeId id, byte[] ticket) {
        if (!holders.contains(id)) {
            return "no ticket was issued to " + id.shortForm();
        }
        return MessageDigest.isEqual(ticket, bytes(period, id)) ? null : "not " + id.shortForm() + "'s ticket for period " + period;
    }

    private static byte[] bytes(long period, NodeId id) {
        return Sha256.hash(DOMAIN, ByteBuffer.allocate(8).putLong(period).array(), id.toBytes());
    }
}
