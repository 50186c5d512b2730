package net.barn.core.dht;

import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Sortition;

/**
 * Where the records of placed types (the root namespace's: {@link RecordRules#placed}) live in
 * one placement period, and which nodes may hold them (docs/PROTOCOL.md section 11.8).
 *
 * <p>Their replicas are the nodes nearest {@link Sortition#placement}(key, salt), where the salt
 * is the beacon output that opened the period, and only nodes whose presence ticket dates from
 * before that output count: ids ground next to the point once the salt is public hold no such
 * ticket. A reader hears the replicas' tickets in their answers and counts only those that pass
 * {@link #check}; a node without a ticket of its own ({@link #ownTicket} empty) takes no
 * placed record. The previous period's point is where a replica that holds nothing for a name
 * reads its history from, checking the tickets of the previous period there.
 *
 * @param period the placement period (epoch / epochs per period)
 * @param salt the beacon output that opened it
 * @param previousSalt the one that opened the period before, or null if unknown
 * @param ownTicket this node's presence ticket valid for the period (104 bytes), or empty
 * @param ownPreviousTicket this node's ticket valid for the period before, or empty
 * @param check whether another node's ticket is valid for a period
 */
public record Placement(long period, byte[] salt, byte[] previousSalt, byte[] ownTicket, byte[] ownPreviousTicket,
        TicketCheck check) {
    /** Checks a ticket a node showed; pure (the caller caches). */
    @FunctionalInterface
    public interface TicketCheck {
        /** Null if {@code ticket} shows {@code id} present before the salt of {@code period} was known, else why not. */
        String refuse(long period, NodeId id, byte[] ticket);
    }

    public Placement {
        if (salt == null || salt.length == 0) {
            throw new IllegalArgumentException("a placement needs its period's salt");
        }
        salt = salt.clone();
        previousSalt = previousSalt == null ? null : previousSalt.clone();
        ownTicket = ownTicket == null ? new byte[0] : ownTicket.clone();
        ownPreviousTicket = ownPreviousTicket == null ? new byte[0] : ownPreviousTicket.clone();
        if (check == null) {
            throw new IllegalArgumentException("a placement needs a ticket check");
        }
    }

    /** Where records under {@code key} sit this period. */
    public Key point(Key key) {
        return Sortition.placement(key, salt);
    }

    /** Where they sat the period before, or null if that salt is unknown. */
    public Key previousPoint(Key key) {
        return previousSalt == null ? null : Sortition.placement(key, previousSalt);
    }

    /** True if this node may hold placed records this period. */
    public boolean holdsTicket() {
        return ownTicket.length > 0;
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] previousSalt() {
        return previousSalt == null ? null : previousSalt.clone();
    }

    @Override
    public byte[] ownTicket() {
        return ownTicket.clone();
    }

    @Override
    public byte[] ownPreviousTicket() {
        return ownPreviousTicket.clone();
    }
}
