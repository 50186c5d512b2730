package net.barn.daemon;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.link.Link;
import net.barn.core.link.LinkConfig;
import net.barn.core.link.LinkEvent;
import net.barn.core.link.Transmit;
import net.barn.core.mux.Mux;
import net.barn.core.mux.MuxEvent;
import net.barn.daemon.netty.LinkFrameDecoder;

/**
 * Drives one core {@link Link} from Netty: decoded input goes in, transmits go out while the
 * channel is writable, timers come from {@code pollTimeout}, and events are dispatched to the
 * node and to stream handlers. Everything runs on the channel's event loop.
 */
final class LinkDriver extends ChannelDuplexHandler {
    private final BarnNode node;
    private final boolean outbound;
    private final NodeId expectedPeer;
    private final CompletableFuture<PeerLink> established;
    private final Map<Integer, BarnStream> streams = new HashMap<>();
    private ChannelHandlerContext ctx;
    private Link link;
    private PeerLink peerLink;
    private long startedNanos;
    private ScheduledFuture<?> timer;
    private long timerDeadline = Long.MAX_VALUE;
    private boolean driving;
    private boolean driveAgain;
    private boolean closed;
    private long rttNanos = -1;

    private final boolean probe;
    private final NodeId via;
    private boolean probed;
    private volatile long lastStreamActivity = System.nanoTime();

    LinkDriver(BarnNode node, boolean outbound, NodeId expectedPeer, CompletableFuture<PeerLink> established) {
        this(node, outbound, expectedPeer, established, false);
    }

    /**
     * @param probe a reachability probe: the link proves the peer answers at this address,
     *     then closes; it never joins the node's links
     */
    LinkDriver(BarnNode node, boolean outbound, NodeId expectedPeer, CompletableFuture<PeerLink> established, boolean probe) {
        this(node, outbound, expectedPeer, established, probe, null);
    }

    /** @param via the relay whose circuit carries this link, or null for a direct one */
    LinkDriver(BarnNode node, boolean outbound, NodeId expectedPeer, CompletableFuture<PeerLink> established, boolean probe,
            NodeId via) {
        this.node = node;
        this.outbound = outbound;
        this.expectedPeer = expectedPeer;
        this.established = established;
        this.probe = probe;
        this.via = via;
    }

    /** The relay whose circuit carries this link, or null. */
    NodeId via() {
        return via;
    }

    /** When a stream last opened or ended on this link (System.nanoTime()). */
    long lastStreamActivity() {
        return lastStreamActivity;
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    Mux mux() {
        return link.mux();
    }

    PeerLink peerLink() {
        return peerLink;
    }

    Link link() {
        return link;
    }

    boolean isOutbound() {
        return outbound;
    }

    long rttNanos() {
        return rttNanos;
    }

    /** The peer's address for a TCP link; null for a link over a relay circuit. */
    InetSocketAddress remoteAddress() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        startedNanos = System.nanoTime();
        link = outbound
                ? Link.initiate(node.credentials(), probe ? node.linkConfig().withCapability(LinkConfig.PROBE) : node.linkConfig(),
                        expectedPeer, node.entropy(), node.verifiedKeys(), startedNanos)
                : Link.accept(node.credentials(), node.linkConfig(), node.entropy(), node.verifiedKeys(), startedNanos);
        node.driverActive(this);
        requestDrive();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            return; // lingering after the GOAWAY: drain and ignore
        }
        long now = System.nanoTime();
        switch ((LinkFrameDecoder.Input) msg) {
            case LinkFrameDecoder.Input.PreambleBytes p -> link.handlePreamble(now, p.bytes());
            case LinkFrameDecoder.Input.FrameBody f -> {
                node.countFrameReceived();
                link.handleMessage(now, f.bytes());
            }
            case LinkFrameDecoder.Input.Truncated t -> link.handleEof(now, true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        requestDrive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            requestDrive();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (link != null && !closed) {
            link.handleEof(System.nanoTime(), false);
            requestDrive();
        }
        cancelTimer();
        node.driverInactive(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes end this link only; the node keeps serving the others.
        if (link != null) {
            link.handleEof(System.nanoTime(), false);
            requestDrive();
        }
        ctx.close();
    }

    /**
     * Drives after the current event-loop task, so that a caller waiting on that task (a
     * blocking writer) is released before the loop spends time encrypting.
     */
    void scheduleDrive() {
        if (driving) {
            driveAgain = true;
        } else if (!driveScheduled) {
            driveScheduled = true;
            ctx.executor().execute(() -> {
                driveScheduled = false;
                requestDrive();
            });
        }
    }

    private boolean driveScheduled;

    /** Runs the drive loop now, or once more after the current one if called from inside it. */
    void requestDrive() {
        if (driving) {
            driveAgain = true;
            return;
        }
        driving = true;
        try {
            do {
                driveAgain = false;
                driveOnce();
            } while (driveAgain);
        } finally {
            driving = false;
        }
    }

    private void driveOnce() {
        long now = System.nanoTime();
        dispatchEvents();
        boolean wrote = false;
        Transmit t;
        while ((link.state() != Link.State.ESTABLISHED || ctx.channel().isWritable())
                && (t = link.pollTransmit(now)) != null) {
            ctx.write(t);
            node.countFrameSent();
            wrote = true;
            dispatchEvents();
        }
        if (link.state() == Link.State.CLOSED) {
            if (!closed) {
                closed = true;
                cancelTimer();
                lingerAndClose();
            }
            return;
        }
        if (wrote) {
            ctx.flush();
        }
        scheduleTimer(now);
    }

    private void dispatchEvents() {
        LinkEvent e;
        while ((e = link.pollEvent()) != null) {
            switch (e) {
                case LinkEvent.Established est -> onEstablished();
                case LinkEvent.Closed c -> onClosed(c);
            }
        }
        Mux mux = link.mux();
        if (mux == null || peerLink == null) {
            return;
        }
        MuxEvent m;
        while ((m = mux.pollEvent()) != null) {
            switch (m) {
                case MuxEvent.StreamOpened o -> {
                    lastStreamActivity = System.nanoTime();
                    node.acceptStream(this, o.stream(), o.port(), o.service());
                }
                case MuxEvent.StreamData d -> {
                    BarnStream s = streams.get(d.stream());
                    if (s != null) {
                        s.deliverData(d.data());
                    } else {
                        mux.consumed(System.nanoTime(), d.stream(), d.data().remaining());
                    }
                }
                case MuxEvent.StreamFinished f -> {
                    BarnStream s = streams.get(f.stream());
                    if (s != null) {
                        s.deliverFinished();
                    }
                }
                case MuxEvent.StreamReset r -> {
                    BarnStream s = streams.remove(r.stream());
                    if (s != null) {
                        s.deliverReset(r.code(), r.reason());
                    }
                }
                case MuxEvent.StreamWritable w -> {
                    BarnStream s = streams.get(w.stream());
                    if (s != null) {
                        s.deliverWritable();
                    }
                }
                case MuxEvent.StreamClosed c -> {
                    lastStreamActivity = System.nanoTime();
                    BarnStream s = streams.remove(c.stream());
                    if (s != null) {
                        s.deliverClosed();
                    }
                }
                case MuxEvent.DatagramReceived g -> node.deliverDatagram(peerLink, g.destinationPort(), g.sourcePort(), g.payload());
                case MuxEvent.RttSample r -> rttNanos = link.mux().smoothedRttNanos();
            }
        }
    }

    private void onEstablished() {
        peerLink = new PeerLink(this, link.peer(), System.nanoTime() - startedNanos);
        if (probe) {
            established.complete(peerLink);
            link.close(ErrorCode.NO_ERROR, "reachability probe done");
            return;
        }
        if (!outbound && link.peer().capabilities().contains(LinkConfig.PROBE)) {
            probed = true; // the peer only checks that we answer here; it is not our link to it
            return;
        }
        BarnNode.Refusal refusal = node.linkEstablished(peerLink);
        if (refusal != null) {
            link.close(refusal.code(), refusal.reason());
            return;
        }
        established.complete(peerLink);
    }

    private void onClosed(LinkEvent.Closed c) {
        for (BarnStream s : List.copyOf(streams.values())) {
            s.deliverReset(c.code(), "link closed: " + c.reason());
        }
        streams.clear();
        established.completeExceptionally(new LinkException(c.code(), c.reason()));
        if (!probe && !probed) {
            node.linkClosed(this, peerLink, c.code(), c.reason(), c.byPeer());
        }
    }

    /**
     * Sends what is queued (the GOAWAY), half-closes, and waits briefly for the peer to close
     * its side. Closing at once could reset the connection while the peer's last frames sit
     * unread, and a reset can destroy the GOAWAY before the peer reads it.
     */
    private void lingerAndClose() {
        io.netty.channel.Channel ch = ctx.channel();
        if (!ch.isActive()) {
            return;
        }
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (ch instanceof io.netty.channel.socket.SocketChannel socket && f.isSuccess() && !socket.isOutputShutdown()) {
                socket.shutdownOutput();
                ctx.executor().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                ch.close();
            }
        });
    }

    /** How long a closing link waits for the peer's own close. */
    static final long LINGER_MILLIS = 2000;

    io.netty.channel.ChannelFuture closeFuture() {
        return ctx.channel().closeFuture();
    }

    private void scheduleTimer(long now) {
        long deadline = link.pollTimeout();
        if (deadline == Long.MAX_VALUE) {
            cancelTimer();
            return;
        }
        if (timer != null && deadline >= timerDeadline) {
            return; // an earlier wake-up is already set; it re-arms when it fires
        }
        cancelTimer();
        timerDeadline = deadline;
        timer = ctx.executor().schedule(this::onTimer, Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        timerDeadline = Long.MAX_VALUE;
        if (!closed) {
            link.handleTimeout(System.nanoTime());
            requestDrive();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
            timerDeadline = Long.MAX_VALUE;
        }
    }

    // ---------------------------------------------------------------- used by PeerLink, on the loop

    BarnStream openStream(int port, String service, StreamHandler handler) {
        if (link.state() != Link.State.ESTABLISHED) {
            throw new IllegalStateException("link is closing");
        }
        int id = service == null ? link.mux().openStream(port) : link.mux().openStream(service);
        lastStreamActivity = System.nanoTime();
        BarnStream s = new BarnStream(this, id, port, service, false);
        streams.put(id, s);
        if (handler != null) {
            s.setHandler(handler);
        }
        requestDrive();
        return s;
    }

    BarnStream adoptInbound(int id, int port, String service) {
        BarnStream s = new BarnStream(this, id, port, service, true);
        streams.put(id, s);
        return s;
    }

    void forget(BarnStream s) {
        lastStreamActivity = System.nanoTime();
        streams.remove(s.id());
    }

    boolean sendDatagram(int destinationPort, int sourcePort, ByteBuffer payload) {
        if (link.state() != Link.State.ESTABLISHED) {
            return false;
        }
        boolean queued = link.mux().sendDatagram(destinationPort, sourcePort, payload);
        requestDrive();
        return queued;
    }

    /** Ends the link: a GOAWAY if established, else just the connection; the drive does the rest. */
    void close(ErrorCode code, String reason) {
        link.close(code, reason);
        requestDrive();
    }

    boolean isClosed() {
        return closed || link == null || link.state() == Link.State.CLOSED || link.state() == Link.State.CLOSING;
    }

    int streamCount() {
        return streams.size();
    }
}
