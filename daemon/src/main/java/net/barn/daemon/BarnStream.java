package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.mux.Mux;
import net.barn.core.mux.MovedInput;

/**
 * One multiplexed stream of a link, addressed by port or service name. All methods must be
 * called on {@link #eventLoop()} (handler callbacks already are); {@link BlockingStream}
 * wraps a stream for use from any thread.
 *
 * <p>When a direct link replaces the relayed link a stream runs on, the stream moves to the
 * direct link (docs/PROTOCOL.md 5.10): this object stays the same, its bytes stay in order, and
 * from then on {@link #eventLoop()} and {@link #link()} are the direct link's. A call that
 * reaches the old link's loop after the move is passed on to the new one.
 */
public final class BarnStream {
    private volatile LinkDriver driver;
    private final int id;
    private final int port;
    private final String service;
    private final boolean inbound;
    private StreamHandler handler;
    private final ArrayDeque<Runnable> early = new ArrayDeque<>();
    private boolean gone;

    // The move (all on the current loop once moved; see LinkDriver for the old loop's part).
    private int muxId;
    /** The stream's old link and id there, after a move; null before. */
    private volatile LinkDriver former;
    private int formerId;
    private MovedInput input;
    private boolean finDelivered;
    private boolean continuationClosed;
    /** A continuation is being opened for this stream (on the old loop). */
    boolean moving;
    int moveAttempts;
    /** A continuation was opened and lost with the direct link before the stream moved. */
    boolean moveLost;
    /** Moved, but the new loop has not taken the stream over yet: calls there wait for it. */
    private volatile boolean awaitingAdoption;

    BarnStream(LinkDriver driver, int id, int port, String service, boolean inbound) {
        this.driver = driver;
        this.id = id;
        this.muxId = id;
        this.port = port;
        this.service = service;
        this.inbound = inbound;
    }

    /** The stream's id on the link it was opened on; it keeps it after a move. */
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

    /** The link the stream runs on now. */
    public PeerLink link() {
        return driver.peerLink();
    }

    public EventLoop eventLoop() {
        return driver.eventLoop();
    }

    /** True once the stream left the relayed link it was opened on for a direct one. */
    public boolean hasMoved() {
        return former != null;
    }

    /** Where the stream points, for logs: "port 7" or "service echo". */
    public String address() {
        return service != null ? "service " + service : "port " + port;
    }

    /** Installs the handler; traffic that arrived before it is replayed to it now. */
    public void setHandler(StreamHandler value) {
        if (passedOn(() -> setHandler(value))) {
            return;
        }
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
        if (passedOn(null)) {
            driver.eventLoop().execute(this::deliverWritable); // accepted nothing: retry on the new loop
            return 0;
        }
        if (gone) {
            return -1;
        }
        int n = driver.mux().write(muxId, data);
        driver.scheduleDrive();
        return n;
    }

    /** As {@link #write}, taking ownership of a buffer the caller will not touch again (no copy). */
    public int writeOwned(ByteBuffer owned) {
        if (passedOn(null)) {
            driver.eventLoop().execute(this::deliverWritable);
            return 0;
        }
        if (gone) {
            return -1;
        }
        int n = driver.mux().writeOwned(muxId, owned);
        driver.scheduleDrive();
        return n;
    }

    /** Reports bytes the application has taken, reopening the peer's window. */
    public void consumed(int bytes) {
        if (passedOn(() -> consumed(bytes))) {
            return;
        }
        if (gone || bytes <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (input == null) {
            driver.mux().consumed(now, muxId, bytes);
        } else {
            MovedInput.Consumed c = input.consumed(bytes);
            if (c.fromOld() > 0) {
                LinkDriver old = former;
                int oldId = formerId;
                old.eventLoop().execute(() -> old.consumedOnOld(oldId, (int) c.fromOld()));
            }
            if (c.fromNew() > 0) {
                driver.mux().consumed(now, muxId, (int) c.fromNew());
            }
        }
        driver.scheduleDrive();
    }

    /** Half-closes: the peer reads end of stream after the bytes already written. */
    public void finish() {
        if (passedOn(this::finish)) {
            return;
        }
        if (!gone) {
            driver.mux().finish(muxId);
            driver.scheduleDrive();
        }
    }

    /** Abandons the stream in both directions. */
    public void reset(ErrorCode code, String reason) {
        if (passedOn(() -> reset(code, reason))) {
            return;
        }
        if (!gone) {
            driver.mux().reset(muxId, code, reason);
            driver.forget(this);
            resetFormer(code, reason);
            gone = true;
            driver.scheduleDrive();
        }
    }

    public boolean isGone() {
        return gone;
    }

    /**
     * True when the call must run elsewhere: it came to the old link's loop after the stream
     * moved (then it is passed on, if {@code again} is given). Throws off any loop of the stream.
     */
    private boolean passedOn(Runnable again) {
        LinkDriver d = driver;
        if (d.eventLoop().inEventLoop()) {
            if (!awaitingAdoption) {
                return false;
            }
            if (again != null) {
                d.eventLoop().execute(again); // after the handover, which is queued already or soon
            }
            return true;
        }
        LinkDriver old = former;
        if (old != null && old.eventLoop().inEventLoop()) {
            if (again != null) {
                d.eventLoop().execute(again);
            }
            return true;
        }
        throw new IllegalStateException("BarnStream methods run on its event loop; use BlockingStream from other threads");
    }

    // ---------------------------------------------------------------- called by the drivers, on the loop

    /** The id of the stream on its current link. */
    int muxId() {
        return muxId;
    }

    /**
     * Moves the stream to {@code to}'s stream {@code continuation}; runs on the old loop. Calls
     * made from now on go to the new loop, where they wait for {@link #adopted}.
     */
    void switchTo(LinkDriver from, int oldId, LinkDriver to, int continuation) {
        awaitingAdoption = true;
        former = from;
        formerId = oldId;
        muxId = continuation;
        driver = to;
    }

    /** On the new loop, as the first task there after the move. */
    void adopted(MovedInput movedInput, boolean inputFinished) {
        awaitingAdoption = false;
        input = movedInput;
        if (inputFinished) {
            finDelivered = true; // the FIN came on the old stream before the move
        }
    }

    int formerId() {
        return formerId;
    }

    LinkDriver former() {
        return former;
    }

    boolean finDelivered() {
        return finDelivered;
    }

    /** Old-stream bytes after the move, passed on by the old loop. */
    void oldData(ByteBuffer data) {
        if (!gone) {
            input.fromOld(data);
            pump();
        }
    }

    void oldFinished() {
        if (!gone) {
            input.oldFinished();
            pump();
        }
    }

    void oldMoved() {
        if (gone) {
            return;
        }
        try {
            input.oldMoved();
        } catch (ProtocolException e) {
            reset(e.code(), e.getMessage());
            return;
        }
        pump();
    }

    /** The old link ended before the peer's MOVE or FIN: bytes may be lost. */
    void oldLost(String reason) {
        if (!gone && !input.oldEnded() && !input.finished()) {
            driver.mux().reset(muxId, ErrorCode.CONNECTION_LOST, reason);
            driver.forget(this);
            deliverReset(ErrorCode.CONNECTION_LOST, reason);
            driver.scheduleDrive();
        }
    }

    void resetFromOld(ErrorCode code, String reason) {
        if (!gone) {
            driver.mux().reset(muxId, code, reason);
            driver.forget(this);
            deliverReset(code, reason);
            driver.scheduleDrive();
        }
    }

    private void resetFormer(ErrorCode code, String reason) {
        LinkDriver old = former;
        if (old != null) {
            int oldId = formerId;
            old.eventLoop().execute(() -> old.resetOnOld(oldId, code, reason));
        }
    }

    private void pump() {
        MovedInput.Delivery d;
        while ((d = input.poll()) != null) {
            switch (d) {
                case MovedInput.Delivery.Data data -> dispatch(() -> handler.onData(this, data.data()));
                case MovedInput.Delivery.Finished f -> {
                    if (!finDelivered) {
                        finDelivered = true;
                        dispatch(() -> handler.onFinished(this));
                    }
                }
            }
        }
        maybeClosed();
    }

    private void maybeClosed() {
        if (continuationClosed && finDelivered && !gone) {
            gone = true;
            dispatch(() -> handler.onClosed(this));
        }
    }

    void deliverData(ByteBuffer data) {
        if (input != null) {
            try {
                input.fromNew(data);
            } catch (ProtocolException e) {
                reset(e.code(), e.getMessage());
                return;
            }
            pump();
            return;
        }
        dispatch(() -> handler.onData(this, data));
    }

    void deliverFinished() {
        if (input != null) {
            input.newFinished();
            pump();
            return;
        }
        finDelivered = true;
        dispatch(() -> handler.onFinished(this));
    }

    void deliverWritable() {
        if (!gone) {
            dispatch(() -> handler.onWritable(this));
        }
    }

    void deliverReset(ErrorCode code, String reason) {
        if (input != null && !gone) {
            resetFormer(code, reason);
        }
        gone = true;
        dispatch(() -> handler.onReset(this, code, reason));
    }

    void deliverClosed() {
        if (input != null) {
            continuationClosed = true; // closed on the new link; the old one may still owe bytes
            pump();
            return;
        }
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
        return "stream " + id + " (" + address() + ")" + (former != null ? " moved to " + muxId : "");
    }

    /** What the old link hands the new one: the mux's leftovers, the reader, whether the FIN was delivered. */
    record Handover(Mux.Moved moved, MovedInput input, boolean inputFinished) {}
}
