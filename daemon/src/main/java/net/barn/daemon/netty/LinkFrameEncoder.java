package net.barn.daemon.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;
import net.barn.core.link.Transmit;

/** Puts the core's transmits on the wire: raw bytes as they are, messages behind a 2-byte length. */
public final class LinkFrameEncoder extends MessageToMessageEncoder<Transmit> {
    public LinkFrameEncoder() {
        super(Transmit.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Transmit msg, List<Object> out) {
        switch (msg) {
            case Transmit.Raw raw -> out.add(Unpooled.wrappedBuffer(raw.bytes()));
            case Transmit.Message m -> {
                if (m.body().length > 0xffff) {
                    throw new IllegalArgumentException("frame body over 65535 bytes");
                }
                // One copy into a pooled direct buffer: the socket writes it without another.
                ByteBuf frame = ctx.alloc().directBuffer(2 + m.body().length);
                out.add(frame.writeShort(m.body().length).writeBytes(m.body()));
            }
        }
    }
}
