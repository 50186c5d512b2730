package net.barn.core.mux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class FrameCodecProperties {
    @Provide
    Arbitrary<Frame> frames() {
        Arbitrary<Integer> stream = Arbitraries.integers().between(1, Integer.MAX_VALUE);
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(2000);
        Arbitrary<String> reason = Arbitraries.strings().ofMaxLength(60);
        Arbitrary<ErrorCode> code = Arbitraries.of(ErrorCode.class);
        return Arbitraries.oneOf(
                Combinators.combine(stream, Arbitraries.of(true, false), bytes)
                        .as((s, fin, b) -> new Frame.Data(s, fin, ByteBuffer.wrap(b))),
                Combinators.combine(stream, Arbitraries.integers().between(1, 65535)).as((s, p) -> new Frame.Open(s, p, null)),
                Combinators.combine(stream, Arbitraries.strings().withChars("abcxyz019._-/").ofMinLength(1).ofMaxLength(62))
                        .as((s, n) -> new Frame.Open(s, 0, "s" + n)),
                Combinators.combine(stream, Arbitraries.integers().between(1, Integer.MAX_VALUE)).as(Frame.WindowUpdate::new),
                Combinators.combine(stream, code, reason).as(Frame.Reset::new),
                Combinators.combine(Arbitraries.integers().between(1, 65535), Arbitraries.integers().between(0, 65535),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(MuxConfig.MAX_DATAGRAM_PAYLOAD))
                        .as((d, s, b) -> new Frame.Datagram(d, s, ByteBuffer.wrap(b))),
                Combinators.combine(Arbitraries.of(true, false), Arbitraries.longs()).as(Frame.Ping::new),
                Combinators.combine(code, reason).as(Frame.GoAway::new),
                stream.map(Frame.Move::new),
                Combinators.combine(stream, Arbitraries.integers().between(1, 65535), Arbitraries.longs(), stream)
                        .as((s, p, link, old) -> new Frame.Open(s, p, null, link, old)));
    }

    @Property
    void everyFrameDecodesToWhatWasEncoded(@ForAll @Size(max = 8) List<@From("frames") Frame> frames) throws ProtocolException {
        ByteBuffer all = ByteBuffer.allocate(frames.stream().mapToInt(FrameCodec::encodedLength).sum());
        for (Frame f : frames) {
            all.put(FrameCodec.encode(f));
        }
        if (frames.isEmpty()) {
            return;
        }
        List<Frame> decoded = FrameCodec.decodeAll(all.array(), 0, all.capacity());
        assertThat(decoded).hasSameSizeAs(frames);
        for (int i = 0; i < frames.size(); i++) {
            assertThat(FrameCodec.encode(decoded.get(i))).isEqualTo(FrameCodec.encode(frames.get(i)));
        }
    }

    @Property(tries = 2000)
    void garbageIsRefusedWithAProtocolExceptionNeverAnythingElse(@ForAll byte[] garbage) {
        try {
            FrameCodec.decodeAll(garbage, 0, garbage.length);
        } catch (ProtocolException expected) {
            assertThat(expected.code()).isNotNull();
        }
    }

    @Property(tries = 500)
    void muxSurvivesArbitraryMessagesFromAPeer(@ForAll @Size(max = 5) List<byte[]> messages) {
        Mux mux = new Mux(false, MuxConfig.DEFAULT, 0);
        for (byte[] m : messages) {
            try {
                mux.handleMessage(0, m, 0, m.length);
            } catch (ProtocolException e) {
                return; // the link would close with e.code(): the right outcome for garbage
            }
        }
        assertThat(mux.streamCount()).isLessThanOrEqualTo(MuxConfig.DEFAULT.maxInboundStreams());
    }
}
