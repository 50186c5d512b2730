package net.barn.sdk;

/**
 * One linked peer, as {@link Barn#peers()} reports it. {@code relayedVia}: the relay whose
 * circuit carries the link, or empty for a direct link; a relayed link is limited (it ends when
 * its circuit's bytes or time run out), so an application can open what matters elsewhere first.
 * {@code transport}: "tcp", "quic" (over UDP, after a UDP hole punch) or "relay".
 * {@code unlimited}: a relayed link whose circuit a fellow member of a private maze carries
 * without limits.
 */
public record PeerStatus(String nodeId, String address, boolean outbound, long rttMicros, long bytesIn, long bytesOut,
        long sinceMillis, int streams, String relayedVia, String transport, boolean unlimited) {
    /** True if the link runs over a relay's circuit with byte and time limits, and so may end. */
    public boolean limited() {
        return !relayedVia.isEmpty() && !unlimited;
    }
}
