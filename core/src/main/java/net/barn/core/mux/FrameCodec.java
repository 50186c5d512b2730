package net.barn.core.mux;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.wire.link.OpenStream;

/** Encodes and decodes mux frames; every decode path validates before it trusts a field. */
public final class FrameCodec {
    private FrameCodec() {}

    /** Writes an 8-byte header; returns the offset after it. */
    static int writeHeader(byte[] out, int off, int type, int flags, int stream, int length) {
        out[off] = (byte) type;
        out[off + 1] = (byte) flags;
        out[off + 2] = (byte) (stream >>> 24);
        out[off + 3] = (byte) (stream >>> 16);
        out[off + 4] = (byte) (stream >>> 8);
        out[off + 5] = (byte) stream;
        out[off + 6] = (byte) (length >>> 8);
        out[off + 7] = (byte) length;
        return off + Frame.HEADER_LENGTH;
    }

    static void writeInt(byte[] out, int off, int value) {
        out[off] = (byte) (value >>> 24);
        out[off + 1] = (byte) (value >>> 16);
        out[off + 2] = (byte) (value >>> 8);
        out[off + 3] = (byte) value;
    }

    /** Encoded size of a frame, so the scheduler knows whether it fits. */
    public static int encodedLength(Frame frame) {
        return Frame.HEADER_LENGTH + switch (frame) {
            case Frame.Data d -> d.payload().remaining();
            case Frame.Open o -> openPayload(o).length;
            case Frame.WindowUpdate w -> 4;
            case Frame.Reset r -> 4 + reasonBytes(r.reason()).length;
            case Frame.Datagram g -> 4 + g.payload().remaining();
            case Frame.Ping p -> 8;
            case Frame.GoAway g -> 4 + reasonBytes(g.reason()).length;
            case Frame.Move m -> 0;
        };
    }

    /** Encodes one frame at {@code off}; returns the number of bytes written. */
    public static int encode(Frame frame, byte[] out, int off) {
        int start = off;
        switch (frame) {
            case Frame.Data d -> {
                ByteBuffer p = d.payload().duplicate();
                off = writeHeader(out, off, Frame.TYPE_DATA, d.fin() ? Frame.FLAG_FIN : 0, d.stream(), p.remaining());
                int n = p.remaining();
                p.get(out, off, n);
                off += n;
            }
            case Frame.Open o -> {
                byte[] payload = openPayload(o);
                off = writeHeader(out, off, Frame.TYPE_OPEN, 0, o.stream(), payload.length);
                System.arraycopy(payload, 0, out, off, payload.length);
                off += payload.length;
            }
            case Frame.WindowUpdate w -> {
                off = writeHeader(out, off, Frame.TYPE_WINDOW_UPDATE, 0, w.stream(), 4);
                writeInt(out, off, w.increment());
                off += 4;
            }
            case Frame.Reset r -> off = writeCodeAndReason(out, off, Frame.TYPE_RESET, r.stream(), r.code(), r.reason());
            case Frame.Datagram g -> {
                ByteBuffer p = g.payload().duplicate();
                off = writeHeader(out, off, Frame.TYPE_DATAGRAM, 0, 0, 4 + p.remaining());
                out[off] = (byte) (g.destinationPort() >>> 8);
                out[off + 1] = (byte) g.destinationPort();
                out[off + 2] = (byte) (g.sourcePort() >>> 8);
                out[off + 3] = (byte) g.sourcePort();
                off += 4;
                int n = p.remaining();
                p.get(out, off, n);
                off += n;
            }
            case Frame.Ping p -> {
                off = writeHeader(out, off, Frame.TYPE_PING, p.ack() ? Frame.FLAG_ACK : 0, 0, 8);
                writeInt(out, off, (int) (p.opaque() >>> 32));
                writeInt(out, off + 4, (int) p.opaque());
                off += 8;
            }
            case Frame.GoAway g -> off = writeCodeAndReason(out, off, Frame.TYPE_GOAWAY, 0, g.code(), g.reason());
            case Frame.Move m -> off = writeHeader(out, off, Frame.TYPE_MOVE, 0, m.stream(), 0);
        }
        return off - start;
    }

    public static byte[] encode(Frame frame) {
        byte[] out = new byte[encodedLength(frame)];
        encode(frame, out, 0);
        return out;
    }

    private static int writeCodeAndReason(byte[] out, int off, int type, int stream, ErrorCode code, String reason) {
        byte[] text = reasonBytes(reason);
        off = writeHeader(out, off, type, 0, stream, 4 + text.length);
        writeInt(out, off, code.value());
        off += 4;
        System.arraycopy(text, 0, out, off, text.length);
        return off + text.length;
    }

    private static byte[] openPayload(Frame.Open o) {
        OpenStream.Builder b = OpenStream.newBuilder();
        if (o.port() != 0) {
            b.setPort(o.port());
        } else {
            b.setService(o.service());
        }
        if (o.isContinuation()) {
            b.setContinuesLink(com.google.protobuf.ByteString.copyFrom(longBytes(o.continuesLink())));
            b.setContinuesStream(o.continuesStream());
        }
        return b.build().toByteArray();
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        writeInt(b, 0, (int) (v >>> 32));
        writeInt(b, 4, (int) v);
        return b;
    }

    /** Reason text truncated to the limit on a UTF-8 character boundary. */
    static byte[] reasonBytes(String reason) {
        byte[] bytes = (reason == null ? "" : reason).getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= Frame.MAX_REASON_BYTES) {
            return bytes;
        }
        int end = Frame.MAX_REASON_BYTES;
        while (end > 0 && (bytes[end] & 0xc0) == 0x80) {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }

    /**
     * Decodes every frame of one decrypted transport message. Data and datagram payloads are
     * read-only views into {@code message}, which the caller must not reuse.
     */
    public static List<Frame> decodeAll(byte[] message, int off, int len) throws ProtocolException {
        List<Frame> frames = new ArrayList<>(4);
        int end = off + len;
        if (len == 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "empty transport message");
        }
        while (off < end) {
            if (end - off < Frame.HEADER_LENGTH) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "truncated frame header");
            }
            int type = out8(message, off);
            int flags = out8(message, off + 1);
            int stream = readInt(message, off + 2);
            int length = (out8(message, off + 6) << 8) | out8(message, off + 7);
            int payloadOff = off + Frame.HEADER_LENGTH;
            if (end - payloadOff < length) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                        "truncated frame: header says " + length + " bytes, " + (end - payloadOff) + " remain");
            }
            Frame frame = decodeOne(type, flags, stream, message, payloadOff, length);
            if (frame != null) {
                frames.add(frame);
            }
            off = payloadOff + length;
        }
        return frames;
    }

    private static Frame decodeOne(int type, int flags, int stream, byte[] m, int off, int length)
            throws ProtocolException {
        switch (type) {
            case Frame.TYPE_DATA -> {
                requireStream(stream, "DATA");
                return new Frame.Data(stream, (flags & Frame.FLAG_FIN) != 0, ByteBuffer.wrap(m, off, length).slice().asReadOnlyBuffer());
            }
            case Frame.TYPE_OPEN -> {
                requireStream(stream, "OPEN");
                OpenStream open;
                try {
                    open = OpenStream.parseFrom(ByteBuffer.wrap(m, off, length));
                } catch (InvalidProtocolBufferException e) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "OPEN payload is not an OpenStream message");
                }
                boolean hasPort = open.getPort() != 0;
                boolean hasService = !open.getService().isEmpty();
                if (hasPort == hasService) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "OPEN must name exactly one of port or service");
                }
                if (hasPort && open.getPort() > 65535) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "OPEN port " + open.getPort() + " out of range");
                }
                if (hasService && !ServiceName.isValid(open.getService())) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "OPEN service name is malformed");
                }
                boolean continues = open.getContinuesStream() != 0;
                if (continues != !open.getContinuesLink().isEmpty()
                        || (continues && (open.getContinuesLink().size() != 8 || open.getContinuesStream() < 0))) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                            "OPEN continuation needs an 8-byte link tag and a stream id 1..2^31-1");
                }
                long tag = 0;
                if (continues) {
                    byte[] t = open.getContinuesLink().toByteArray();
                    tag = ((long) readInt(t, 0) << 32) | (readInt(t, 4) & 0xffffffffL);
                }
                return new Frame.Open(stream, open.getPort(), hasService ? open.getService() : null, tag,
                        open.getContinuesStream());
            }
            case Frame.TYPE_WINDOW_UPDATE -> {
                requireStream(stream, "WINDOW_UPDATE");
                requireLength(length, 4, "WINDOW_UPDATE");
                int increment = readInt(m, off);
                if (increment <= 0) {
                    throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "window increment must be 1..2^31-1");
                }
                return new Frame.WindowUpdate(stream, increment);
            }
            case Frame.TYPE_RESET -> {
                requireStream(stream, "RESET");
                return new Frame.Reset(stream, code(m, off, length, "RESET"), reason(m, off, length));
            }
            case Frame.TYPE_DATAGRAM -> {
                if (length < 4) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "DATAGRAM shorter than its ports");
                }
                if (length - 4 > MuxConfig.MAX_DATAGRAM_PAYLOAD) {
                    throw new ProtocolException(ErrorCode.DATAGRAM_TOO_LARGE,
                            "datagram of " + (length - 4) + " bytes, limit " + MuxConfig.MAX_DATAGRAM_PAYLOAD);
                }
                int dst = (out8(m, off) << 8) | out8(m, off + 1);
                int src = (out8(m, off + 2) << 8) | out8(m, off + 3);
                if (dst == 0) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "datagram to port 0");
                }
                return new Frame.Datagram(dst, src, ByteBuffer.wrap(m, off + 4, length - 4).slice().asReadOnlyBuffer());
            }
            case Frame.TYPE_PING -> {
                requireLength(length, 8, "PING");
                long opaque = ((long) readInt(m, off) << 32) | (readInt(m, off + 4) & 0xffffffffL);
                return new Frame.Ping((flags & Frame.FLAG_ACK) != 0, opaque);
            }
            case Frame.TYPE_MOVE -> {
                requireStream(stream, "MOVE");
                requireLength(length, 0, "MOVE");
                return new Frame.Move(stream);
            }
            case Frame.TYPE_GOAWAY -> {
                return new Frame.GoAway(code(m, off, length, "GOAWAY"), reason(m, off, length));
            }
            default -> {
                if ((flags & Frame.FLAG_IGNORABLE) != 0) {
                    return null;
                }
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "unknown frame type 0x" + Integer.toHexString(type));
            }
        }
    }

    private static void requireStream(int stream, String what) throws ProtocolException {
        if (stream == 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + " on stream 0");
        }
    }

    private static void requireLength(int length, int expected, String what) throws ProtocolException {
        if (length != expected) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + " payload must be " + expected + " bytes, got " + length);
        }
    }

    private static ErrorCode code(byte[] m, int off, int length, String what) throws ProtocolException {
        if (length < 4 || length > 4 + Frame.MAX_REASON_BYTES) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + " payload must be 4.." + (4 + Frame.MAX_REASON_BYTES) + " bytes");
        }
        return ErrorCode.of(readInt(m, off));
    }

    private static String reason(byte[] m, int off, int length) throws ProtocolException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(m, off + 4, length - 4))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "reason text is not UTF-8");
        }
    }

    private static int out8(byte[] m, int i) {
        return m[i] & 0xff;
    }

    private static int readInt(byte[] m, int off) {
        return (out8(m, off) << 24) | (out8(m, off + 1) << 16) | (out8(m, off + 2) << 8) | out8(m, off + 3);
    }
}
