package net.barn.sdk;

import java.util.List;

/** What {@link Barn#status()} reports about the node. */
public record NodeStatus(String nodeId, String invite, List<String> listenAddresses, long uptimeMillis, int links,
        int linksOutbound, long bytesIn, long bytesOut, int sessions, String version, int routingTable, int records, long framesIn, long framesOut) {}
