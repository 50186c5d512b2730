package net.barn.daemon.api;

import io.netty.buffer.ByteBuf;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
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
                // One copy out of the socket buffer; byte fields then alias it instead of copying again.
                byte[] body = new byte[(int) length];
                in.readBytes(body);
                try {
                    CodedInputStream cis = UnsafeByteOperations.unsafeWrap(body).newCodedInput(); // immutable input
                    cis.enableAliasing(true);
                    out.add(AppMessage.parseFrom(cis));
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
        protected void encode(ChannelHandlerContext ctx, NodeMessage msg, ByteBuf out) throws IOException {
            int size = msg.getSerializedSize();
            out.ensureWritable(4 + size).writeInt(size);
            CodedOutputStream cos = CodedOutputStream.newInstance(out.nioBuffer(out.writerIndex(), size));
            msg.writeTo(cos);
            cos.flush();
            out.writerIndex(out.writerIndex() + size);
        }
    }
}
