package net.barn.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.daemon.netty.LinkFrameDecoder;
import net.barn.daemon.netty.LinkFrameEncoder;

/**
 * Links that run over a relay circuit instead of a TCP connection: the same handshake, mux and
 * {@link LinkDriver} as any link, end to end between the two nodes, on an in-memory channel
 * pair whose far end pumps bytes to and from the circuit's stream. The relay carries only
 * ciphertext, and the link proves the peer's id as a direct one does.
 */
final class CircuitLinks implements AutoCloseable {
    /** Bytes from the link waiting to go into the circuit before the link stops reading. */
    private static final int QUEUE_HIGH = 64;

    private final BarnNode node;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final LocalAddress serverAddress;
    private final Channel server;
    private final Map<LocalAddress, BlockingStream> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    CircuitLinks(BarnNode node) {
        this.node = node;
        this.serverAddress = new LocalAddress("barn-circuits-" + node.id() + "-" + System.identityHashCode(this));
        this.server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        BlockingStream s = pending.remove((LocalAddress) ch.remoteAddress());
                        if (s == null) {
                            ch.close();
                            return;
                        }
                        ch.pipeline().addLast(new Pump(s));
                    }
                }).bind(serverAddress).syncUninterruptibly().channel();
    }

    /**
     * Runs a link over {@code stream}: dialling ({@code outbound}, expecting {@code expected})
     * or answering. Completes with the link once its handshake proved the peer.
     */
    CompletableFuture<PeerLink> open(BlockingStream stream, NodeId expected, boolean outbound, NodeId via) {
        CompletableFuture<PeerLink> result = new CompletableFuture<>();
        LocalAddress mine = new LocalAddress(serverAddress.id() + "-" + ids.incrementAndGet());
        pending.put(mine, stream);
        new Bootstrap().group(group).channel(LocalChannel.class).localAddress(mine)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(new LinkFrameDecoder(!outbound), new LinkFrameEncoder(),
                                new LinkDriver(node, outbound, expected, result, false, via));
                    }
                })
                .connect(serverAddress).addListener(f -> {
                    if (!f.isSuccess()) {
                        pending.remove(mine);
                        result.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST,
                                "could not start a link over the circuit: " + f.cause()));
                    }
                });
        return result;
    }

    /** The far end of the pair: link bytes to the circuit's stream and back, each way on a thread of its own. */
    private static final class Pump extends ChannelInboundHandlerAdapter {
        private final BlockingStream stream;
        private final LinkedBlockingQueue<byte[]> toCircuit = new LinkedBlockingQueue<>();
        private static final byte[] END = new byte[0];

        Pump(BlockingStream stream) {
            this.stream = stream;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            Thread.ofVirtual().name("barn-circuit-in").start(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    InputStream in = stream.in();
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        awaitWritable(ch);
                        ch.writeAndFlush(Unpooled.copiedBuffer(buf, 0, n));
                    }
                } catch (IOException | InterruptedException | RuntimeException e) {
                    // the circuit or the link ended
                }
                ch.close();
            });
            Thread.ofVirtual().name("barn-circuit-out").start(() -> {
                try {
                    OutputStream out = stream.out();
                    while (true) {
                        byte[] b = toCircuit.take();
                        if (b == END) {
                            break;
                        }
                        out.write(b);
                        out.flush();
                        if (toCircuit.size() < QUEUE_HIGH / 2 && !ch.config().isAutoRead()) {
                            ch.config().setAutoRead(true);
                        }
                    }
                } catch (IOException | InterruptedException | RuntimeException e) {
                    ch.close();
                }
                try {
                    stream.close();
                } catch (IOException ignored) {
                    // closed already
                }
            });
            ctx.fireChannelActive();
        }

        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final java.util.concurrent.locks.Condition writable = lock.newCondition();

        /** Waits while the link's side has more than its high-water mark of our bytes unread. */
        private void awaitWritable(Channel ch) throws InterruptedException {
            lock.lock();
            try {
                while (!ch.isWritable() && ch.isActive()) {
                    writable.await(100, TimeUnit.MILLISECONDS); // also wakes on channelWritabilityChanged
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            lock.lock();
            try {
                writable.signalAll();
            } finally {
                lock.unlock();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                toCircuit.add(bytes);
                if (toCircuit.size() >= QUEUE_HIGH) {
                    ctx.channel().config().setAutoRead(false); // the circuit is slower than the link: wait for it
                }
            } finally {
                b.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            toCircuit.add(END);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
