package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;

/**
 * One multiplexed stream of a link, addressed by port or service name. All methods must be
 * called on {@link #eventLoop()} (handler callbacks already are); {@link BlockingStream}
 * wraps a stream for use from any thread.
 */
public final class BarnStream {
    private final LinkDriver driver;
    private final int id;
    private final int port;
    private final String service;
    private final boolean inbound;
    private StreamHandler handler;
    private final ArrayDeque<Runnable> early = new ArrayDeque<>();
    private boolean gone;

    BarnStream(LinkDriver driver, int id, int port, String service, boolean inbound) {
        this.driver = driver;
        this.id = id;
        this.port = port;
        this.service = service;
        this.inbound = inbound;
    }

    public int id() {
        return id;
    }

    /** The port the stream was opened to, or 0 when it was opened to a service. */
    public int port() {
        return port;
    }

    /** The service name the stream was opened to, or null. */
    public String service() {
        return service;
    }

    public boolean isInbound() {
        return inbound;
    }

    public NodeId peer() {
        return driver.peerLink().peerId();
    }

    public PeerLink link() {
        return driver.peerLink();
    }

    public EventLoop eventLoop() {
        return driver.eventLoop();
    }

    /** Where the stream points, for logs: "port 7" or "service echo". */
    public String address() {
        return service != null ? "service " + service : "port " + port;
    }

    /** Installs the handler; traffic that arrived before it is replayed to it now. */
    public void setHandler(StreamHandler value) {
        checkLoop();
        handler = value;
        Runnable r;
        while ((r = early.poll()) != null) {
            r.run();
        }
    }

    /**
     * Queues bytes; returns how many were accepted, or -1 if the stream can no longer send.
     * When fewer than offered were accepted, {@link StreamHandler#onWritable} follows.
     */
    public int write(ByteBuffer data) {
        checkLoop();
        if (gone) {
            return -1;
        }
        int n = driver.mux().write(id, data);
        driver.scheduleDrive();
        return n;
    }

    /** As {@link #write}, taking ownership of a buffer the caller will not touch again (no copy). */
    public int writeOwned(ByteBuffer owned) {
        checkLoop();
        if (gone) {
            return -1;
        }
        int n = driver.mux().writeOwned(id, owned);
        driver.scheduleDrive();
        return n;
    }

    /** Reports bytes the application has taken, reopening the peer's window. */
    public void consumed(int bytes) {
        checkLoop();
        if (!gone && bytes > 0) {
            driver.mux().consumed(System.nanoTime(), id, bytes);
            driver.scheduleDrive();
        }
    }

    /** Half-closes: the peer reads end of stream after the bytes already written. */
    public void finish() {
        checkLoop();
        if (!gone) {
            driver.mux().finish(id);
            driver.scheduleDrive();
        }
    }

    /** Abandons the stream in both directions. */
    public void reset(ErrorCode code, String reason) {
        checkLoop();
        if (!gone) {
            driver.mux().reset(id, code, reason);
            driver.forget(this);
            gone = true;
            driver.scheduleDrive();
        }
    }

    public boolean isGone() {
        return gone;
    }

    private void checkLoop() {
        if (!driver.eventLoop().inEventLoop()) {
            throw new IllegalStateException("BarnStream methods run on its event loop; use BlockingStream from other threads");
        }
    }

    // Called by the driver on the event loop.

    void deliverData(ByteBuffer data) {
        dispatch(() -> handler.onData(this, data));
    }

    void deliverFinished() {
        dispatch(() -> handler.onFinished(this));
    }

    void deliverWritable() {
        dispatch(() -> handler.onWritable(this));
    }

    void deliverReset(ErrorCode code, String reason) {
        gone = true;
        dispatch(() -> handler.onReset(this, code, reason));
    }

    void deliverClosed() {
        gone = true;
        dispatch(() -> handler.onClosed(this));
    }

    private void dispatch(Runnable r) {
        if (handler == null) {
            early.add(r); // bounded by the stream's receive window
        } else {
            r.run();
        }
    }

    @Override
    public String toString() {
        return "stream " + id + " (" + address() + ")";
    }
}
