package net.barn.daemon;

import java.nio.ByteBuffer;
import net.barn.core.ErrorCode;

/**
 * Receives a stream's traffic on the link's event-loop thread. Implementations must not
 * block; call {@link BarnStream#consumed} once bytes are taken so the peer may send more.
 * {@link BlockingStream} adapts a stream to blocking {@code InputStream}/{@code OutputStream}.
 */
public interface StreamHandler {
    /** Bytes in order. The buffer is the handler's to keep. */
    void onData(BarnStream stream, ByteBuffer data);

    /** The peer finished its half: no more data. */
    default void onFinished(BarnStream stream) {}

    /** The stream is gone: reset by the peer, by a local limit, or because the link closed. */
    default void onReset(BarnStream stream, ErrorCode code, String reason) {}

    /** A write that was cut short can be retried. */
    default void onWritable(BarnStream stream) {}

    /** Both halves ended cleanly. */
    default void onClosed(BarnStream stream) {}
}
