package net.barn.core.mux;

/**
 * Local limits of one multiplexer. The two protocol constants below are fixed by the link
 * protocol version; everything else is a node's own choice and never travels on the wire.
 *
 * @param maxStreamWindow largest receive window one stream may grow to
 * @param windowBudget sum of all streams' receive windows past which none grows: with
 *     {@code maxInboundStreams} it bounds the bytes a peer can make this node buffer
 * @param maxInboundStreams concurrent streams the peer may open; more are reset with STREAM_LIMIT
 * @param maxOutboundStreams concurrent streams the local side may open
 * @param sendBufferBytes bytes an application may queue on one stream ahead of flow control
 * @param datagramQueueLimit outgoing datagrams held while the link is busy; more are dropped
 * @param controlQueueLimit control frames (resets, pongs) awaiting the wire before the peer is
 *     judged to flood
 * @param keepaliveNanos how often a PING probes liveness and round-trip time
 * @param idleTimeoutNanos how long a link may go without receiving anything
 */
public record MuxConfig(
        int maxStreamWindow,
        long windowBudget,
        int maxInboundStreams,
        int maxOutboundStreams,
        int sendBufferBytes,
        int datagramQueueLimit,
        int controlQueueLimit,
        long keepaliveNanos,
        long idleTimeoutNanos) {

    /** Receive window every stream starts with, in both directions (protocol constant). */
    public static final int INITIAL_STREAM_WINDOW = 256 * 1024;
    /** Largest datagram payload (protocol constant): fits one UDP packet on any path. */
    public static final int MAX_DATAGRAM_PAYLOAD = 1200;
    /** Bytes one stream may send before the scheduler moves to the next: the fairness quantum. */
    static final int DATA_QUANTUM = 16 * 1024;

    public static final MuxConfig DEFAULT = new MuxConfig(
            16 * 1024 * 1024, 96L * 1024 * 1024, 256, 1024, 1024 * 1024, 64, 4096,
            30_000_000_000L, 90_000_000_000L);

    public MuxConfig {
        if (maxStreamWindow < INITIAL_STREAM_WINDOW) {
            throw new IllegalArgumentException("maxStreamWindow below the initial window");
        }
        if (maxInboundStreams < 1 || maxOutboundStreams < 1 || sendBufferBytes < 1
                || datagramQueueLimit < 0 || controlQueueLimit < 16) {
            throw new IllegalArgumentException("mux limits must be positive");
        }
        if (keepaliveNanos <= 0 || idleTimeoutNanos <= keepaliveNanos) {
            throw new IllegalArgumentException("the idle timeout must exceed the keepalive interval");
        }
    }

    public MuxConfig withMaxInboundStreams(int value) {
        return new MuxConfig(maxStreamWindow, windowBudget, value, maxOutboundStreams, sendBufferBytes,
                datagramQueueLimit, controlQueueLimit, keepaliveNanos, idleTimeoutNanos);
    }

    public MuxConfig withTimers(long keepalive, long idleTimeout) {
        return new MuxConfig(maxStreamWindow, windowBudget, maxInboundStreams, maxOutboundStreams, sendBufferBytes,
                datagramQueueLimit, controlQueueLimit, keepalive, idleTimeout);
    }
}
