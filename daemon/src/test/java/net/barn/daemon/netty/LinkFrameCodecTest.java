package net.barn.daemon.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import net.barn.core.link.Preamble;
import net.barn.core.link.Transmit;
import org.junit.jupiter.api.Test;

class LinkFrameCodecTest {
    private static ByteBuf frame(int length, int fill) {
        ByteBuf b = Unpooled.buffer(2 + length).writeShort(length);
        for (int i = 0; i < length; i++) {
            b.writeByte(fill);
        }
        return b;
    }

    @Test
    void acceptingSideReadsThePreambleThenFrames() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(true));
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(Preamble.encode(1));
        in.writeBytes(frame(3, 7));
        ch.writeInbound(in);
        LinkFrameDecoder.Input.PreambleBytes p = ch.readInbound();
        assertThat(Preamble.version(p.bytes())).isEqualTo(1);
        LinkFrameDecoder.Input.FrameBody f = ch.readInbound();
        assertThat(f.bytes()).containsExactly(7, 7, 7);
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void framesSplitAcrossReadsAreReassembled() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(false));
        ByteBuf whole = frame(1000, 1);
        ch.writeInbound(whole.readRetainedSlice(1));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(whole.readRetainedSlice(600));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(whole.readRetainedSlice(whole.readableBytes()));
        LinkFrameDecoder.Input.FrameBody f = ch.readInbound();
        assertThat(f.bytes()).hasSize(1000);
        whole.release();
    }

    @Test
    void manyFramesInOneReadComeOutInOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(false));
        ByteBuf in = Unpooled.buffer();
        for (int i = 0; i < 5; i++) {
            in.writeBytes(frame(i, i));
        }
        ch.writeInbound(in);
        for (int i = 0; i < 5; i++) {
            LinkFrameDecoder.Input.FrameBody f = ch.readInbound();
            assertThat(f.bytes()).hasSize(i);
        }
    }

    @Test
    void largestFrameIsAcceptedAndTheLengthFieldBoundsIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(false));
        ch.writeInbound(frame(65535, 9));
        LinkFrameDecoder.Input.FrameBody f = ch.readInbound();
        assertThat(f.bytes()).hasSize(65535);
    }

    @Test
    void connectionEndingMidFrameIsReportedAsTruncated() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(false));
        ByteBuf partial = frame(100, 1);
        ch.writeInbound(partial.readRetainedSlice(50));
        partial.release();
        ch.finish();
        LinkFrameDecoder.Input.Truncated t = ch.readInbound();
        assertThat(t.bytesLeft()).isEqualTo(50);
    }

    @Test
    void shortPreambleAtCloseIsTruncatedNotAFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder(true));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'B', 'A', 'R'}));
        ch.finish();
        assertThat((Object) ch.readInbound()).isInstanceOf(LinkFrameDecoder.Input.Truncated.class);
    }

    @Test
    void encoderWritesRawBytesAsIsAndMessagesBehindTheirLength() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameEncoder());
        ch.writeOutbound(new Transmit.Raw(Preamble.encode(1)));
        ch.writeOutbound(new Transmit.Message(new byte[] {1, 2, 3}));
        ByteBuf raw = ch.readOutbound();
        assertThat(raw.readableBytes()).isEqualTo(Preamble.LENGTH);
        raw.release();
        ByteBuf msg = ch.readOutbound();
        assertThat(msg.readUnsignedShort()).isEqualTo(3);
        assertThat(msg.readByte()).isEqualTo((byte) 1);
        msg.release();
    }

    @Test
    void encoderOutputDecodesBackToTheSameMessages() {
        EmbeddedChannel out = new EmbeddedChannel(new LinkFrameEncoder());
        EmbeddedChannel in = new EmbeddedChannel(new LinkFrameDecoder(true));
        out.writeOutbound(new Transmit.Raw(Preamble.encode(1)), new Transmit.Message(new byte[300]), new Transmit.Message(new byte[0]));
        ByteBuf b;
        while ((b = out.readOutbound()) != null) {
            in.writeInbound(b);
        }
        assertThat((Object) in.readInbound()).isInstanceOf(LinkFrameDecoder.Input.PreambleBytes.class);
        assertThat(((LinkFrameDecoder.Input.FrameBody) in.readInbound()).bytes()).hasSize(300);
        assertThat(((LinkFrameDecoder.Input.FrameBody) in.readInbound()).bytes()).isEmpty();
    }
}
