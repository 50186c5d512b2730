package net.barn.sdk;

/** One linked peer, as {@link Barn#peers()} reports it. */
public record PeerStatus(String nodeId, String address, boolean outbound, long rttMicros, long bytesIn, long bytesOut,
        long sinceMillis, int streams) {}
