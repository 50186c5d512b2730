package net.barn.daemon;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.link.PeerInfo;
import net.barn.core.mux.ServiceName;

/**
 * An established, authenticated link to a peer. Methods are safe from any thread; their work
 * runs on the link's event loop.
 */
public final class PeerLink {
    private final LinkDriver driver;
    private final PeerInfo peer;
    private final long handshakeNanos;
    private final long establishedAtMillis;
    private final InetSocketAddress remote;
    /** Set once listeners heard linkUp; only then do they hear linkDown. */
    volatile boolean announced;
    /** A relayed link a direct one replaced: it ends quietly once its streams have moved or ended. */
    volatile boolean upgraded;
    /** On a direct link: the relayed link it replaced, whose streams move here. */
    volatile PeerLink replacedRelayed;
    /**
     * On a relayed link a direct one replaced: that direct link, where streams opened through
     * this object go instead (docs/PROTOCOL.md 5.9). Set before the streams here start moving.
     */
    volatile PeerLink replacedBy;

    PeerLink(LinkDriver driver, PeerInfo peer, long handshakeNanos) {
        this.driver = driver;
        this.peer = peer;
        this.handshakeNanos = handshakeNanos;
        this.establishedAtMillis = System.currentTimeMillis();
        this.remote = driver.remoteAddress();
    }

    public NodeId peerId() {
        return peer.id();
    }

    public PeerInfo peerInfo() {
        return peer;
    }

    /** The peer's address as this link reaches it; null when the link runs over a relay circuit. */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /**
     * The relay whose circuit carries this link, or null for a direct link. A relayed link is
     * limited: the relay closes it after its circuit's bytes or time (docs/PROTOCOL.md 16).
     */
    public NodeId relayedVia() {
        return driver.via();
    }

    /** Both ends announced {@code move/1} on this link: streams can move between links (docs/PROTOCOL.md 5.10). */
    public boolean canMoveStreams() {
        return driver.announcedMove() && peer.capabilities().contains(net.barn.core.link.LinkConfig.MOVE);
    }

    /** A relayed link whose circuit has no byte or time limit (a fellow maze member relays it, PROTOCOL.md 16.6). */
    volatile boolean unlimitedCircuit;

    /** Whether the link ends when its relay circuit's bytes or time run out. */
    public boolean limited() {
        return relayedVia() != null && !unlimitedCircuit;
    }

    /** "tcp", "quic" (over UDP) or "relay" (over a circuit): how this link reaches its peer. */
    public String transport() {
        return driver.via() != null ? "relay" : driver.overQuic() ? "quic" : "tcp";
    }

    public boolean isOutbound() {
        return driver.isOutbound();
    }

    public long handshakeNanos() {
        return handshakeNanos;
    }

    public long establishedAtMillis() {
        return establishedAtMillis;
    }

    /** Smoothed round-trip time from the link's PINGs, or -1 before the first sample. */
    public long rttNanos() {
        return driver.rttNanos();
    }

    /** Payload bytes sent on streams so far (read on the loop; approximate from elsewhere). */
    public long bytesSent() {
        var mux = driver.mux();
        return mux == null ? 0 : mux.bytesSent();
    }

    public long bytesReceived() {
        var mux = driver.mux();
        return mux == null ? 0 : mux.bytesReceived();
    }

    /** Opens a stream to a port on the peer. The handler may be null and set later on the loop. */
    public CompletableFuture<BarnStream> openStream(int port, StreamHandler handler) {
        if (port < 1 || port > 65535) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("port must be 1..65535"));
        }
        return open(port, null, handler);
    }

    /** Opens a stream to a named service on the peer. */
    public CompletableFuture<BarnStream> openStream(String service, StreamHandler handler) {
        if (!ServiceName.isValid(service)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "service names are 1-63 of a-z 0-9 . _ - /, starting with a letter or digit"));
        }
        return open(0, service, handler);
    }

    /**
     * Opens on this link, or on the direct link that replaced it: code that took this link
     * before the upgrade must not add streams to it, as nothing would move them (the move
     * covers the streams open when it starts) and they would hold the relay's circuit open.
     * Decided on this link's loop, where the move starts after {@link #replacedBy} is set: a
     * stream opened here before that moves with the others.
     */
    private CompletableFuture<BarnStream> open(int port, String service, StreamHandler handler) {
        CompletableFuture<BarnStream> result = new CompletableFuture<>();
        driver.eventLoop().execute(() -> {
            PeerLink direct = replacedBy;
            if (direct != null && direct.isActive()) {
                direct.open(port, service, handler).whenComplete((s, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(s);
                    }
                });
                return;
            }
            try {
                result.complete(driver.openStream(port, service, handler));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Opens a stream to a port and wraps it for blocking use from the calling thread. */
    public BlockingStream openBlocking(int port) throws java.io.IOException {
        return BlockingStream.open(this, port, null);
    }

    /** Opens a stream to a service and wraps it for blocking use from the calling thread. */
    public BlockingStream openBlocking(String service) throws java.io.IOException {
        return BlockingStream.open(this, 0, service);
    }

    /**
     * Sends a datagram (at most 1200 bytes), on the direct link that replaced this one if one
     * did, as {@link #open} does for streams. Completes with false if the link dropped it under
     * congestion; fails if it is too large.
     */
    public CompletableFuture<Boolean> sendDatagram(int destinationPort, int sourcePort, byte[] payload) {
        PeerLink direct = replacedBy;
        if (direct != null && direct.isActive()) {
            return direct.sendDatagram(destinationPort, sourcePort, payload);
        }
        ByteBuffer copy = ByteBuffer.wrap(payload.clone());
        return onLoop(() -> driver.sendDatagram(destinationPort, sourcePort, copy));
    }

    /** Closes the link; the peer is told why. */
    public void close(String reason) {
        driver.eventLoop().execute(() -> driver.close(ErrorCode.NO_ERROR, reason));
    }

    /** Streams open on this link (read from another thread, approximate). */
    public int streamCount() {
        return driver.streamCount();
    }

    public boolean isActive() {
        return !driver.isClosed();
    }

    private <T> CompletableFuture<T> onLoop(java.util.function.Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        driver.eventLoop().execute(() -> {
            try {
                result.complete(task.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    LinkDriver driver() {
        return driver;
    }

    @Override
    public String toString() {
        return "link to " + peer.id().shortForm() + " (" + transport() + " " + remote + ")";
    }
}
