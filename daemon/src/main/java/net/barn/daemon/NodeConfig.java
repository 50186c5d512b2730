package net.barn.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import net.barn.core.link.LinkConfig;

/**
 * How to run a node.
 *
 * @param dataDir where the identity key and state live
 * @param listen address to accept links on (port 0 picks a free port)
 * @param advertise addresses to put in the invite; empty means derive from {@code listen}
 * @param peers invites to dial at start
 * @param link link and multiplexer settings, including the network's proof-of-work difficulty
 * @param maxLinks established links beyond which new ones are refused
 * @param maxPendingHandshakes inbound connections still handshaking beyond which new ones are dropped
 * @param ioThreads Netty event-loop threads
 * @param idleLinkNanos links without a stream for this long are closed (0: never); they are made on demand
 */
public record NodeConfig(Path dataDir, InetSocketAddress listen, List<PeerAddress> advertise, List<Invite> peers,
        LinkConfig link, int maxLinks, int maxPendingHandshakes, int ioThreads, long idleLinkNanos) {
    public static final int DEFAULT_PORT = 7345;

    public NodeConfig {
        advertise = List.copyOf(advertise);
        peers = List.copyOf(peers);
    }

    public static NodeConfig defaults(Path dataDir, InetSocketAddress listen) {
        // Half the cores, at most 4: a link is served by one thread anyway, and the node shares
        // the machine with its applications. On two cores, one thread also keeps a local
        // session and the link it feeds on the same thread (measured: round trips 1.5x faster).
        return new NodeConfig(dataDir, listen, List.of(), List.of(), LinkConfig.defaults(PowParams.DEFAULT), 512, 64,
                Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)), 120_000_000_000L);
    }

    public NodeConfig withPeers(List<Invite> value) {
        return new NodeConfig(dataDir, listen, advertise, value, link, maxLinks, maxPendingHandshakes, ioThreads, idleLinkNanos);
    }

    public NodeConfig withLink(LinkConfig value) {
        return new NodeConfig(dataDir, listen, advertise, peers, value, maxLinks, maxPendingHandshakes, ioThreads, idleLinkNanos);
    }

    public NodeConfig withPow(PowParams pow) {
        return withLink(new LinkConfig(pow, link.handshakeTimeoutNanos(), link.capabilities(), link.listenAddresses(), link.mux()));
    }

    public NodeConfig withIoThreads(int value) {
        if (value < 1 || value > 64) {
            throw new IllegalArgumentException("io threads must be 1..64");
        }
        return new NodeConfig(dataDir, listen, advertise, peers, link, maxLinks, maxPendingHandshakes, value, idleLinkNanos);
    }

    public NodeConfig withIdleLinkNanos(long value) {
        return new NodeConfig(dataDir, listen, advertise, peers, link, maxLinks, maxPendingHandshakes, ioThreads, value);
    }

    public NodeConfig withAdvertise(List<PeerAddress> value) {
        return new NodeConfig(dataDir, listen, value, peers, link, maxLinks, maxPendingHandshakes, ioThreads, idleLinkNanos);
    }
}
