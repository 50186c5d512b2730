package net.barn.core.mux;

import java.nio.ByteBuffer;
import net.barn.core.ErrorCode;

/**
 * The multiplexer's frames. Each travels as an 8-byte header (type, flags, stream id, length)
 * and a payload; one Noise transport message carries one or more whole frames.
 */
public sealed interface Frame {
    int HEADER_LENGTH = 8;
    int TYPE_DATA = 0x00;
    int TYPE_OPEN = 0x01;
    int TYPE_WINDOW_UPDATE = 0x02;
    int TYPE_RESET = 0x03;
    int TYPE_DATAGRAM = 0x04;
    int TYPE_PING = 0x05;
    int TYPE_GOAWAY = 0x06;
    int TYPE_MOVE = 0x07;
    int FLAG_FIN = 0x01;
    int FLAG_ACK = 0x02;
    /** On a frame type the receiver does not know: skip it instead of failing the link. */
    int FLAG_IGNORABLE = 0x80;
    /** Longest reason text in RESET and GOAWAY, in UTF-8 bytes. */
    int MAX_REASON_BYTES = 256;

    /** Stream bytes; {@code fin} ends the sender's half of the stream after them. */
    record Data(int stream, boolean fin, ByteBuffer payload) implements Frame {}

    /**
     * Opens a stream to a port (1..65535) or, when port is 0, to a named service. When
     * {@code continuesStream} is not 0 the stream is the continuation of stream
     * {@code continuesStream} of the link whose tag is {@code continuesLink} (see {@link Move}).
     */
    record Open(int stream, int port, String service, long continuesLink, int continuesStream) implements Frame {
        public Open(int stream, int port, String service) {
            this(stream, port, service, 0, 0);
        }

        public boolean isContinuation() {
            return continuesStream != 0;
        }
    }

    /** Lets the peer send {@code increment} more bytes on the stream. */
    record WindowUpdate(int stream, int increment) implements Frame {}

    /** Abandons both halves of a stream. */
    record Reset(int stream, ErrorCode code, String reason) implements Frame {}

    /** An unreliable message between ports; never larger than the datagram limit. */
    record Datagram(int destinationPort, int sourcePort, ByteBuffer payload) implements Frame {}

    /** Liveness and round-trip probe; the receiver echoes the opaque value with ack set. */
    record Ping(boolean ack, long opaque) implements Frame {}

    /**
     * The sender's half of the stream continues on the stream's continuation on another link to
     * the same peer: nothing more follows here from the sender. Only on links where both sides
     * announced {@code move/1}.
     */
    record Move(int stream) implements Frame {}

    /** The sender is closing the link and says why. */
    record GoAway(ErrorCode code, String reason) implements Frame {}
}
