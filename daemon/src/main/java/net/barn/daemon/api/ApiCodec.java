package net.barn.daemon.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;
import java.util.List;
import net.barn.wire.local.AppMessage;
import net.barn.wire.local.NodeMessage;

/** Local API framing: a 4-byte big-endian length, then a protobuf message of at most 256 KiB. */
public final class ApiCodec {
    public static final int MAX_MESSAGE = 256 * 1024;

    private ApiCodec() {}

    /** What the decoder passes on when the input is not a valid local API message. */
    public record Malformed(String why) {}

    /** Decodes AppMessages; oversized or unparsable input becomes one {@link Malformed} and then nothing. */
    public static final class Decoder extends ByteToMessageDecoder {
        private boolean failed;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (failed) {
                in.skipBytes(in.readableBytes());
                return;
            }
            while (in.readableBytes() >= 4) {
                long length = in.getUnsignedInt(in.readerIndex());
                if (length > MAX_MESSAGE) {
                    fail(in, out, "message of " + length + " bytes, limit " + MAX_MESSAGE);
                    return;
                }
                if (in.readableBytes() < 4 + length) {
                    return;
                }
                in.skipBytes(4);
                try {
                    out.add(AppMessage.parseFrom(new ByteBufInputStream(in.readSlice((int) length))));
                } catch (IOException e) {
                    fail(in, out, "not an AppMessage (" + e.getMessage() + ")");
                    return;
                }
            }
        }

        private void fail(ByteBuf in, List<Object> out, String why) {
            failed = true;
            in.skipBytes(in.readableBytes());
            out.add(new Malformed(why));
        }
    }

    /** Encodes NodeMessages behind their length. */
    public static final class Encoder extends MessageToByteEncoder<NodeMessage> {
        @Override
        protected void encode(ChannelHandlerContext ctx, NodeMessage msg, ByteBuf out) {
            byte[] bytes = msg.toByteArray();
            out.writeInt(bytes.length).writeBytes(bytes);
        }
    }
}
