package net.barn.core.link;

import java.util.List;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import net.barn.core.mux.MuxConfig;

/**
 * Settings of a link: the network's proof-of-work difficulty, the handshake deadline, what
 * this node advertises, and the multiplexer limits.
 */
public record LinkConfig(PowParams pow, long handshakeTimeoutNanos, List<String> capabilities,
        List<PeerAddress> listenAddresses, MuxConfig mux) {
    /** Capabilities of this implementation of link version 1. */
    public static final List<String> CAPABILITIES = List.of("mux/1", "dgram/1");
    /** Streams may move between two links to the same peer (MOVE frames, docs/PROTOCOL.md 5.10). */
    public static final String MOVE = "move/1";
    /** The node takes links over QUIC on its UDP port, the same number as its TCP one (docs/PROTOCOL.md 16.5). */
    public static final String QUIC = "quic/1";

    public LinkConfig {
        capabilities = List.copyOf(capabilities);
        listenAddresses = List.copyOf(listenAddresses);
        if (handshakeTimeoutNanos <= 0) {
            throw new IllegalArgumentException("handshake timeout must be positive");
        }
    }

    public static LinkConfig defaults(PowParams pow) {
        return new LinkConfig(pow, 10_000_000_000L, CAPABILITIES, List.of(), MuxConfig.DEFAULT);
    }

    public LinkConfig withListenAddresses(List<PeerAddress> value) {
        return new LinkConfig(pow, handshakeTimeoutNanos, capabilities, value, mux);
    }

    public LinkConfig withMux(MuxConfig value) {
        return new LinkConfig(pow, handshakeTimeoutNanos, capabilities, listenAddresses, value);
    }

    /** Capability of a connection that only checks reachability: the acceptor must not take it as the link. */
    public static final String PROBE = "probe/1";

    public LinkConfig withCapability(String capability) {
        java.util.List<String> more = new java.util.ArrayList<>(capabilities);
        more.add(capability);
        return new LinkConfig(pow, handshakeTimeoutNanos, more, listenAddresses, mux);
    }

    public LinkConfig withHandshakeTimeout(long nanos) {
        return new LinkConfig(pow, nanos, capabilities, listenAddresses, mux);
    }
}
