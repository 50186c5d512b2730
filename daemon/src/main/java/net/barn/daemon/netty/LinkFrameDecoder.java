package net.barn.daemon.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import net.barn.core.link.Preamble;

/**
 * Splits a link's byte stream into what the core expects: for an accepting side the 8-byte
 * preamble first, then frames of a 2-byte big-endian length and that many bytes. Emits
 * {@link Input.PreambleBytes}, {@link Input.FrameBody} and, when the connection ends inside
 * a frame, {@link Input.Truncated}. The length field bounds every frame to 65535 bytes.
 */
public final class LinkFrameDecoder extends ByteToMessageDecoder {
    private boolean expectPreamble;

    /** What the decoder hands to the link handler. */
    public sealed interface Input {
        record PreambleBytes(byte[] bytes) implements Input {}

        record FrameBody(byte[] bytes) implements Input {}

        record Truncated(int bytesLeft) implements Input {}
    }

    public LinkFrameDecoder(boolean accepting) {
        this.expectPreamble = accepting;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (expectPreamble) {
            if (in.readableBytes() < Preamble.LENGTH) {
                return;
            }
            byte[] preamble = new byte[Preamble.LENGTH];
            in.readBytes(preamble);
            expectPreamble = false;
            out.add(new Input.PreambleBytes(preamble));
        }
        while (in.readableBytes() >= 2) {
            int length = in.getUnsignedShort(in.readerIndex());
            if (in.readableBytes() < 2 + length) {
                return;
            }
            in.skipBytes(2);
            byte[] body = new byte[length];
            in.readBytes(body);
            out.add(new Input.FrameBody(body));
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (in.isReadable()) {
            out.add(new Input.Truncated(in.readableBytes()));
            in.skipBytes(in.readableBytes());
        }
    }
}
