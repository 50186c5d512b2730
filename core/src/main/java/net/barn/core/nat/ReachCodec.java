package net.barn.core.nat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.wire.reach.DialBack;
import net.barn.wire.reach.DialBackResult;
import net.barn.wire.reach.Observe;
import net.barn.wire.reach.Observed;
import net.barn.wire.reach.ReachMessage;
import net.barn.wire.reach.UdpMessage;

/**
 * Reachability messages (barn/reach.proto) to and from bytes, checking everything a peer
 * controls; a breach is a {@link ProtocolException} naming it.
 */
public final class ReachCodec {
    public static final int MAX_MESSAGE = 512;
    public static final int NONCE = 16;
    /** An Observe datagram is at least this long, so that the answer is never larger. */
    public static final int MIN_OBSERVE = 64;
    public static final int MAX_DATAGRAM = 256;
    private static final byte[] MAGIC = "BRN1".getBytes(StandardCharsets.US_ASCII);

    private ReachCodec() {}

    /** A reachability message. */
    public sealed interface Message {}

    public record DialBackRequest(int port, byte[] nonce) implements Message {}

    public record DialBackAnswer(byte[] nonce, boolean reached, String observedIp, String refused) implements Message {}

    /** A UDP reachability message. */
    public sealed interface Datagram {}

    public record ObserveRequest(byte[] nonce) implements Datagram {}

    /** A datagram that opens the sender's NAT toward this node during a UDP hole punch; dropped on receipt. */
    public record PunchDatagram(byte[] nonce) implements Datagram {}

    public record ObservedAnswer(byte[] nonce, String address) implements Datagram {}

    public static byte[] encode(Message m) {
        ReachMessage.Builder b = ReachMessage.newBuilder();
        switch (m) {
            case DialBackRequest r -> b.setDialBack(DialBack.newBuilder().setPort(r.port()).setNonce(ByteString.copyFrom(r.nonce())));
            case DialBackAnswer a -> b.setResult(DialBackResult.newBuilder().setNonce(ByteString.copyFrom(a.nonce()))
                    .setReached(a.reached()).setObservedIp(a.observedIp()).setRefused(a.refused()));
        }
        return b.build().toByteArray();
    }

    public static Message decode(byte[] bytes) throws ProtocolException {
        if (bytes.length > MAX_MESSAGE) {
            throw bad("reach message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        ReachMessage m;
        try {
            m = ReachMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a ReachMessage");
        }
        return switch (m.getKindCase()) {
            case DIAL_BACK -> {
                int port = m.getDialBack().getPort();
                if (port < 1 || port > 65535) {
                    throw bad("dial-back port " + Integer.toUnsignedString(port) + " is not 1..65535");
                }
                yield new DialBackRequest(port, nonce(m.getDialBack().getNonce()));
            }
            case RESULT -> {
                DialBackResult r = m.getResult();
                if (r.getObservedIp().length() > 64 || r.getRefused().length() > 200) {
                    throw bad("dial-back result fields too long");
                }
                yield new DialBackAnswer(nonce(r.getNonce()), r.getReached(), r.getObservedIp(), r.getRefused());
            }
            case KIND_NOT_SET -> throw bad("an empty ReachMessage");
        };
    }

    /** An Observe datagram, padded to {@link #MIN_OBSERVE} bytes. */
    public static byte[] observe(byte[] nonce) {
        UdpMessage base = UdpMessage.newBuilder().setObserve(Observe.newBuilder().setNonce(ByteString.copyFrom(nonce))).build();
        int pad = Math.max(0, MIN_OBSERVE - MAGIC.length - base.getSerializedSize() - 2);
        UdpMessage m = UdpMessage.newBuilder().setObserve(Observe.newBuilder().setNonce(ByteString.copyFrom(nonce))
                .setPadding(ByteString.copyFrom(new byte[pad]))).build();
        return withMagic(m.toByteArray());
    }

    public static byte[] observed(byte[] nonce, String address) {
        return withMagic(UdpMessage.newBuilder().setObserved(Observed.newBuilder().setNonce(ByteString.copyFrom(nonce))
                .setAddress(address)).build().toByteArray());
    }

    /** A hole-punch datagram. */
    public static byte[] punch(byte[] nonce) {
        return withMagic(UdpMessage.newBuilder().setPunch(net.barn.wire.reach.Punch.newBuilder()
                .setNonce(ByteString.copyFrom(nonce))).build().toByteArray());
    }

    /** Whether {@code bytes} begins with this protocol's magic (else it is QUIC's, on the same port). */
    public static boolean hasMagic(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    private static byte[] withMagic(byte[] body) {
        byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + body.length);
        System.arraycopy(body, 0, out, MAGIC.length, body.length);
        return out;
    }

    public static Datagram decodeDatagram(byte[] bytes) throws ProtocolException {
        if (bytes.length < MAGIC.length || bytes.length > MAX_DATAGRAM || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw bad("not a BARN reachability datagram");
        }
        UdpMessage m;
        try {
            m = UdpMessage.parseFrom(Arrays.copyOfRange(bytes, MAGIC.length, bytes.length));
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a UdpMessage");
        }
        return switch (m.getKindCase()) {
            case OBSERVE -> {
                if (bytes.length < MIN_OBSERVE) {
                    throw bad("an Observe of " + bytes.length + " bytes: at least " + MIN_OBSERVE + ", so the answer is not larger");
                }
                yield new ObserveRequest(nonce(m.getObserve().getNonce()));
            }
            case OBSERVED -> {
                String a = m.getObserved().getAddress();
                if (a.isEmpty() || a.length() > 64) {
                    throw bad("bad observed address");
                }
                yield new ObservedAnswer(nonce(m.getObserved().getNonce()), a);
            }
            case PUNCH -> new PunchDatagram(nonce(m.getPunch().getNonce()));
            case KIND_NOT_SET -> throw bad("an empty UdpMessage");
        };
    }

    private static byte[] nonce(ByteString b) throws ProtocolException {
        if (b.size() != NONCE) {
            throw bad("a nonce of " + b.size() + " bytes, want " + NONCE);
        }
        return b.toByteArray();
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, why);
    }
}
