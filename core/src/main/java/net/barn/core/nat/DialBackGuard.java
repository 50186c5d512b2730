package net.barn.core.nat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import net.barn.core.identity.NodeId;

/**
 * Whether this node may answer a dial-back request (sans-IO). A dial-back costs this node a
 * TCP connection attempt toward the requester's own IP address (the link's remote address,
 * never an address the requester names), so it can neither aim this node at a third party nor
 * make it send more than a handshake's first flight. What stays is the volume, bounded here:
 * one request per requester every {@link #PER_NODE_NANOS}, {@link #PER_GROUP} a minute from one
 * IP group (a /16 or /32 of IPv6), {@link #GLOBAL} a minute in all.
 */
public final class DialBackGuard {
    public static final long SECOND = 1_000_000_000L;
    public static final long PER_NODE_NANOS = 20 * SECOND;
    public static final int PER_GROUP = 8;
    public static final int GLOBAL = 32;
    private static final long MINUTE = 60 * SECOND;
    private static final int MAX_TRACKED = 4096;

    private final Map<NodeId, Long> lastByNode = new HashMap<>();
    private final Map<String, Deque<Long>> byGroup = new HashMap<>();
    private final Deque<Long> all = new ArrayDeque<>();

    /**
     * Null if the request may be answered now (and counts it), else why not.
     *
     * @param group the requester's IP group (for example {@code IpGroups.of(address)})
     */
    public String admit(long now, NodeId requester, String group, int port) {
        if (port < 1 || port > 65535) {
            return "port " + port + " is not a port";
        }
        Long last = lastByNode.get(requester);
        if (last != null && now - last < PER_NODE_NANOS) {
            return "one dial-back per " + PER_NODE_NANOS / SECOND + " s per node";
        }
        Deque<Long> g = byGroup.computeIfAbsent(group, x -> new ArrayDeque<>());
        expire(g, now);
        expire(all, now);
        if (g.size() >= PER_GROUP) {
            return "at most " + PER_GROUP + " dial-backs a minute to one network";
        }
        if (all.size() >= GLOBAL) {
            return "at most " + GLOBAL + " dial-backs a minute in all";
        }
        if (lastByNode.size() >= MAX_TRACKED) {
            lastByNode.values().removeIf(t -> now - t >= PER_NODE_NANOS);
            if (lastByNode.size() >= MAX_TRACKED) {
                return "too many dial-backs pending";
            }
        }
        if (byGroup.size() > MAX_TRACKED) {
            byGroup.values().removeIf(q -> {
                expire(q, now);
                return q.isEmpty();
            });
        }
        lastByNode.put(requester, now);
        g.addLast(now);
        all.addLast(now);
        return null;
    }

    /** The IP group a rate applies to: the /16 of an IPv4 address, the /32 of an IPv6 one (raw address bytes). */
    public static String group(byte[] b) {
        return b.length == 4 ? (b[0] & 0xff) + "." + (b[1] & 0xff) : java.util.HexFormat.of().formatHex(b, 0, 4);
    }

    private static void expire(Deque<Long> q, long now) {
        while (!q.isEmpty() && now - q.peekFirst() >= MINUTE) {
            q.removeFirst();
        }
    }
}
