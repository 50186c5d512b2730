package net.barn.core.mux;

import java.nio.ByteBuffer;
import net.barn.core.ErrorCode;

/** What the multiplexer tells its driver; polled with {@link Mux#pollEvent()}. */
public sealed interface MuxEvent {
    /** The peer opened a stream to a port, or to a service when port is 0. Accept it or reset it. */
    record StreamOpened(int stream, int port, String service) implements MuxEvent {}

    /**
     * The peer opened a stream that continues stream {@code continuesStream} of the link
     * tagged {@code continuesLink} (docs/PROTOCOL.md 5.10). Accept it by moving that stream
     * ({@link Mux#move}) on its link, or reset it to leave the stream where it is.
     */
    record ContinuationOpened(int stream, int port, String service, long continuesLink, int continuesStream)
            implements MuxEvent {}

    /** The peer moved its half of the stream to the stream's continuation: nothing more arrives here. */
    record StreamMoved(int stream) implements MuxEvent {}

    /** Bytes arrived in order; call {@link Mux#consumed} once the application has taken them. */
    record StreamData(int stream, ByteBuffer data) implements MuxEvent {}

    /** The peer finished its half: no more data will arrive on this stream. */
    record StreamFinished(int stream) implements MuxEvent {}

    /** The stream was abandoned, by the peer or by a local limit, and is gone. */
    record StreamReset(int stream, ErrorCode code, String reason) implements MuxEvent {}

    /** Send-buffer space is free again on a stream whose last write was cut short. */
    record StreamWritable(int stream) implements MuxEvent {}

    /** Both halves of the stream have ended cleanly; the mux has forgotten it. */
    record StreamClosed(int stream) implements MuxEvent {}

    /** A datagram for a local port. */
    record DatagramReceived(int destinationPort, int sourcePort, ByteBuffer payload) implements MuxEvent {}

    /** The peer answered a PING sent with {@link Mux#ping}: it had read every frame sent before it. */
    record PingAnswered(long opaque) implements MuxEvent {}

    /** A new round-trip-time sample from a PING. */
    record RttSample(long rttNanos) implements MuxEvent {}
}
