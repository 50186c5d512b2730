package net.barn.core.mux;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;

/**
 * The input half of a stream that moves from one link to another (docs/PROTOCOL.md 5.10), as
 * the application must see it: what the old stream carries up to the peer's MOVE, then what
 * the continuation carries. Continuation bytes that arrive before the MOVE are held; they are
 * not consumed meanwhile, so the continuation's receive window bounds them. Also says which of
 * the two streams the application's consumption belongs to, so each link reopens its own window.
 * Sans-IO and single-threaded, like {@link Mux}.
 */
public final class MovedInput {
    /** What the application is handed, in order. */
    public sealed interface Delivery {
        record Data(ByteBuffer data) implements Delivery {}

        /** The peer finished its half: nothing more follows. Delivered once. */
        record Finished() implements Delivery {}
    }

    /** How many of the bytes the application consumed came from each stream. */
    public record Consumed(long fromOld, long fromNew) {}

    private final ArrayDeque<Delivery> out = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> held = new ArrayDeque<>();
    private boolean oldEnded;
    private boolean heldFin;
    private boolean finished;
    private long oldUnconsumed;

    /** @param oldEnded the peer's MOVE has already arrived on the old stream */
    public MovedInput(boolean oldEnded) {
        this.oldEnded = oldEnded;
    }

    /** Bytes of the old stream, which precede everything on the continuation. */
    public void fromOld(ByteBuffer data) {
        if (oldEnded) {
            throw new IllegalStateException("old stream data after its MOVE");
        }
        oldUnconsumed += data.remaining();
        out.add(new Delivery.Data(data));
    }

    /** The peer finished its half on the old stream (a MOVE may still follow it). */
    public void oldFinished() {
        finish();
    }

    /** The peer's MOVE arrived on the old stream: what the continuation holds is next. */
    public void oldMoved() throws ProtocolException {
        if (oldEnded) {
            return;
        }
        oldEnded = true;
        ByteBuffer b;
        while ((b = held.poll()) != null) {
            fromNew(b);
        }
        if (heldFin) {
            finish();
        }
    }

    /** Bytes of the continuation: delivered once the old stream has ended, held until then. */
    public void fromNew(ByteBuffer data) throws ProtocolException {
        if (!oldEnded) {
            held.add(data);
            return;
        }
        if (finished && data.hasRemaining()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "data on a continuation after the stream's FIN");
        }
        if (data.hasRemaining()) {
            out.add(new Delivery.Data(data));
        }
    }

    /** The peer finished its half on the continuation. */
    public void newFinished() {
        if (oldEnded) {
            finish();
        } else {
            heldFin = true;
        }
    }

    private void finish() {
        if (!finished) {
            finished = true;
            out.add(new Delivery.Finished());
        }
    }

    /** The application took {@code bytes} of delivered data: the old stream's come first. */
    public Consumed consumed(long bytes) {
        long old = Math.min(bytes, oldUnconsumed);
        oldUnconsumed -= old;
        return new Consumed(old, bytes - old);
    }

    /** The next thing to hand the application, or null. */
    public Delivery poll() {
        return out.poll();
    }

    /** True once the peer's MOVE has arrived: the old stream carries nothing more. */
    public boolean oldEnded() {
        return oldEnded;
    }

    /** True once the application has been (or is about to be) told the input finished. */
    public boolean finished() {
        return finished;
    }

    /** Bytes delivered from the old stream that the application has not consumed yet. */
    public long oldUnconsumed() {
        return oldUnconsumed;
    }
}
