package net.barn.core.mux;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/** Per-stream state of the multiplexer: send queue and allowance, receive window. */
final class MuxStream {
    final int id;
    final boolean inbound;

    // Send half.
    final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    long queued;
    long sentOffset;
    long sendLimit = MuxConfig.INITIAL_STREAM_WINDOW;
    boolean finQueued;
    boolean finSent;
    boolean inReadyRing;
    boolean writableWanted;
    /** The local half moved to a continuation: a MOVE is queued or sent, no more DATA. */
    boolean moveSent;

    // Receive half.
    long receivedOffset;
    long consumedOffset;
    long recvLimit = MuxConfig.INITIAL_STREAM_WINDOW;
    int recvWindow = MuxConfig.INITIAL_STREAM_WINDOW;
    long lastWindowUpdateNanos = Long.MIN_VALUE;
    int pendingIncrement;
    /** The peer's half ended, by FIN or by MOVE. */
    boolean finReceived;
    boolean moveReceived;

    MuxStream(int id, boolean inbound) {
        this.id = id;
        this.inbound = inbound;
    }

    long allowance() {
        return sendLimit - sentOffset;
    }

    /** True when the scheduler can put a frame of this stream on the wire now. */
    boolean canSend() {
        if (finSent) {
            return false;
        }
        return Math.min(queued, allowance()) > 0 || (finQueued && queued == 0);
    }

    boolean isDone() {
        return finSent && finReceived && queued == 0;
    }
}
