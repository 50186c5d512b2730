package net.barn.sdk;

import java.util.List;

/**
 * What {@link Barn#status()} reports about the node. {@code reachability}: whether it can be
 * reached from outside, as other nodes told it ("public", "cone nat", "symmetric nat",
 * "private" or "unknown", then the evidence in brackets). {@code beacon}: the node's part in
 * the random beacon's committee and the newest output it computed or verified (empty: none).
 */
public record NodeStatus(String nodeId, String invite, List<String> listenAddresses, long uptimeMillis, int links,
        int linksOutbound, long bytesIn, long bytesOut, int sessions, String version, int routingTable, int records, long framesIn,
        long framesOut, String reachability, String beacon) {}
