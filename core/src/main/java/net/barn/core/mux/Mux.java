package net.barn.core.mux;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;

/**
 * The stream multiplexer of one link, as a sans-IO state machine. The link feeds it decrypted
 * transport messages ({@link #handleMessage}) and asks it for frames to encrypt
 * ({@link #writeFrames}); the application side opens, writes, consumes and resets streams.
 * Time enters only as {@code nowNanos} arguments. Not thread-safe: one driver thread owns it.
 *
 * <p>Flow control is per stream, with windows that start at {@link MuxConfig#INITIAL_STREAM_WINDOW}
 * and double whenever the application drained a window in under two round trips (the
 * bandwidth-delay product outgrew it), up to {@link MuxConfig#maxStreamWindow} and within
 * {@link MuxConfig#windowBudget} for the link. Sending is round-robin across streams, one
 * quantum at a time, after control frames and datagrams.
 */
public final class Mux {
    private final MuxConfig config;
    private final boolean initiator;
    private final Map<Integer, MuxStream> streams = new HashMap<>();
    private final ArrayDeque<MuxStream> ready = new ArrayDeque<>();
    private final ArrayDeque<Frame> control = new ArrayDeque<>();
    private final LinkedHashSet<MuxStream> windowUpdates = new LinkedHashSet<>();
    private final ArrayDeque<Frame.Datagram> datagrams = new ArrayDeque<>();
    private final ArrayDeque<MuxEvent> events = new ArrayDeque<>();
    private int pendingPongs;

    private int nextLocalId;
    private int highestRemoteId;
    private int inboundCount;
    private int outboundCount;
    private long windowSum;

    private long lastReceiveNanos;
    private long nextPingNanos;
    private long pingOpaque;
    private long pingSentNanos = -1;
    private long smoothedRttNanos = -1;

    private Frame.GoAway peerGoAway;
    private long bytesSent;
    private long bytesReceived;
    private long datagramsDropped;

    public Mux(boolean initiator, MuxConfig config, long nowNanos) {
        this.config = config;
        this.initiator = initiator;
        this.nextLocalId = initiator ? 1 : 2;
        this.lastReceiveNanos = nowNanos;
        this.nextPingNanos = nowNanos; // an early PING gives the first RTT for window tuning
    }

    // ---------------------------------------------------------------- application side

    /** Opens a stream to a port; returns its id. */
    public int openStream(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        return open(port, null);
    }

    /** Opens a stream to a named service; returns its id. */
    public int openStream(String service) {
        return open(0, ServiceName.require(service));
    }

    /**
     * Opens the continuation of stream {@code oldStream} of the link tagged {@code oldLink}
     * (docs/PROTOCOL.md 5.10), to the same port or service; returns its id. The peer accepts
     * by moving the old stream, or resets this one.
     */
    public int openContinuation(int port, String service, long oldLink, int oldStream) {
        if (oldStream <= 0) {
            throw new IllegalArgumentException("a continuation names a stream id 1..2^31-1");
        }
        if (service == null && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        return open(port, service == null ? null : ServiceName.require(service), oldLink, oldStream);
    }

    private int open(int port, String service) {
        return open(port, service, 0, 0);
    }

    private int open(int port, String service, long continuesLink, int continuesStream) {
        if (outboundCount >= config.maxOutboundStreams()) {
            throw new IllegalStateException("too many open streams on this link (" + outboundCount + ")");
        }
        if (nextLocalId < 0 || nextLocalId > Integer.MAX_VALUE - 2) {
            throw new IllegalStateException("stream ids exhausted on this link; open a new link");
        }
        int id = nextLocalId;
        nextLocalId += 2;
        MuxStream s = new MuxStream(id, false);
        streams.put(id, s);
        outboundCount++;
        windowSum += s.recvWindow;
        control.add(new Frame.Open(id, port, service, continuesLink, continuesStream));
        return id;
    }

    /**
     * Queues bytes on a stream; returns how many were accepted (the rest did not fit the send
     * buffer, and a {@link MuxEvent.StreamWritable} follows once room is free), or -1 if the
     * stream can no longer send.
     */
    public int write(int stream, ByteBuffer data) {
        return enqueue(stream, data, true);
    }

    /**
     * As {@link #write}, but takes the buffer itself instead of copying it: the caller hands
     * over a buffer it will never touch again, and the accepted bytes are consumed from its
     * position. Lets the copy happen on the application's thread rather than the link's.
     */
    public int writeOwned(int stream, ByteBuffer owned) {
        return enqueue(stream, owned, false);
    }

    private int enqueue(int stream, ByteBuffer source, boolean copy) {
        MuxStream s = liveSendHalf(stream);
        if (s == null) {
            return -1;
        }
        int n = (int) Math.min(config.sendBufferBytes() - s.queued, source.remaining());
        if (n < source.remaining()) {
            s.writableWanted = true;
        }
        if (n <= 0) {
            return 0;
        }
        ByteBuffer chunk = copy ? ByteBuffer.allocate(n) : source.slice(source.position(), n);
        if (copy) {
            chunk.put(chunk.position(), source, source.position(), n);
        }
        source.position(source.position() + n);
        s.queue.add(chunk);
        s.queued += n;
        markReady(s);
        return n;
    }

    /** Ends the local half after the queued bytes (half-close). */
    public void finish(int stream) {
        MuxStream s = liveSendHalf(stream);
        if (s != null) {
            s.finQueued = true;
            markReady(s);
        }
    }

    /**
     * What a {@link #move} took off a stream: the bytes the application had queued that never
     * left, and whether its half was finished (FIN queued or sent). Both belong on the
     * continuation, in this order.
     */
    public record Moved(java.util.List<ByteBuffer> unsent, boolean fin) {}

    /**
     * Moves the local half of a stream to its continuation on another link (docs/PROTOCOL.md
     * 5.10): queues a MOVE, which follows every byte already sent, and hands back what was
     * still queued. The stream keeps receiving until the peer's MOVE or FIN. Returns null
     * when the stream is gone or its half already moved.
     */
    public Moved move(int stream) {
        MuxStream s = streams.get(stream);
        if (s == null || s.moveSent) {
            return null;
        }
        java.util.List<ByteBuffer> unsent = new java.util.ArrayList<>(s.queue);
        boolean fin = s.finQueued;
        s.queue.clear();
        s.queued = 0;
        s.finQueued = true;
        s.finSent = true;
        s.moveSent = true;
        s.writableWanted = false;
        if (s.inReadyRing) {
            ready.remove(s);
            s.inReadyRing = false;
        }
        control.add(new Frame.Move(stream));
        closeIfDone(s);
        return new Moved(unsent, fin);
    }

    /** Abandons a stream in both directions and tells the peer why. */
    public void reset(int stream, ErrorCode code, String reason) {
        MuxStream s = streams.get(stream);
        if (s != null) {
            remove(s);
            control.add(new Frame.Reset(stream, code, reason));
        }
    }

    /** The application has taken {@code bytes} of this stream's data: reopen that much window. */
    public void consumed(long nowNanos, int stream, int bytes) {
        MuxStream s = streams.get(stream);
        if (s == null || bytes <= 0) {
            return;
        }
        s.consumedOffset = Math.min(s.consumedOffset + bytes, s.receivedOffset);
        if (s.finReceived) {
            return; // the peer will send nothing more; no window to reopen
        }
        long outstanding = s.recvLimit - s.consumedOffset;
        if (outstanding > s.recvWindow / 2) {
            return;
        }
        growWindowIfDrainedFast(nowNanos, s);
        long newLimit = s.consumedOffset + s.recvWindow;
        int increment = (int) (newLimit - s.recvLimit);
        if (increment > 0) {
            s.recvLimit = newLimit;
            s.pendingIncrement += increment;
            s.lastWindowUpdateNanos = nowNanos;
            windowUpdates.add(s);
        }
    }

    private void growWindowIfDrainedFast(long nowNanos, MuxStream s) {
        if (smoothedRttNanos <= 0 || s.lastWindowUpdateNanos == Long.MIN_VALUE) {
            return;
        }
        if (nowNanos - s.lastWindowUpdateNanos >= 2 * smoothedRttNanos) {
            return; // the window lasted two round trips: it is not what limits this stream
        }
        int grown = (int) Math.min((long) s.recvWindow * 2, config.maxStreamWindow());
        long delta = grown - s.recvWindow;
        if (delta > 0 && windowSum + delta <= config.windowBudget()) {
            s.recvWindow = grown;
            windowSum += delta;
        }
    }

    /**
     * Queues a datagram. Returns false when it was dropped because the link is congested, as
     * datagrams may be; throws when it is over the size limit or a port is out of range.
     */
    public boolean sendDatagram(int destinationPort, int sourcePort, ByteBuffer payload) {
        if (destinationPort < 1 || destinationPort > 65535 || sourcePort < 0 || sourcePort > 65535) {
            throw new IllegalArgumentException("datagram ports must be 1..65535 (source may be 0)");
        }
        if (payload.remaining() > MuxConfig.MAX_DATAGRAM_PAYLOAD) {
            throw new IllegalArgumentException("datagram of " + payload.remaining() + " bytes exceeds the "
                    + MuxConfig.MAX_DATAGRAM_PAYLOAD + "-byte limit");
        }
        if (datagrams.size() >= config.datagramQueueLimit()) {
            datagramsDropped++;
            return false;
        }
        byte[] copy = new byte[payload.remaining()];
        payload.get(copy);
        datagrams.add(new Frame.Datagram(destinationPort, sourcePort, ByteBuffer.wrap(copy)));
        return true;
    }

    /**
     * Queues a PING with the caller's {@code opaque} (keepalive PINGs use small counters; pick
     * one they never reach). Its answer comes as {@link MuxEvent.PingAnswered}: by then the peer
     * had read every frame this side sent before the PING, and had sent every frame it queued
     * before reading it.
     */
    public void ping(long opaque) {
        control.add(new Frame.Ping(false, opaque));
    }

    /**
     * True while the peer may still open stream {@code id}: it has the peer's parity and is
     * above every id the peer opened so far, so an OPEN for it may be on its way.
     */
    public boolean peerMayOpen(int id) {
        return id > 0 && !isLocalParity(id) && Integer.compareUnsigned(id, highestRemoteId) > 0;
    }

    /** Queues a GOAWAY: the last frame this mux will send. */
    public void goAway(ErrorCode code, String reason) {
        control.add(new Frame.GoAway(code, reason));
    }

    private MuxStream liveSendHalf(int stream) {
        MuxStream s = streams.get(stream);
        if (s == null || s.finQueued) {
            return null;
        }
        return s;
    }

    // ---------------------------------------------------------------- link side: input

    /**
     * Processes one decrypted transport message. A {@link ProtocolException} means the peer
     * broke the protocol and the link must close with its code.
     */
    public void handleMessage(long nowNanos, byte[] message, int off, int len) throws ProtocolException {
        lastReceiveNanos = nowNanos;
        List<Frame> frames = FrameCodec.decodeAll(message, off, len);
        for (Frame frame : frames) {
            handleFrame(nowNanos, frame);
        }
        if (control.size() > config.controlQueueLimit()) {
            throw new ProtocolException(ErrorCode.FLOOD,
                    "peer provoked " + control.size() + " unsent control frames without reading them");
        }
    }

    private void handleFrame(long nowNanos, Frame frame) throws ProtocolException {
        switch (frame) {
            case Frame.Data d -> onData(d);
            case Frame.Open o -> onOpen(o);
            case Frame.WindowUpdate w -> onWindowUpdate(w);
            case Frame.Reset r -> {
                MuxStream s = existing(r.stream(), "RESET");
                if (s != null) {
                    remove(s);
                    events.add(new MuxEvent.StreamReset(r.stream(), r.code(), r.reason()));
                }
            }
            case Frame.Datagram g -> events.add(new MuxEvent.DatagramReceived(g.destinationPort(), g.sourcePort(), g.payload()));
            case Frame.Ping p -> onPing(nowNanos, p);
            case Frame.GoAway g -> peerGoAway = g;
            case Frame.Move m -> onMove(m);
        }
    }

    private void onData(Frame.Data d) throws ProtocolException {
        MuxStream s = existing(d.stream(), "DATA");
        if (s == null) {
            return; // in flight when we reset the stream
        }
        if (s.finReceived) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    "DATA after " + (s.moveReceived ? "MOVE" : "FIN") + " on stream " + d.stream());
        }
        int n = d.payload().remaining();
        if (s.receivedOffset + n > s.recvLimit) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "stream " + d.stream() + " sent "
                    + (s.receivedOffset + n - s.recvLimit) + " bytes beyond its window");
        }
        s.receivedOffset += n;
        bytesReceived += n;
        if (n > 0) {
            events.add(new MuxEvent.StreamData(d.stream(), d.payload()));
        }
        if (d.fin()) {
            s.finReceived = true;
            windowUpdates.remove(s);
            events.add(new MuxEvent.StreamFinished(d.stream()));
            closeIfDone(s);
        }
    }

    private void onMove(Frame.Move m) throws ProtocolException {
        MuxStream s = existing(m.stream(), "MOVE");
        if (s == null) {
            return;
        }
        if (s.moveReceived) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "second MOVE on stream " + m.stream());
        }
        s.moveReceived = true;
        s.finReceived = true; // nothing more arrives here; a FIN before the MOVE stays valid
        windowUpdates.remove(s);
        events.add(new MuxEvent.StreamMoved(m.stream()));
        closeIfDone(s);
    }

    private void onOpen(Frame.Open o) throws ProtocolException {
        int id = o.stream();
        if (isLocalParity(id)) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "peer opened stream " + id + " with our parity");
        }
        if (Integer.compareUnsigned(id, highestRemoteId) <= 0 || id < 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream id " + id + " reused or out of order");
        }
        highestRemoteId = id;
        if (inboundCount >= config.maxInboundStreams()) {
            control.add(new Frame.Reset(id, ErrorCode.STREAM_LIMIT,
                    "at most " + config.maxInboundStreams() + " concurrent streams"));
            return;
        }
        MuxStream s = new MuxStream(id, true);
        streams.put(id, s);
        inboundCount++;
        windowSum += s.recvWindow;
        events.add(o.isContinuation()
                ? new MuxEvent.ContinuationOpened(id, o.port(), o.service(), o.continuesLink(), o.continuesStream())
                : new MuxEvent.StreamOpened(id, o.port(), o.service()));
    }

    private void onWindowUpdate(Frame.WindowUpdate w) throws ProtocolException {
        MuxStream s = existing(w.stream(), "WINDOW_UPDATE");
        if (s == null) {
            return;
        }
        s.sendLimit += w.increment();
        if (s.allowance() > Integer.MAX_VALUE) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "window of stream " + w.stream() + " over 2^31-1");
        }
        markReady(s);
    }

    private void onPing(long nowNanos, Frame.Ping p) {
        if (!p.ack()) {
            if (pendingPongs < 8) { // a PING flood earns no more than a few answers
                pendingPongs++;
                control.add(new Frame.Ping(true, p.opaque()));
            }
            return;
        }
        if (pingSentNanos < 0 || p.opaque() != pingOpaque) {
            events.add(new MuxEvent.PingAnswered(p.opaque())); // not the keepalive's: a caller's PING
            return;
        }
        long sample = Math.max(1, nowNanos - pingSentNanos);
        smoothedRttNanos = smoothedRttNanos < 0 ? sample : (7 * smoothedRttNanos + sample) / 8;
        pingSentNanos = -1;
        events.add(new MuxEvent.RttSample(sample));
    }

    /** The stream for a frame, null if it was closed already; fails on ids never opened. */
    private MuxStream existing(int id, String what) throws ProtocolException {
        MuxStream s = streams.get(id);
        if (s != null) {
            return s;
        }
        boolean closedBefore = isLocalParity(id)
                ? Integer.compareUnsigned(id, nextLocalId) < 0
                : Integer.compareUnsigned(id, highestRemoteId) <= 0;
        if (!closedBefore) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + " for stream " + id + " that was never opened");
        }
        return null;
    }

    private boolean isLocalParity(int id) {
        return (id & 1) == (initiator ? 1 : 0);
    }

    // ---------------------------------------------------------------- link side: output

    /** True when {@link #writeFrames} has something to write. */
    public boolean hasPendingOutput() {
        return !control.isEmpty() || !windowUpdates.isEmpty() || !datagrams.isEmpty() || !ready.isEmpty();
    }

    /**
     * Writes as many frames as fit in {@code max} bytes at {@code out[off]}: control frames,
     * then window updates, then datagrams, then stream data round-robin. Returns bytes written.
     */
    public int writeFrames(long nowNanos, byte[] out, int off, int max) {
        int pos = off;
        int limit = off + max;
        while (!control.isEmpty()) {
            Frame f = control.peek();
            int n = FrameCodec.encodedLength(f);
            if (n > limit - pos) {
                return pos - off; // OPENs must precede their stream's data: finish control first
            }
            pos += FrameCodec.encode(f, out, pos);
            control.poll();
            if (f instanceof Frame.Ping p && p.ack()) {
                pendingPongs--;
            }
        }
        var updates = windowUpdates.iterator();
        while (updates.hasNext() && limit - pos >= Frame.HEADER_LENGTH + 4) {
            MuxStream s = updates.next();
            updates.remove();
            pos += FrameCodec.encode(new Frame.WindowUpdate(s.id, s.pendingIncrement), out, pos);
            s.pendingIncrement = 0;
        }
        while (!datagrams.isEmpty() && FrameCodec.encodedLength(datagrams.peek()) <= limit - pos) {
            pos += FrameCodec.encode(datagrams.poll(), out, pos);
        }
        while (!ready.isEmpty() && limit - pos > Frame.HEADER_LENGTH) {
            MuxStream s = ready.poll();
            s.inReadyRing = false;
            if (!s.canSend()) {
                continue; // blocked by flow control until a WINDOW_UPDATE re-queues it
            }
            int n = (int) Math.min(Math.min(s.queued, s.allowance()),
                    Math.min(MuxConfig.DATA_QUANTUM, limit - pos - Frame.HEADER_LENGTH));
            boolean fin = s.finQueued && s.queued == n;
            pos = FrameCodec.writeHeader(out, pos, Frame.TYPE_DATA, fin ? Frame.FLAG_FIN : 0, s.id, n);
            pos = drain(s, out, pos, n);
            if (fin) {
                s.finSent = true;
            }
            if (s.writableWanted && s.queued <= config.sendBufferBytes() / 2) {
                s.writableWanted = false;
                events.add(new MuxEvent.StreamWritable(s.id));
            }
            if (fin) {
                closeIfDone(s);
            } else {
                markReady(s);
            }
        }
        return pos - off;
    }

    private int drain(MuxStream s, byte[] out, int pos, int n) {
        int left = n;
        while (left > 0) {
            ByteBuffer head = s.queue.peek();
            int take = Math.min(left, head.remaining());
            head.get(out, pos, take);
            pos += take;
            left -= take;
            if (!head.hasRemaining()) {
                s.queue.poll();
            }
        }
        s.queued -= n;
        s.sentOffset += n;
        bytesSent += n;
        return pos;
    }

    private void markReady(MuxStream s) {
        if (!s.inReadyRing && s.canSend() && streams.get(s.id) == s) {
            s.inReadyRing = true;
            ready.add(s);
        }
    }

    private void closeIfDone(MuxStream s) {
        if (s.isDone()) {
            remove(s);
            events.add(new MuxEvent.StreamClosed(s.id));
        }
    }

    private void remove(MuxStream s) {
        if (streams.remove(s.id) == null) {
            return;
        }
        if (s.inbound) {
            inboundCount--;
        } else {
            outboundCount--;
        }
        windowSum -= s.recvWindow;
        windowUpdates.remove(s);
        s.queue.clear();
        s.queued = 0;
        s.finSent = true; // nothing more may leave for this stream
        if (s.inReadyRing) {
            ready.remove(s);
            s.inReadyRing = false;
        }
    }

    // ---------------------------------------------------------------- timers and status

    /** When {@link #handleTimeout} must next run (a nanosecond instant). */
    public long pollTimeout() {
        long idleAt = lastReceiveNanos + config.idleTimeoutNanos();
        return pingSentNanos >= 0 ? idleAt : Math.min(idleAt, nextPingNanos);
    }

    /** Runs due timers: keepalive PINGs, and the idle timeout (a {@link ProtocolException}). */
    public void handleTimeout(long nowNanos) throws ProtocolException {
        if (nowNanos - lastReceiveNanos >= config.idleTimeoutNanos()) {
            throw new ProtocolException(ErrorCode.IDLE_TIMEOUT,
                    "nothing received for " + (nowNanos - lastReceiveNanos) / 1_000_000_000L + " s");
        }
        if (pingSentNanos < 0 && nowNanos >= nextPingNanos) {
            pingOpaque++;
            pingSentNanos = nowNanos;
            nextPingNanos = nowNanos + config.keepaliveNanos();
            control.add(new Frame.Ping(false, pingOpaque));
        }
    }

    public MuxEvent pollEvent() {
        return events.poll();
    }

    /** The GOAWAY the peer sent, if any: the link is ending. */
    public Frame.GoAway peerGoAway() {
        return peerGoAway;
    }

    /** Smoothed round-trip time, or -1 before the first sample. */
    public long smoothedRttNanos() {
        return smoothedRttNanos;
    }

    public int streamCount() {
        return streams.size();
    }

    public int inboundStreamCount() {
        return inboundCount;
    }

    /** Current receive window of a stream (for tests and status), or -1 if unknown. */
    public int receiveWindow(int stream) {
        MuxStream s = streams.get(stream);
        return s == null ? -1 : s.recvWindow;
    }

    /** Bytes the application may still queue on a stream before a write is cut short. */
    public long sendBufferRoom(int stream) {
        MuxStream s = streams.get(stream);
        return s == null || s.finQueued ? 0 : config.sendBufferBytes() - s.queued;
    }

    public boolean isOpen(int stream) {
        return streams.containsKey(stream);
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public long datagramsDropped() {
        return datagramsDropped;
    }

    public long windowSum() {
        return windowSum;
    }
}
