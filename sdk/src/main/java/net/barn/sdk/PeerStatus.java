package net.barn.sdk;

/**
 * One linked peer, as {@link Barn#peers()} reports it. {@code relayedVia}: the relay whose
 * circuit carries the link, or empty for a direct link; a relayed link is limited (it ends when
 * its circuit's bytes or time run out), so an application can open what matters elsewhere first.
 * {@code transport}: "tcp", "quic" (over UDP, after a UDP hole punch) or "relay".
 */
public record PeerStatus(String nodeId, String address, boolean outbound, long rttMicros, long bytesIn, long bytesOut,
        long sinceMillis, int streams, String relayedVia, String transport) {
    /** True if the link runs over a relay's circuit, and so is limited. */
    public boolean limited() {
        return !relayedVia.isEmpty();
    }
}
