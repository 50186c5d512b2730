package net.barn.core.link;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.mux.Frame;
import net.barn.core.mux.FrameCodec;
import net.barn.core.mux.Mux;
import net.barn.core.noise.CipherState;
import net.barn.core.noise.HandshakeState;
import net.barn.core.noise.NoiseCipher;
import net.barn.core.noise.NoiseException;

/**
 * One secure link as a sans-IO state machine: the preamble, the Noise XX handshake whose
 * payloads bind each side's Noise key to its identity, then encrypted transport messages
 * carrying the multiplexer's frames.
 *
 * <p>The driver feeds it what arrives ({@link #handlePreamble}, {@link #handleMessage},
 * {@link #handleEof}, {@link #handleTimeout}) and writes out what {@link #pollTransmit}
 * returns; {@link #pollEvent} reports establishment and closure, {@link #mux()} carries the
 * streams. Time and entropy are injected. Not thread-safe: one driver thread owns it.
 */
public final class Link {
    /** Largest plaintext in one transport message: the Noise limit less the tag. */
    public static final int MAX_PLAINTEXT = HandshakeState.MAX_MESSAGE_LENGTH - NoiseCipher.TAG_LENGTH;
    /** Handshake messages are small; anything larger is refused before it is parsed. */
    public static final int MAX_HANDSHAKE_MESSAGE = 4096;
    public static final String NOISE_PATTERN = "XX";

    /** Where a link is in its life. */
    public enum State { AWAIT_PREAMBLE, HANDSHAKE, ESTABLISHED, CLOSING, CLOSED }

    private final boolean initiator;
    private final LinkCredentials credentials;
    private final LinkConfig config;
    private final NodeId expectedPeer;
    private final SecureRandom entropy;
    private final VerifiedKeys verified;
    private final long handshakeDeadline;
    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<LinkEvent> events = new ArrayDeque<>();
    private final byte[] scratch = new byte[MAX_PLAINTEXT];

    private State state;
    private HandshakeState handshake;
    private CipherState sender;
    private CipherState receiver;
    private Mux mux;
    private PeerInfo peer;
    private ErrorCode closingCode;
    private String closingReason;

    private Link(boolean initiator, LinkCredentials credentials, LinkConfig config, NodeId expectedPeer,
            SecureRandom entropy, VerifiedKeys verified, long nowNanos) {
        this.initiator = initiator;
        this.credentials = credentials;
        this.config = config;
        this.expectedPeer = expectedPeer;
        this.entropy = entropy;
        this.verified = verified;
        this.handshakeDeadline = nowNanos + config.handshakeTimeoutNanos();
    }

    /**
     * Starts a link as the dialing side. If {@code expectedPeer} is not null, the link fails
     * unless the answering node proves that id.
     */
    public static Link initiate(LinkCredentials credentials, LinkConfig config, NodeId expectedPeer,
            SecureRandom entropy, VerifiedKeys verified, long nowNanos) {
        Link link = new Link(true, credentials, config, expectedPeer, entropy, verified, nowNanos);
        byte[] preamble = Preamble.encode(Preamble.VERSION);
        link.handshake = link.newHandshake(preamble);
        link.state = State.HANDSHAKE;
        link.transmits.add(new Transmit.Raw(preamble));
        try {
            link.transmits.add(new Transmit.Message(link.handshake.writeMessage(new byte[0])));
        } catch (NoiseException e) {
            throw new IllegalStateException("cannot write the first handshake message", e);
        }
        return link;
    }

    /** Starts a link as the accepting side; it first expects the initiator's preamble. */
    public static Link accept(LinkCredentials credentials, LinkConfig config, SecureRandom entropy,
            VerifiedKeys verified, long nowNanos) {
        Link link = new Link(false, credentials, config, null, entropy, verified, nowNanos);
        link.state = State.AWAIT_PREAMBLE;
        return link;
    }

    private HandshakeState newHandshake(byte[] prologue) {
        return HandshakeState.builder(NOISE_PATTERN, initiator)
                .cipher(NoiseCipher.CHACHAPOLY)
                .prologue(prologue)
                .localStatic(credentials.noiseStatic())
                .entropy(entropy)
                .build();
    }

    // ---------------------------------------------------------------- input

    /** The responder's first input: the initiator's 8-byte preamble. */
    public void handlePreamble(long nowNanos, byte[] preamble) {
        if (state != State.AWAIT_PREAMBLE) {
            fail(ErrorCode.PROTOCOL_ERROR, "unexpected preamble");
            return;
        }
        int version = Preamble.version(preamble);
        if (version < 0) {
            fail(ErrorCode.PROTOCOL_ERROR, "not a BARN link (bad preamble)");
            return;
        }
        if (version != Preamble.VERSION) {
            transmits.add(new Transmit.Message(Preamble.encode(Preamble.VERSION)));
            fail(ErrorCode.UNSUPPORTED_VERSION, "peer speaks link version " + version + ", this node " + Preamble.VERSION);
            return;
        }
        handshake = newHandshake(preamble);
        state = State.HANDSHAKE;
    }

    /** One frame body from the wire codec: a handshake message or a transport message. */
    public void handleMessage(long nowNanos, byte[] body) {
        switch (state) {
            case AWAIT_PREAMBLE -> fail(ErrorCode.PROTOCOL_ERROR, "frame before the preamble");
            case HANDSHAKE -> onHandshakeMessage(nowNanos, body);
            case ESTABLISHED -> onTransportMessage(nowNanos, body);
            case CLOSING, CLOSED -> { } // the link is ending; late input changes nothing
        }
    }

    /** The transport reached end of stream; {@code midFrame} if it cut a frame short. */
    public void handleEof(long nowNanos, boolean midFrame) {
        if (state == State.CLOSED) {
            return;
        }
        String why = midFrame ? "connection closed mid-frame"
                : state == State.ESTABLISHED ? "connection closed without GOAWAY" : "connection closed during handshake";
        finish(midFrame ? ErrorCode.PROTOCOL_ERROR : ErrorCode.CONNECTION_LOST, why, true);
    }

    /** Runs due timers: the handshake deadline, then the mux's keepalive and idle timeout. */
    public void handleTimeout(long nowNanos) {
        switch (state) {
            case AWAIT_PREAMBLE, HANDSHAKE -> {
                if (nowNanos - handshakeDeadline >= 0) {
                    fail(ErrorCode.HANDSHAKE_TIMEOUT, "no handshake within "
                            + config.handshakeTimeoutNanos() / 1_000_000 + " ms");
                }
            }
            case ESTABLISHED -> {
                try {
                    mux.handleTimeout(nowNanos);
                } catch (ProtocolException e) {
                    close(e.code(), e.getMessage());
                }
            }
            case CLOSING, CLOSED -> { }
        }
    }

    private void onHandshakeMessage(long nowNanos, byte[] body) {
        if (body.length > MAX_HANDSHAKE_MESSAGE) {
            fail(ErrorCode.FRAME_TOO_LARGE, "handshake message of " + body.length + " bytes, limit " + MAX_HANDSHAKE_MESSAGE);
            return;
        }
        if (initiator && body.length == Preamble.LENGTH && Preamble.hasMagic(body)) {
            int theirs = Preamble.version(body);
            fail(ErrorCode.UNSUPPORTED_VERSION, "peer refused link version " + Preamble.VERSION
                    + (theirs >= 0 ? " and speaks version " + theirs : ""));
            return;
        }
        try {
            byte[] payload = handshake.readMessage(body);
            // The initiator reads only message 2, the responder's identity; the responder's
            // identity-bearing read is message 3, which completes the handshake. Message 1's
            // payload is empty by protocol and ignored.
            if (initiator || handshake.isComplete()) {
                peer = HandshakePayloads.verify(payload, handshake.remoteStaticKey(), expectedPeer,
                        credentials.identity().id(), config, verified);
            }
            if (!handshake.isComplete()) {
                transmits.add(new Transmit.Message(handshake.writeMessage(HandshakePayloads.build(credentials, config))));
            }
        } catch (NoiseException e) {
            fail(ErrorCode.HANDSHAKE_FAILED, "Noise: " + e.getMessage());
            return;
        } catch (ProtocolException e) {
            if (handshake.isComplete()) {
                // The responder holds transport keys by now: it can tell the initiator why.
                establishCiphers(nowNanos);
                close(e.code(), e.getMessage());
            } else {
                fail(e.code(), e.getMessage());
            }
            return;
        }
        if (handshake.isComplete()) {
            establishCiphers(nowNanos);
            state = State.ESTABLISHED;
            events.add(new LinkEvent.Established(peer));
        }
    }

    private void establishCiphers(long nowNanos) {
        sender = handshake.sender();
        receiver = handshake.receiver();
        mux = new Mux(initiator, config.mux(), nowNanos);
        byte[] h = handshake.handshakeHash();
        long t = 0;
        for (int i = 0; i < 8; i++) {
            t = (t << 8) | (h[i] & 0xff);
        }
        tag = t;
        state = State.ESTABLISHED;
    }

    private long tag;

    /**
     * The link's tag: the first 8 bytes of its Noise handshake hash, big-endian. Both ends
     * compute the same value and no other link shares it; a stream continuation names the
     * link of the stream it continues by it (docs/PROTOCOL.md 5.10). 0 before the handshake.
     */
    public long tag() {
        return tag;
    }

    private void onTransportMessage(long nowNanos, byte[] body) {
        int plainLength;
        try {
            plainLength = receiver.decryptWithAd(EMPTY, body, 0, body.length, body, 0);
        } catch (NoiseException e) {
            close(ErrorCode.PROTOCOL_ERROR, "transport message failed authentication");
            return;
        }
        try {
            mux.handleMessage(nowNanos, body, 0, plainLength);
        } catch (ProtocolException e) {
            close(e.code(), e.getMessage());
            return;
        }
        Frame.GoAway goAway = mux.peerGoAway();
        if (goAway != null) {
            finish(goAway.code(), goAway.reason().isEmpty() ? goAway.code().description() : goAway.reason(), true);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    // ---------------------------------------------------------------- output

    /** Next bytes to write, or null when there is nothing to send now. */
    public Transmit pollTransmit(long nowNanos) {
        Transmit queued = transmits.poll();
        if (queued != null) {
            return queued;
        }
        if (state == State.CLOSING) {
            byte[] goAway = FrameCodec.encode(new Frame.GoAway(closingCode, closingReason));
            Transmit last = new Transmit.Message(seal(goAway, goAway.length));
            finish(closingCode, closingReason, false);
            return last;
        }
        if (state != State.ESTABLISHED || !mux.hasPendingOutput()) {
            return null;
        }
        int n = mux.writeFrames(nowNanos, scratch, 0, MAX_PLAINTEXT);
        return n == 0 ? null : new Transmit.Message(seal(scratch, n));
    }

    private byte[] seal(byte[] plaintext, int length) {
        byte[] out = new byte[length + NoiseCipher.TAG_LENGTH];
        sender.encryptWithAd(EMPTY, plaintext, 0, length, out, 0);
        return out;
    }

    public LinkEvent pollEvent() {
        return events.poll();
    }

    /** The next instant {@link #handleTimeout} must run, in the same clock as {@code nowNanos}. */
    public long pollTimeout() {
        return switch (state) {
            case AWAIT_PREAMBLE, HANDSHAKE -> handshakeDeadline;
            case ESTABLISHED -> mux.pollTimeout();
            case CLOSING, CLOSED -> Long.MAX_VALUE;
        };
    }

    // ---------------------------------------------------------------- control

    /**
     * Ends the link: once established, a GOAWAY with the code and reason is the last transmit;
     * during the handshake the transport is simply closed.
     */
    public void close(ErrorCode code, String reason) {
        if (state == State.ESTABLISHED) {
            state = State.CLOSING;
            closingCode = code;
            closingReason = reason;
        } else if (state != State.CLOSING && state != State.CLOSED) {
            fail(code, reason);
        }
    }

    private void fail(ErrorCode code, String reason) {
        finish(code, reason, false);
    }

    private void finish(ErrorCode code, String reason, boolean byPeer) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        events.add(new LinkEvent.Closed(code, reason, byPeer));
    }

    public State state() {
        return state;
    }

    public boolean isInitiator() {
        return initiator;
    }

    /** The proven peer; null until established. */
    public PeerInfo peer() {
        return peer;
    }

    /** The stream multiplexer; null until the handshake completes. */
    public Mux mux() {
        return mux;
    }
}
