package net.barn.daemon;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.link.Link;
import net.barn.core.link.LinkConfig;
import net.barn.core.link.LinkEvent;
import net.barn.core.link.Transmit;
import net.barn.core.mux.MovedInput;
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

    // Moving streams to a direct link (docs/PROTOCOL.md 5.10). On the old (relayed) link:
    /** The direct link that replaced this one, once its streams are moving there. */
    private LinkDriver movedTo;
    private long moveStartedNanos;
    private int streamsMovedAway;
    /** Streams that moved away but whose peer half still owes bytes here, by id here. */
    private final Map<Integer, BarnStream> forwarded = new HashMap<>();
    /** Continuations the new link opened for streams of this one, awaiting the peer's MOVE. */
    private final Map<Integer, Ready> readyContinuations = new HashMap<>();
    /** Streams whose peer MOVE came before their continuation was known here (a rare race). */
    private final Set<Integer> peerMovedEarly = new HashSet<>();
    /**
     * Streams whose peer MOVE came before their continuation was known here, and whose own half
     * had ended here, when this link closed: nothing of theirs is lost with it, so they still
     * move once the continuation is known.
     */
    private final Map<Integer, BarnStream> movedAfterClose = new HashMap<>();
    /** Tests: holds back the news that a continuation is open, to let the peer's MOVE come first. */
    volatile CompletableFuture<Void> continuationReadyGate;
    /** Continuations the peer opened for streams whose OPEN has not arrived here yet, by that stream's id. */
    private final Map<Integer, Ready> awaitingOpen = new HashMap<>();
    /**
     * The PING sent here once the peer uses the direct link, and whether it was answered: the
     * answer follows every stream the peer opened here, so the link may close (PROTOCOL.md 5.10).
     */
    private boolean closeBarrierSent;
    private boolean closeBarrierAnswered;
    private static final long CLOSE_BARRIER = 0x8000_0000_6d6f_7665L; // above any keepalive counter
    // On the new (direct) link:
    /** A transport message from the peer arrived here: it established this link and uses it. */
    private boolean peerSpoke;
    private boolean toldReplaced;
    /** Continuations whose stream has not been handed over yet: their events wait here. */
    private final Map<Integer, Pending> pendingContinuations = new HashMap<>();

    private record Ready(LinkDriver to, int continuation) {}

    private record Pending(LinkDriver old, int oldId, boolean opener, ArrayDeque<MuxEvent> held) {}

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

    private volatile boolean announcedMove;

    /** This node announced {@code move/1} on this link. */
    boolean announcedMove() {
        return announcedMove;
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

    /** The peer's address for a TCP or QUIC link; null for a link over a relay circuit. */
    InetSocketAddress remoteAddress() {
        if (ctx.channel() instanceof io.netty.handler.codec.quic.QuicStreamChannel stream) {
            return stream.parent().remoteSocketAddress() instanceof InetSocketAddress a ? a : null;
        }
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    /** Whether the link runs over QUIC (a UDP path) rather than TCP or a relay circuit. */
    boolean overQuic() {
        return ctx.channel() instanceof io.netty.handler.codec.quic.QuicStreamChannel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        startedNanos = System.nanoTime();
        LinkConfig config = node.linkConfig();
        announcedMove = config.capabilities().contains(LinkConfig.MOVE);
        link = outbound
                ? Link.initiate(node.credentials(), probe ? config.withCapability(LinkConfig.PROBE) : config,
                        expectedPeer, node.entropy(), node.verifiedKeys(), startedNanos)
                : Link.accept(node.credentials(), config, node.entropy(), node.verifiedKeys(), startedNanos);
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
                boolean transport = link.state() == Link.State.ESTABLISHED;
                link.handleMessage(now, f.bytes());
                peerSpoke |= transport;
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
        if (peerSpoke && !toldReplaced) {
            tellReplacedLink();
        }
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
        if (movedTo != null) {
            closeIfMovedAway();
        }
        scheduleTimer(now);
    }

    private void dispatchEvents() {
        LinkEvent e;
        while ((e = link.pollEvent()) != null) {
            switch (e) {
                case LinkEvent.Established est -> onEstablished();
                case LinkEvent.Closed c -> {
                    dispatchMuxEvents(); // frames that came before the GOAWAY count: a stream's last MOVE may be among them
                    onClosed(c);
                }
            }
        }
        dispatchMuxEvents();
    }

    private void dispatchMuxEvents() {
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
                case MuxEvent.ContinuationOpened c -> onContinuationOpened(c);
                case MuxEvent.DatagramReceived g -> node.deliverDatagram(peerLink, g.destinationPort(), g.sourcePort(), g.payload());
                case MuxEvent.RttSample r -> rttNanos = link.mux().smoothedRttNanos();
                case MuxEvent.PingAnswered a -> {
                    if (a.opaque() == CLOSE_BARRIER && closeBarrierSent) {
                        closeBarrierAnswered = true;
                        closeIfMovedAway();
                    }
                }
                default -> onStreamEvent(m);
            }
        }
        if (!awaitingOpen.isEmpty()) {
            acceptAwaited();
        }
    }

    private static int streamOf(MuxEvent m) {
        return switch (m) {
            case MuxEvent.StreamData d -> d.stream();
            case MuxEvent.StreamFinished f -> f.stream();
            case MuxEvent.StreamReset r -> r.stream();
            case MuxEvent.StreamWritable w -> w.stream();
            case MuxEvent.StreamClosed c -> c.stream();
            case MuxEvent.StreamMoved v -> v.stream();
            default -> throw new IllegalArgumentException("not a stream event: " + m);
        };
    }

    private void onStreamEvent(MuxEvent m) {
        Mux mux = link.mux();
        int id = streamOf(m);
        BarnStream s = streams.get(id);
        if (s == null) {
            Pending p = pendingContinuations.get(id);
            if (p != null) {
                onPendingEvent(id, p, m);
                return;
            }
            BarnStream f = forwarded.get(id);
            if (f != null) {
                onForwardedEvent(id, f, m);
                return;
            }
        }
        switch (m) {
            case MuxEvent.StreamData d -> {
                if (s != null) {
                    s.deliverData(d.data());
                } else {
                    mux.consumed(System.nanoTime(), d.stream(), d.data().remaining());
                }
            }
            case MuxEvent.StreamFinished f -> {
                if (s != null) {
                    s.deliverFinished();
                }
            }
            case MuxEvent.StreamReset r -> {
                streams.remove(r.stream());
                dropReady(r.stream(), "the stream was reset");
                if (s != null) {
                    s.deliverReset(r.code(), r.reason());
                }
            }
            case MuxEvent.StreamWritable w -> {
                if (s != null) {
                    s.deliverWritable();
                }
            }
            case MuxEvent.StreamClosed c -> {
                lastStreamActivity = System.nanoTime();
                if (s != null && s.moving && peerMovedEarly.contains(c.stream())) {
                    return; // the peer's half went on, to a continuation this side is about to learn of
                }
                streams.remove(c.stream());
                dropReady(c.stream(), "the stream ended before it moved");
                if (s != null) {
                    s.deliverClosed();
                }
                closeIfMovedAway();
            }
            case MuxEvent.StreamMoved v -> onPeerMoved(v.stream(), s);
            default -> { }
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
        if (forwarded.isEmpty() && streams.isEmpty()) {
            reportMoved(); // the peer's side emptied first and closed the link
        }
        for (int id : List.copyOf(peerMovedEarly)) {
            BarnStream s = streams.get(id);
            if (s != null && s.moving && !link.mux().isOpen(id)) { // both halves done here: it only waits for its continuation
                movedAfterClose.put(id, streams.remove(id));
            }
        }
        peerMovedEarly.clear();
        for (BarnStream s : List.copyOf(streams.values())) {
            s.deliverReset(c.code(), "link closed: " + c.reason());
        }
        streams.clear();
        for (BarnStream f : forwarded.values()) {
            f.eventLoop().execute(() -> f.oldLost("the relayed link closed before the stream had moved: " + c.reason()));
        }
        forwarded.clear();
        for (Ready r : readyContinuations.values()) {
            r.to().eventLoop().execute(() -> r.to().dropContinuation(r.continuation(), "the old link closed"));
        }
        readyContinuations.clear();
        for (Ready r : awaitingOpen.values()) {
            r.to().eventLoop().execute(() -> r.to().dropContinuation(r.continuation(), "the old link closed"));
        }
        awaitingOpen.clear();
        for (Map.Entry<Integer, Pending> e : pendingContinuations.entrySet()) {
            Pending p = e.getValue();
            int continuation = e.getKey();
            if (p.opener()) {
                p.old().eventLoop().execute(() -> p.old().continuationFailed(p.oldId(), false));
            } else { // not accepted yet: the move is off and the stream stays (PROTOCOL.md 5.10)
                p.old().eventLoop().execute(() -> p.old().continuationGone(p.oldId(), this, continuation));
            }
        }
        pendingContinuations.clear();
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
            if (ch instanceof io.netty.channel.socket.DuplexChannel socket && f.isSuccess() && !socket.isOutputShutdown()) {
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
        streams.remove(s.muxId());
        dropReady(s.muxId(), "the stream was reset");
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

    // ---------------------------------------------------------------- moving streams (docs/PROTOCOL.md 5.10)

    /**
     * On the old loop: a direct link replaced this relayed one. Every stream this side opened
     * here gets a continuation there; the peer does the same for the streams it opened.
     */
    void moveStreamsTo(LinkDriver to) {
        movedTo = to;
        moveStartedNanos = System.nanoTime();
        if (isClosed()) {
            return;
        }
        for (BarnStream s : List.copyOf(streams.values())) {
            if (!s.isInbound()) {
                startMove(s);
            }
        }
        closeIfMovedAway();
    }

    private void startMove(BarnStream s) {
        if (s.isGone() || s.moving || movedTo == null || movedTo.isClosed()) {
            return;
        }
        s.moving = true;
        s.moveAttempts++;
        int id = s.muxId();
        long tag = link.tag();
        LinkDriver to = movedTo;
        to.eventLoop().execute(() -> to.openContinuation(this, s, id, tag));
    }

    /** On the new loop: opens the continuation of the old link's stream {@code oldId}. */
    private void openContinuation(LinkDriver old, BarnStream s, int oldId, long oldTag) {
        int t;
        try {
            if (isClosed()) {
                throw new IllegalStateException("the direct link is closing");
            }
            t = link.mux().openContinuation(s.port(), s.service(), oldTag, oldId);
        } catch (RuntimeException e) {
            old.eventLoop().execute(() -> old.continuationFailed(oldId, false));
            return;
        }
        pendingContinuations.put(t, new Pending(old, oldId, true, new ArrayDeque<>()));
        Runnable ready = () -> old.continuationReady(oldId, this, t);
        CompletableFuture<Void> gate = old.continuationReadyGate;
        if (gate == null) {
            old.eventLoop().execute(ready);
        } else {
            gate.thenRun(() -> old.eventLoop().execute(ready));
        }
        requestDrive();
    }

    /** On the old loop: the continuation exists; the stream moves when the peer's MOVE arrives. */
    private void continuationReady(int id, LinkDriver to, int continuation) {
        BarnStream late = movedAfterClose.remove(id);
        if (late != null) { // this link closed after the peer's MOVE; the stream goes on there
            streams.put(id, late);
            commitMove(id, to, continuation, true);
            return;
        }
        BarnStream s = streams.get(id);
        if (s == null || s.isGone() || isClosed()) {
            to.eventLoop().execute(() -> to.dropContinuation(continuation, "the stream ended before it moved"));
            return;
        }
        readyContinuations.put(id, new Ready(to, continuation));
        if (peerMovedEarly.remove(id)) {
            commitMove(id, to, continuation, true);
        }
    }

    /** Tries a refused move again this many times: the continuation may have outrun the stream's OPEN. */
    private static final int MOVE_ATTEMPTS = 3;
    private static final long MOVE_RETRY_MILLIS = 100;

    /**
     * On the old loop: no continuation after all; the stream stays here. A refused one is tried
     * again shortly, as the peer may not have seen the stream's OPEN, which the relay carries
     * slower than the direct link carries the continuation's.
     */
    private void continuationFailed(int id, boolean refused) {
        BarnStream late = movedAfterClose.remove(id);
        if (late != null) { // the peer's half went on to the continuation, which is gone
            late.deliverReset(ErrorCode.CONNECTION_LOST, "the direct link ended while the stream moved to it");
            return;
        }
        readyContinuations.remove(id);
        BarnStream s = streams.get(id);
        if (s != null) {
            s.moving = false;
            if (refused && s.moveAttempts < MOVE_ATTEMPTS) {
                eventLoop().schedule(() -> startMove(s), MOVE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            s.moveLost = !refused; // a continuation the peer may have taken is gone with its link
        }
        closeIfMovedAway();
    }

    private void dropReady(int id, String reason) {
        peerMovedEarly.remove(id);
        Ready r = readyContinuations.remove(id);
        if (r != null) {
            r.to().eventLoop().execute(() -> r.to().dropContinuation(r.continuation(), reason));
        }
    }

    /** On the new loop: the peer opened a continuation of a stream of the link this one replaced. */
    private void onContinuationOpened(MuxEvent.ContinuationOpened c) {
        LinkDriver old = node.replacedRelayedLink(this, c.continuesLink());
        if (old == null) {
            link.mux().reset(c.stream(), ErrorCode.REFUSED, "no link with that tag to continue a stream of");
            return;
        }
        int oldId = c.continuesStream();
        pendingContinuations.put(c.stream(), new Pending(old, oldId, false, new ArrayDeque<>()));
        old.eventLoop().execute(() -> old.acceptContinuation(oldId, this, c.stream()));
    }

    /** On the old loop: the peer offers a continuation for stream {@code id}; accept by moving. */
    private void acceptContinuation(int id, LinkDriver to, int continuation) {
        BarnStream s = streams.get(id);
        if (s == null && !isClosed() && link.mux().peerMayOpen(id)) {
            // The continuation outran the stream's own OPEN, which the relay carries slower: wait for it.
            awaitingOpen.put(id, new Ready(to, continuation));
            return;
        }
        if (s == null || s.isGone() || !s.isInbound() || s.moving || isClosed() || to.isClosed()) {
            to.eventLoop().execute(() -> to.dropContinuation(continuation, "no such stream to continue"));
            return;
        }
        commitMove(id, to, continuation, false);
    }

    /** On the old loop: the link of a continuation that waited for its stream's OPEN is gone; the stream stays here. */
    private void continuationGone(int id, LinkDriver to, int continuation) {
        Ready r = awaitingOpen.get(id);
        if (r != null && r.to() == to && r.continuation() == continuation) {
            awaitingOpen.remove(id);
            closeIfMovedAway();
        }
    }

    /** On the old loop: the OPENs some continuations waited for have come (or the peer skipped their ids). */
    private void acceptAwaited() {
        Mux mux = link.mux();
        for (var it = awaitingOpen.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!mux.peerMayOpen(e.getKey())) {
                it.remove();
                acceptContinuation(e.getKey(), e.getValue().to(), e.getValue().continuation());
            }
        }
    }

    /**
     * On the new loop, once: the peer sent a transport message on this link, so it has taken
     * this link and opens nothing more on the relayed link this one replaced. That one may
     * close once it knows every OPEN the peer sent it has arrived: a PING there answers that.
     */
    private void tellReplacedLink() {
        toldReplaced = true;
        PeerLink old = peerLink == null ? null : peerLink.replacedRelayed;
        if (old != null) {
            LinkDriver d = old.driver();
            d.eventLoop().execute(d::peerUsesDirectLink);
        }
    }

    /** On the old loop: asks the peer, by a PING, to confirm it has sent here every stream it opened here. */
    private void peerUsesDirectLink() {
        if (!closeBarrierSent && !isClosed()) {
            closeBarrierSent = true;
            link.mux().ping(CLOSE_BARRIER);
            scheduleDrive();
        }
    }

    /** On the new loop: refuses or abandons a continuation; the stream, if any, stays where it was. */
    private void dropContinuation(int continuation, String reason) {
        pendingContinuations.remove(continuation);
        if (!isClosed()) {
            link.mux().reset(continuation, ErrorCode.REFUSED, reason);
            requestDrive();
        }
    }

    /** On the old loop: the peer's MOVE arrived for a stream still here. */
    private void onPeerMoved(int id, BarnStream s) {
        if (s == null) {
            return; // reset or gone meanwhile; its continuation goes with it
        }
        Ready r = readyContinuations.get(id);
        if (r != null) {
            commitMove(id, r.to(), r.continuation(), true);
        } else if (s.moving) {
            peerMovedEarly.add(id);
        } else {
            // The peer went on to a continuation this side no longer has: its bytes are lost.
            ErrorCode code = s.moveLost ? ErrorCode.CONNECTION_LOST : ErrorCode.PROTOCOL_ERROR;
            String reason = s.moveLost ? "the direct link ended while the stream moved to it"
                    : "the peer moved a stream without a continuation";
            streams.remove(id);
            link.mux().reset(id, code, reason);
            s.deliverReset(code, reason);
        }
    }

    /**
     * On the old loop: moves this side's half of stream {@code id} to {@code to}'s stream
     * {@code continuation}. The MOVE follows every byte sent here; what never left goes first
     * on the continuation; the stream reads here until the peer's MOVE, then there.
     */
    private void commitMove(int id, LinkDriver to, int continuation, boolean peerMoved) {
        BarnStream s = streams.remove(id);
        readyContinuations.remove(id);
        peerMovedEarly.remove(id);
        Mux mux = link.mux();
        Mux.Moved moved = mux.move(id);
        boolean owesBytes = mux.isOpen(id);
        if (owesBytes && !peerMoved) {
            forwarded.put(id, s);
        }
        BarnStream.Handover h = new BarnStream.Handover(moved, new MovedInput(peerMoved || !owesBytes), s.finDelivered());
        s.switchTo(this, id, to, continuation);
        to.eventLoop().execute(() -> to.adoptMoved(s, continuation, h));
        streamsMovedAway++;
        node.countStreamMoved();
        requestDrive();
    }

    /** On the new loop: takes over a stream that moved here from another link. */
    private void adoptMoved(BarnStream s, int continuation, BarnStream.Handover h) {
        Pending p = pendingContinuations.remove(continuation);
        s.adopted(h.input(), h.inputFinished());
        if (isClosed() || !link.mux().isOpen(continuation)) {
            String reason = "the direct link ended while the stream moved to it";
            s.reset(ErrorCode.CONNECTION_LOST, reason);
            s.deliverReset(ErrorCode.CONNECTION_LOST, reason);
            return;
        }
        Mux mux = link.mux();
        streams.put(continuation, s);
        Mux.Moved moved = h.moved();
        if (moved != null) {
            for (ByteBuffer b : moved.unsent()) {
                mux.writeOwned(continuation, b); // fits: the continuation's queue was empty
            }
        }
        if (moved == null || moved.fin()) {
            mux.finish(continuation);
        }
        if (p != null) {
            for (MuxEvent e : p.held()) {
                onStreamEvent(e);
            }
        }
        // A writer held up by the old stream's full send buffer waits for this: the buffer is new.
        s.deliverWritable();
        requestDrive();
    }

    /** On the new loop: an event for a continuation whose stream has not been handed over. */
    private void onPendingEvent(int id, Pending p, MuxEvent m) {
        if (m instanceof MuxEvent.StreamReset && p.opener()) {
            pendingContinuations.remove(id); // refused: the stream stays on the old link
            p.old().eventLoop().execute(() -> p.old().continuationFailed(p.oldId(), true));
            return;
        }
        p.held().add(m); // data among them stays unconsumed: the continuation's window bounds it
    }

    /** On the old loop: an event of a stream whose reading half is still here after it moved. */
    private void onForwardedEvent(int id, BarnStream f, MuxEvent m) {
        switch (m) {
            case MuxEvent.StreamData d -> f.eventLoop().execute(() -> f.oldData(d.data()));
            case MuxEvent.StreamFinished x -> f.eventLoop().execute(f::oldFinished);
            case MuxEvent.StreamMoved x -> f.eventLoop().execute(f::oldMoved);
            case MuxEvent.StreamReset r -> {
                forwarded.remove(id);
                f.eventLoop().execute(() -> f.resetFromOld(r.code(), r.reason()));
            }
            case MuxEvent.StreamClosed x -> {
                forwarded.remove(id);
                closeIfMovedAway();
            }
            default -> { }
        }
    }

    /** On the old loop: the moved stream's application consumed bytes that came this way. */
    void consumedOnOld(int id, int bytes) {
        if (!isClosed()) {
            link.mux().consumed(System.nanoTime(), id, bytes);
            scheduleDrive();
        }
    }

    /** On the old loop: the moved stream was reset; so is what is left of it here. */
    void resetOnOld(int id, ErrorCode code, String reason) {
        forwarded.remove(id);
        if (!isClosed()) {
            link.mux().reset(id, code, reason);
            scheduleDrive();
            closeIfMovedAway();
        }
    }

    /** Closes this relayed link once a direct one replaced it and nothing is left on it. */
    private void closeIfMovedAway() {
        if (movedTo == null || isClosed() || !carriesNothing()) {
            return;
        }
        reportMoved();
        close(ErrorCode.NO_ERROR, "upgraded to a direct link");
    }

    private boolean moveReported;

    /** Tells the node how long this link took to hand its streams over, once. */
    private void reportMoved() {
        if (movedTo != null && streamsMovedAway > 0 && !moveReported) {
            moveReported = true;
            node.streamsMovedAway(peerLink, streamsMovedAway, System.nanoTime() - moveStartedNanos);
        }
    }

    /**
     * No stream, moving or moved, has anything left on this link, nothing waits to be sent, and
     * no stream the peer opened can still be on its way here (PROTOCOL.md 5.10, closing L): the
     * peer answered the PING sent once it used the direct link (or, if that link ended before
     * the peer spoke on it, sent now).
     */
    boolean carriesNothing() {
        Mux mux = link == null ? null : link.mux();
        boolean empty = streams.isEmpty() && forwarded.isEmpty() && readyContinuations.isEmpty() && awaitingOpen.isEmpty()
                && (mux == null || (mux.streamCount() == 0 && !mux.hasPendingOutput()));
        if (empty && !closeBarrierSent && directLinkGone()) {
            peerUsesDirectLink(); // the direct link ended before the peer spoke on it: ask now
            return false;
        }
        return empty && closeBarrierAnswered;
    }

    private boolean directLinkGone() {
        PeerLink direct = peerLink == null ? null : peerLink.replacedBy;
        return direct == null || !direct.isActive();
    }

    /** Continuations the peer opened that wait for their stream's OPEN to arrive here (tests). */
    int continuationsAwaitingOpen() {
        return awaitingOpen.size();
    }

    /** Tests: the connection drops at once, without a GOAWAY, as when the network loses it. */
    void loseConnection() {
        ctx.channel().close();
    }

    /** The link's tag (docs/PROTOCOL.md 5.10). */
    long tag() {
        return link.tag();
    }
}
