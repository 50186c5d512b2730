package net.barn.daemon.api;

import com.google.protobuf.ByteString;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.barn.core.ErrorCode;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.mux.MuxConfig;
import net.barn.core.mux.ServiceName;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BarnStream;
import net.barn.daemon.PeerLink;
import net.barn.daemon.api.policy.Caller;
import net.barn.daemon.api.policy.Grant;
import net.barn.daemon.api.policy.PortRange;
import net.barn.daemon.api.policy.RateLimiter;
import net.barn.wire.local.AppMessage;
import net.barn.wire.local.Bind;
import net.barn.wire.local.Bound;
import net.barn.wire.local.DatagramIn;
import net.barn.wire.local.DatagramOut;
import net.barn.wire.local.Dial;
import net.barn.wire.local.Error;
import net.barn.wire.local.Hello;
import net.barn.wire.local.NodeMessage;
import net.barn.wire.local.Ok;
import net.barn.wire.local.Role;
import net.barn.wire.local.StreamOpen;
import net.barn.wire.local.Welcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One application's connection to the node. Runs on its channel's event loop. Everything an
 * application asks is checked against the policy grant of the OS user that connected; a
 * request the grant does not cover is refused with a reason and changes nothing.
 */
final class ApiSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ApiSession.class);
    static final int VERSION = 1;
    static final long HELLO_TIMEOUT_MILLIS = 10_000;
    private static final Pattern APP_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final ApiServer server;
    private final BarnNode node;
    private final Caller connectedAs;
    private ChannelHandlerContext ctx;
    private Caller caller;
    private Grant grant;
    private boolean serverRole;
    private boolean ready;
    private boolean closed;
    private boolean subscribed;
    private RateLimiter messageRate;
    private RateLimiter byteRate;
    private ScheduledFuture<?> helloTimer;
    private boolean flushScheduled;
    private final Map<Integer, LocalStream> streams = new HashMap<>();
    private final Map<Integer, Binding> bindings = new HashMap<>();
    private int nextStream = 1;
    private int nextBinding = 1;
    private long datagramsDropped;
    private final java.util.ArrayDeque<AppMessage> backlog = new java.util.ArrayDeque<>();
    private long throttledUntil;
    private boolean drainScheduled;

    /** A port or service this session serves. */
    record Binding(int id, int port, String service, boolean datagrams) {
        String describe() {
            return service != null ? "service " + service : "port " + port;
        }
    }

    ApiSession(ApiServer server, BarnNode node, Caller connectedAs) {
        this.server = server;
        this.node = node;
        this.connectedAs = connectedAs;
    }

    // ---------------------------------------------------------------- plumbing

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        helloTimer = ctx.executor().schedule(() -> fatal(0, LocalError.TIMEOUT.value(), "no hello within 10 s"),
                HELLO_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        shutdown("application disconnected");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("local session {}: {}", describe(), cause.toString());
        ctx.close();
    }

    void execute(Runnable task) {
        ctx.executor().execute(task);
    }

    Channel channel() {
        return ctx.channel();
    }

    void send(NodeMessage message) {
        if (closed) {
            return;
        }
        ctx.write(message);
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(() -> {
                flushScheduled = false;
                ctx.flush();
            });
        }
    }

    private void reply(int request, NodeMessage.Builder body) {
        send(body.setRequest(request).build());
    }

    private void error(int request, int code, String message) {
        reply(request, NodeMessage.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)));
    }

    private void error(int request, LocalError code, String message) {
        error(request, code.value(), message);
    }

    /** Tells the application why, then ends the session. */
    private void fatal(int request, int code, String message) {
        if (closed) {
            return;
        }
        log.info("local session {} closed: {}", describe(), message);
        error(request, code, message);
        ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> ctx.close());
        shutdown(message);
    }

    private void shutdown(String why) {
        if (closed) {
            return;
        }
        closed = true;
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        for (LocalStream s : List.copyOf(streams.values())) {
            if (s.stream() != null) {
                s.abandon(why);
            }
        }
        streams.clear();
        for (Binding b : List.copyOf(bindings.values())) {
            release(b);
        }
        bindings.clear();
        var dht = server.dht();
        if (dht != null) {
            dht.namespaces().unlisten(deliveries);
            dht.namespaces().release(this);
            dht.mazes().unlisten(mazeEvents);
            dht.mazes().release(this);
        }
        server.sessionEnded(this);
    }

    String describe() {
        Caller c = caller != null ? caller : connectedAs;
        return c.describe() + (c.app() != null ? " app " + c.app() : "");
    }

    boolean isReady() {
        return ready && !closed;
    }

    boolean subscribed() {
        return subscribed;
    }

    void forget(LocalStream s) {
        streams.remove(s.id, s);
    }

    // ---------------------------------------------------------------- input

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            return;
        }
        if (msg instanceof ApiCodec.Malformed m) {
            fatal(0, ErrorCode.PROTOCOL_ERROR.value(), m.why());
            return;
        }
        AppMessage app = (AppMessage) msg;
        if (!ready) {
            if (app.getKindCase() != AppMessage.KindCase.HELLO) {
                fatal(app.getRequest(), LocalError.BAD_REQUEST.value(), "the first message must be a hello");
                return;
            }
            hello(app.getRequest(), app.getHello());
            return;
        }
        backlog.add(app);
        drainBacklog();
    }

    /**
     * Handles queued messages while the session is within its rates. A message that puts it
     * in debt is still handled; the ones after it wait, and the socket is not read, until the
     * debt is paid. So an application cannot go faster than its policy, whatever it sends.
     */
    private void drainBacklog() {
        while (!backlog.isEmpty() && !closed) {
            long now = System.nanoTime();
            if (now < throttledUntil) {
                if (!drainScheduled) {
                    drainScheduled = true;
                    ctx.channel().config().setAutoRead(false);
                    ctx.executor().schedule(() -> {
                        drainScheduled = false;
                        ctx.channel().config().setAutoRead(true);
                        drainBacklog();
                    }, throttledUntil - now, TimeUnit.NANOSECONDS);
                }
                return;
            }
            AppMessage app = backlog.poll();
            int bytes = switch (app.getKindCase()) {
                case DATA -> app.getData().getData().size();
                case DATAGRAM -> app.getDatagram().getData().size();
                default -> 0;
            };
            long wait = Math.max(messageRate.spend(now, 1), byteRate.spend(now, bytes));
            if (wait > 0) {
                throttledUntil = now + wait;
            }
            try {
                handle(app);
            } catch (RuntimeException e) {
                log.warn("local session {}: request failed: {}", describe(), e.toString());
                error(app.getRequest(), ErrorCode.INTERNAL_ERROR.value(), "internal error: " + e.getMessage());
            }
        }
    }

    private void hello(int request, Hello hello) {
        helloTimer.cancel(false);
        if (hello.getVersion() != VERSION) {
            fatal(request, ErrorCode.UNSUPPORTED_VERSION.value(),
                    "this node speaks local API version " + VERSION + ", not " + hello.getVersion());
            return;
        }
        if (!APP_NAME.matcher(hello.getApp()).matches()) {
            fatal(request, LocalError.BAD_REQUEST.value(), "app names are 1-64 of a-z 0-9 . _ - (got '" + hello.getApp() + "')");
            return;
        }
        caller = connectedAs.withApp(hello.getApp());
        var g = server.policy().grantFor(caller);
        if (g.isEmpty()) {
            fatal(request, LocalError.NOT_ALLOWED.value(), caller.describe() + " running '" + caller.app()
                    + "' is not allowed by the node's policy (" + server.policy().source() + ")");
            return;
        }
        boolean wantsServer = hello.getRole() == Role.SERVER;
        if (wantsServer && !g.get().server()) {
            fatal(request, LocalError.NOT_ALLOWED.value(), caller.describe() + " may run '" + caller.app()
                    + "' only as a client (dial out), not as a server");
            return;
        }
        apply(g.get());
        serverRole = wantsServer;
        ready = true;
        log.info("local session: {} as {}", describe(), wantsServer ? "server" : "client");
        reply(request, NodeMessage.newBuilder().setWelcome(Welcome.newBuilder()
                .setVersion(VERSION)
                .setNodeId(node.id().toString())
                .setInvite(node.invite().toString())
                .setInitialWindow(LocalStream.INITIAL_WINDOW)
                .setMaxMessage(ApiCodec.MAX_MESSAGE)
                .setGrant(toWire(grant, wantsServer))));
    }

    private void apply(Grant g) {
        long now = System.nanoTime();
        grant = g;
        messageRate = new RateLimiter(g.messagesPerSecond(), now);
        byteRate = new RateLimiter(g.bytesPerSecond(), now);
    }

    /** Re-checks the session after a policy reload; ends it if it is no longer allowed. */
    void reapply(net.barn.daemon.api.policy.Policy policy) {
        if (!ready || closed) {
            return;
        }
        var g = policy.grantFor(caller);
        if (g.isEmpty() || (serverRole && !g.get().server())) {
            fatal(0, LocalError.NOT_ALLOWED.value(), "policy reloaded: " + caller.describe() + " running '" + caller.app()
                    + "' is no longer allowed" + (g.isPresent() ? " as a server" : ""));
            return;
        }
        apply(g.get());
        for (Binding b : List.copyOf(bindings.values())) {
            String why = bindRefusal(b.port(), b.service(), namespaceOf(b.service(), ""));
            if (why != null) {
                release(b);
                bindings.remove(b.id());
                error(0, LocalError.NOT_ALLOWED, "binding " + b.id() + " (" + b.describe() + ") withdrawn by policy reload: " + why);
            }
        }
    }

    private static net.barn.wire.local.Grant toWire(Grant g, boolean server) {
        return net.barn.wire.local.Grant.newBuilder()
                .setRole(server ? Role.SERVER : Role.CLIENT)
                .addAllNamespaces(g.namespaces())
                .addAllPorts(g.ports().stream().map(PortRange::toString).toList())
                .addAllServices(g.services())
                .setMaxStreams(g.maxStreams())
                .setMaxBinds(g.maxBinds())
                .setMessagesPerSecond(g.messagesPerSecond())
                .setBytesPerSecond(g.bytesPerSecond())
                .setAdmin(g.admin())
                .build();
    }

    private void handle(AppMessage app) {
        int request = app.getRequest();
        switch (app.getKindCase()) {
            case HELLO -> error(request, LocalError.BAD_REQUEST, "hello was already said");
            case BIND -> bind(request, app.getBind());
            case UNBIND -> unbind(request, app.getUnbind().getBinding());
            case DIAL -> dial(request, app.getDial());
            case DATA -> {
                LocalStream s = streams.get(app.getData().getStream());
                if (s == null) {
                    return; // a stream that just ended; its data crossed the end in flight
                }
                String violation = s.fromApp(app.getData().getData(), app.getData().getFin());
                if (violation != null) {
                    s.resetFromApp(ErrorCode.FLOW_CONTROL_ERROR, violation);
                    forget(s);
                    error(0, ErrorCode.FLOW_CONTROL_ERROR.value(), violation);
                }
            }
            case WINDOW -> {
                LocalStream s = streams.get(app.getWindow().getStream());
                if (s != null && app.getWindow().getIncrement() > 0) {
                    s.appWindow(app.getWindow().getIncrement());
                }
            }
            case RESET -> {
                LocalStream s = streams.remove(app.getReset().getStream());
                if (s != null) {
                    s.resetFromApp(ErrorCode.CANCELLED, app.getReset().getReason().isEmpty()
                            ? "reset by the application" : app.getReset().getReason());
                }
            }
            case DATAGRAM -> datagram(request, app.getDatagram());
            case STATUS -> {
                // Status asks the root network's loop: answer from elsewhere, not this event loop.
                java.util.concurrent.CompletableFuture.supplyAsync(server::status)
                        .whenComplete((st, err) -> execute(() -> {
                            if (err != null) {
                                error(request, ErrorCode.INTERNAL_ERROR.value(), "status unavailable: " + err.getMessage());
                            } else {
                                reply(request, NodeMessage.newBuilder().setStatus(st));
                            }
                        }));
            }
            case DHT_PUT -> dhtPut(request, app.getDhtPut());
            case DHT_GET -> dhtGet(request, app.getDhtGet());
            case NAME -> name(request, app.getName());
            case NS_JOIN -> nsJoin(request, app.getNsJoin());
            case NS_LEAVE -> nsLeave(request, app.getNsLeave());
            case NS_BROADCAST -> nsBroadcast(request, app.getNsBroadcast());
            case NS_LIST -> nsList(request);
            case MAZE_JOIN -> mazeJoin(request, app.getMazeJoin());
            case MAZE_LEAVE -> mazeLeave(request, app.getMazeLeave());
            case MAZE_SEND -> mazeSend(request, app.getMazeSend());
            case MAZE_LIST -> mazeList(request);
            case PEERS -> reply(request, NodeMessage.newBuilder().setPeers(server.peers()));
            case ADD_PEER -> addPeer(request, app.getAddPeer().getInvite());
            case SUBSCRIBE -> {
                subscribed = app.getSubscribe().getLinks();
                reply(request, NodeMessage.newBuilder().setOk(Ok.getDefaultInstance()));
            }
            case KIND_NOT_SET -> error(request, LocalError.BAD_REQUEST, "unknown or empty request (newer than this node?)");
        }
    }

    // ---------------------------------------------------------------- requests

    private static String namespaceOf(String service, String explicit) {
        if (explicit != null && !explicit.isEmpty()) {
            return explicit;
        }
        if (service != null) {
            int slash = service.indexOf('/');
            if (slash > 0) {
                return service.substring(0, slash);
            }
        }
        return null;
    }

    /** Why policy forbids serving this address, or null. */
    private String bindRefusal(int port, String service, String namespace) {
        if (service != null ? !grant.allowsService(service) : !grant.allowsPort(port)) {
            return (service != null ? "service " + service : "port " + port) + " is outside this application's policy";
        }
        if (namespace != null && !grant.allowsNamespace(namespace)) {
            return "namespace " + namespace + " is outside this application's policy";
        }
        return null;
    }

    /** Checks the port-or-service shape shared by Bind and Dial; returns an error text or null. */
    private static String addressProblem(int port, String service) {
        boolean hasPort = port != 0;
        boolean hasService = !service.isEmpty();
        if (hasPort == hasService) {
            return "give exactly one of port and service";
        }
        if (hasPort && port > 65535) {
            return "port " + port + " is out of range";
        }
        if (hasService && !ServiceName.isValid(service)) {
            return "service names are 1-63 of a-z 0-9 . _ - /, starting with a letter or digit";
        }
        return null;
    }

    private void bind(int request, Bind bind) {
        if (!serverRole) {
            error(request, LocalError.NOT_ALLOWED, "client applications may not bind or accept; connect as a server");
            return;
        }
        String problem = addressProblem(bind.getPort(), bind.getService());
        if (problem != null) {
            error(request, LocalError.BAD_REQUEST, problem);
            return;
        }
        String service = bind.getService().isEmpty() ? null : bind.getService();
        if (bind.getDatagrams() && service != null) {
            error(request, LocalError.BAD_REQUEST, "datagrams are addressed to ports, not services");
            return;
        }
        String refusal = bindRefusal(bind.getPort(), service, namespaceOf(service, bind.getNamespace()));
        if (refusal != null) {
            error(request, LocalError.NOT_ALLOWED, refusal);
            return;
        }
        if (bindings.size() >= grant.maxBinds()) {
            error(request, LocalError.LIMIT, "at most " + grant.maxBinds() + " bindings per application");
            return;
        }
        Binding b = new Binding(nextBinding++, bind.getPort(), service, bind.getDatagrams());
        try {
            if (service != null) {
                node.bind(service, stream -> incoming(b, stream));
            } else {
                node.bind(b.port(), stream -> incoming(b, stream));
            }
        } catch (IllegalStateException taken) {
            error(request, LocalError.IN_USE, b.describe() + " is already bound on this node");
            return;
        }
        if (b.datagrams()) {
            try {
                node.bindDatagrams(b.port(), (from, dst, src, payload) -> execute(() -> deliverDatagram(from, dst, src, payload)));
            } catch (IllegalStateException taken) {
                node.unbind(b.port());
                error(request, LocalError.IN_USE, "datagram port " + b.port() + " is already bound on this node");
                return;
            }
        }
        bindings.put(b.id(), b);
        reply(request, NodeMessage.newBuilder().setBound(Bound.newBuilder().setBinding(b.id())));
        // Serving in a namespace makes the node a member of it, for as long as this session lasts.
        String ns = namespaceOf(service, bind.getNamespace());
        var dht = server.dht();
        if (ns != null && dht != null) {
            dht.namespaces().join(ns, this, null).whenComplete((st, err) -> {
                if (err != null) {
                    log.info("local session {}: bound in {} without joining its network: {}", describe(), ns,
                            net.barn.daemon.NameService.reason(err));
                }
            });
        }
    }

    private void release(Binding b) {
        if (b.service() != null) {
            node.unbind(b.service());
        } else {
            node.unbind(b.port());
        }
        if (b.datagrams()) {
            node.unbindDatagrams(b.port());
        }
    }

    private void unbind(int request, int id) {
        Binding b = bindings.remove(id);
        if (b == null) {
            error(request, LocalError.NOT_FOUND, "no binding " + id);
            return;
        }
        release(b);
        reply(request, NodeMessage.newBuilder().setOk(Ok.getDefaultInstance()));
    }

    /**
     * A peer opened a stream to one of our bindings. Runs on the link's loop; the stream
     * holds what arrives until the session, on its own loop, accepts it and sets the handler.
     */
    private void incoming(Binding b, BarnStream stream) {
        execute(() -> accept(b, stream));
    }

    private void accept(Binding b, BarnStream stream) {
        if (closed || !bindings.containsKey(b.id())) {
            stream.eventLoop().execute(() -> stream.reset(ErrorCode.PORT_UNREACHABLE, "the application went away"));
            return;
        }
        if (streams.size() >= grant.maxStreams()) {
            stream.eventLoop().execute(() -> stream.reset(ErrorCode.REFUSED, "the application is at its stream limit"));
            return;
        }
        int id = nextStream++;
        LocalStream ls = new LocalStream(this, id);
        ls.attach(stream);
        streams.put(id, ls);
        send(NodeMessage.newBuilder().setStreamOpen(StreamOpen.newBuilder().setStream(id)
                .setPeer(stream.peer().toString()).setPort(stream.port())
                .setService(stream.service() == null ? "" : stream.service()).setBinding(b.id())).build());
        stream.eventLoop().execute(() -> stream.setHandler(ls));
    }

    private void dial(int request, Dial dial) {
        String problem = addressProblem(dial.getPort(), dial.getService());
        if (problem != null) {
            error(request, LocalError.BAD_REQUEST, problem);
            return;
        }
        String service = dial.getService().isEmpty() ? null : dial.getService();
        String refusal = bindRefusal(dial.getPort(), service, namespaceOf(service, dial.getNamespace()));
        if (refusal != null) {
            error(request, LocalError.NOT_ALLOWED, refusal);
            return;
        }
        if (streams.size() >= grant.maxStreams()) {
            error(request, LocalError.LIMIT, "at most " + grant.maxStreams() + " streams per application");
            return;
        }
        CompletableFuture<PeerLink> link = resolve(request, dial.getNode());
        if (link == null) {
            return;
        }
        int id = nextStream++;
        LocalStream ls = new LocalStream(this, id);
        streams.put(id, ls); // holds the slot against the limit while the dial runs
        link.thenCompose(l -> service != null ? l.openStream(service, ls) : l.openStream(dial.getPort(), ls))
                .whenComplete((stream, failure) -> execute(() -> {
                    if (failure != null) {
                        streams.remove(id);
                        Throwable c = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        int code = c instanceof net.barn.daemon.LinkException le ? le.code().value() : LocalError.NO_ROUTE.value();
                        error(request, code, "dial failed: " + c.getMessage());
                        return;
                    }
                    ls.attach(stream);
                    if (closed || !streams.containsKey(id)) {
                        ls.abandon("the application went away");
                        return;
                    }
                    reply(request, NodeMessage.newBuilder().setStreamOpen(StreamOpen.newBuilder().setStream(id)
                            .setPeer(stream.peer().toString()).setPort(stream.port())
                            .setService(service == null ? "" : service)));
                }));
    }

    /** The link to a node id, or (admins only) to an invite; null after replying with an error. */
    private CompletableFuture<PeerLink> resolve(int request, String node) {
        String text = node.trim();
        if (text.regionMatches(true, 0, Invite.SCHEME, 0, Invite.SCHEME.length())) {
            Invite invite;
            try {
                invite = Invite.parse(text);
            } catch (IllegalArgumentException e) {
                error(request, LocalError.BAD_REQUEST, "bad invite: " + e.getMessage());
                return null;
            }
            var existing = this.node.link(invite.nodeId());
            if (existing.isPresent()) {
                return CompletableFuture.completedFuture(existing.get());
            }
            if (!grant.admin()) {
                error(request, LocalError.NOT_ALLOWED, "only admin applications may link new peers by invite");
                return null;
            }
            return this.node.dial(invite);
        }
        NodeId id;
        try {
            id = NodeId.parse(text);
        } catch (IllegalArgumentException e) {
            error(request, LocalError.BAD_REQUEST, "bad node id: " + e.getMessage());
            return null;
        }
        var link = this.node.link(id);
        if (link.isPresent()) {
            return CompletableFuture.completedFuture(link.get());
        }
        var dht = server.dht();
        if (dht == null) {
            error(request, LocalError.NO_ROUTE, "no link to " + id.shortForm() + " (link it first, e.g. with an invite)");
            return null;
        }
        return dht.linkTo(id); // through a relay it publishes, if it is behind NAT
    }

    private void datagram(int request, DatagramOut d) {
        if (d.getData().size() > MuxConfig.MAX_DATAGRAM_PAYLOAD) {
            error(request, ErrorCode.DATAGRAM_TOO_LARGE.value(), "datagram of " + d.getData().size()
                    + " bytes, limit " + MuxConfig.MAX_DATAGRAM_PAYLOAD);
            return;
        }
        if (d.getPort() < 1 || d.getPort() > 65535 || d.getSourcePort() > 65535) {
            error(request, LocalError.BAD_REQUEST, "datagram ports must be 1..65535 (source 0..65535)");
            return;
        }
        if (!grant.allowsPort(d.getPort())) {
            error(request, LocalError.NOT_ALLOWED, "port " + d.getPort() + " is outside this application's policy");
            return;
        }
        if (d.getSourcePort() != 0 && bindings.values().stream().noneMatch(b -> b.datagrams() && b.port() == d.getSourcePort())) {
            error(request, LocalError.NOT_ALLOWED, "source port " + d.getSourcePort() + " is not one of this application's datagram bindings");
            return;
        }
        NodeId id;
        try {
            id = NodeId.parse(d.getNode());
        } catch (IllegalArgumentException e) {
            error(request, LocalError.BAD_REQUEST, "bad node id: " + e.getMessage());
            return;
        }
        var link = node.link(id);
        if (link.isEmpty()) {
            error(request, LocalError.NO_ROUTE, "no link to " + id.shortForm());
            return;
        }
        link.get().sendDatagram(d.getPort(), d.getSourcePort(), d.getData().toByteArray());
        if (request != 0) {
            reply(request, NodeMessage.newBuilder().setOk(Ok.getDefaultInstance()));
        }
    }

    private void deliverDatagram(PeerLink from, int dst, int src, ByteBuffer payload) {
        if (closed) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            datagramsDropped++; // unreliable by contract: a slow reader loses datagrams, not memory
            return;
        }
        send(NodeMessage.newBuilder().setDatagram(DatagramIn.newBuilder().setPeer(from.peerId().toString())
                .setPort(dst).setSourcePort(src).setData(ByteString.copyFrom(payload))).build());
    }

    private void addPeer(int request, String invite) {
        if (!grant.admin()) {
            error(request, LocalError.NOT_ALLOWED, "only admin applications may add peers");
            return;
        }
        Invite parsed;
        try {
            parsed = Invite.parse(invite);
        } catch (IllegalArgumentException e) {
            error(request, LocalError.BAD_REQUEST, "bad invite: " + e.getMessage());
            return;
        }
        node.dial(parsed).whenComplete((link, failure) -> execute(() -> {
            if (failure == null) {
                reply(request, NodeMessage.newBuilder().setOk(Ok.getDefaultInstance()));
            } else {
                Throwable c = failure.getCause() != null ? failure.getCause() : failure;
                error(request, c instanceof net.barn.daemon.LinkException le ? le.code().value() : LocalError.NO_ROUTE.value(),
                        c.getMessage());
            }
        }));
    }

    private void dhtPut(int request, net.barn.wire.local.DhtPut put) {
        var dht = server.dht();
        if (dht == null) {
            error(request, LocalError.NO_ROUTE, "this node does not run the root network");
            return;
        }
        if (!grant.admin()) {
            error(request, LocalError.NOT_ALLOWED, "only admin applications may publish as this node");
            return;
        }
        byte[] name = put.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > net.barn.core.dht.RecordTypes.MAX_NAME_BYTES || put.getName().contains("/")) {
            error(request, LocalError.BAD_REQUEST, "names are 1-64 bytes of UTF-8 without '/'");
            return;
        }
        long ttl = put.getTtlSeconds() == 0 ? 24 * 3600 : put.getTtlSeconds();
        if (ttl > 48 * 3600) {
            error(request, LocalError.BAD_REQUEST, "records live at most 48 hours");
            return;
        }
        if (put.getValue().size() > net.barn.core.dht.DhtConfig.DEFAULT.maxValueBytes()) {
            error(request, LocalError.BAD_REQUEST, "values are at most " + net.barn.core.dht.DhtConfig.DEFAULT.maxValueBytes() + " bytes");
            return;
        }
        net.barn.core.dht.Key key = net.barn.core.dht.RecordTypes.ownedKey(node.id(), name);
        dht.local(key, net.barn.core.dht.RecordTypes.OWNED).thenCompose(held -> {
            // The publisher's clock orders its records, so no counter needs to survive restarts.
            long now = System.currentTimeMillis();
            long sequence = Math.max(dht.sequenceNow(), held == null ? 1 : held.sequence() + 1);
            var record = net.barn.core.dht.RecordTypes.owned(node.identity(), put.getName(), put.getValue().toByteArray(),
                    sequence, now + ttl * 1000);
            return dht.put(record, true).thenApply(r -> new Object[] {record, r});
        }).whenComplete((pair, err) -> execute(() -> {
            if (err != null) {
                error(request, ErrorCode.INTERNAL_ERROR.value(), "publish failed: " + err.getMessage());
                return;
            }
            var record = (net.barn.core.dht.Record) pair[0];
            var result = (net.barn.core.dht.DhtEvent.PutResult) pair[1];
            reply(request, NodeMessage.newBuilder().setDhtPutResult(net.barn.wire.local.DhtPutResult.newBuilder()
                    .setKey(node.id() + "/" + put.getName()).setSequence(record.sequence()).setStored(result.stored())
                    .addAllRefused(result.refused())));
        }));
    }

    private void dhtGet(int request, net.barn.wire.local.DhtGet get) {
        var dht = server.dht();
        if (dht == null) {
            error(request, LocalError.NO_ROUTE, "this node does not run the root network");
            return;
        }
        String text = get.getKey().trim();
        int slash = text.indexOf('/');
        net.barn.core.identity.NodeId publisher;
        String name;
        try {
            publisher = slash < 0 ? node.id() : net.barn.core.identity.NodeId.parse(text.substring(0, slash));
            name = slash < 0 ? text : text.substring(slash + 1);
        } catch (IllegalArgumentException e) {
            error(request, LocalError.BAD_REQUEST, "keys are <node id>/<name>, or a name of this node's: " + e.getMessage());
            return;
        }
        if (name.isEmpty()) {
            error(request, LocalError.BAD_REQUEST, "keys are <node id>/<name>, or a name of this node's");
            return;
        }
        var key = net.barn.core.dht.RecordTypes.ownedKey(publisher, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        dht.get(key, net.barn.core.dht.RecordTypes.OWNED).whenComplete((r, err) -> execute(() -> {
            if (err != null) {
                error(request, ErrorCode.INTERNAL_ERROR.value(), "read failed: " + err.getMessage());
                return;
            }
            var b = net.barn.wire.local.DhtRecord.newBuilder().setFound(r.record() != null)
                    .setAgreeing(r.agreeing()).setConflicting(r.conflicting()).setHops(r.hops())
                    .setLatencyMicros((System.nanoTime() - t0) / 1000);
            if (r.record() != null) {
                b.setValue(ByteString.copyFrom(r.record().value())).setSequence(r.record().sequence())
                        .setPublisher(publisher.toString()).setName(name).setExpiresAtMillis(r.record().expiresAtMillis());
            }
            reply(request, NodeMessage.newBuilder().setDhtRecord(b));
        }));
    }

    private void name(int request, net.barn.wire.local.NameRequest req) {
        var dht = server.dht();
        var op = req.getOp();
        if (op == net.barn.wire.local.NameRequest.Op.RESOLVE) {
            String refusal = namespaceRefusal(net.barn.core.namespace.SubNames.namespaceOf(req.getName()));
            if (refusal != null) {
                error(request, LocalError.NOT_ALLOWED, refusal);
                return;
            }
        } else if (op != net.barn.wire.local.NameRequest.Op.SHOW && !grant.admin()) {
            error(request, LocalError.NOT_ALLOWED, "only admin applications may claim, change or register names as this node");
            return;
        }
        if (dht == null) {
            error(request, LocalError.NO_ROUTE, "this node does not run the root network");
            return;
        }
        NameRequests.run(dht.nameService(), req).whenComplete((info, err) -> execute(() -> {
            if (err != null) {
                Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
                boolean refused = cause instanceof net.barn.daemon.NameService.NameException || cause instanceof IllegalArgumentException;
                if (refused) {
                    error(request, LocalError.BAD_REQUEST, net.barn.daemon.NameService.reason(cause));
                } else {
                    error(request, ErrorCode.INTERNAL_ERROR.value(), "name request failed: " + net.barn.daemon.NameService.reason(cause));
                }
                return;
            }
            reply(request, NodeMessage.newBuilder().setNameInfo(info));
        }));
    }

    /** This session's receiver of namespace broadcasts: pushed to the application on the session's loop. */
    private final java.util.function.Consumer<net.barn.daemon.NamespaceService.Delivery> deliveries = d -> execute(() -> {
        if (grant != null && grant.allowsNamespace(d.namespace())) {
            send(NodeMessage.newBuilder().setNsDelivery(net.barn.wire.local.NsDelivery.newBuilder().setNamespace(d.namespace())
                    .setOrigin(d.origin().toString()).setPayload(ByteString.copyFrom(d.payload())).setHops(d.hops())).build());
        }
    });

    /** This session's receiver of maze events: pushed to the application on the session's loop. */
    private final java.util.function.Consumer<net.barn.daemon.MazeService.Event> mazeEvents = e -> execute(() -> {
        if (grant == null || !grant.allowsNamespace(net.barn.core.namespace.SubNames.namespaceOf(e.maze()))) {
            return;
        }
        var b = net.barn.wire.local.MazeEvent.newBuilder().setMaze(e.maze());
        switch (e) {
            case net.barn.daemon.MazeService.Event.Delivered d -> b.setDelivered(net.barn.wire.local.MazeDelivered.newBuilder()
                    .setSender(d.sender().toString()).setSequence(d.seq()).setPayload(ByteString.copyFrom(d.payload())));
            case net.barn.daemon.MazeService.Event.MemberJoined j -> b.setJoined(j.member().toString());
            case net.barn.daemon.MazeService.Event.MemberLeft l -> {
                if (l.failed()) {
                    b.setFailed(l.member().toString());
                } else {
                    b.setLeft(l.member().toString());
                }
            }
        }
        send(NodeMessage.newBuilder().setMazeEvent(b).build());
    });

    private String mazeRefusal(String maze) {
        return namespaceRefusal(net.barn.core.namespace.SubNames.namespaceOf(maze));
    }

    private void mazeJoin(int request, net.barn.wire.local.MazeJoin join) {
        var dht = root(request, mazeRefusal(join.getMaze()));
        var invitation = dht == null ? null : invitation(request, join.getInvitation());
        if (invitation == null) {
            return;
        }
        var mazes = dht.mazes();
        answer(request, mazes.join(join.getMaze(), this, invitation.orElse(null), join.getPrivate())
                .thenCompose(st -> mazes.listen(st.maze(), mazeEvents).thenApply(x -> st)),
                st -> NodeMessage.newBuilder().setMazeStates(net.barn.wire.local.MazeStates.newBuilder().addMazes(mazeState(st))));
    }

    private static net.barn.wire.local.MazeState mazeState(net.barn.daemon.MazeService.State st) {
        return net.barn.wire.local.MazeState.newBuilder().setMaze(st.maze())
                .addAllMembers(st.members().stream().map(Object::toString).toList()).setDelivered(st.delivered())
                .setRetransmissions(st.retransmissions()).setDroppedFromNonMembers(st.droppedFromNonMembers())
                .setPrivate(st.isPrivate()).setDroppedForged(st.droppedForged()).build();
    }

    private void mazeLeave(int request, net.barn.wire.local.MazeLeave leave) {
        var dht = root(request, null);
        if (dht != null) {
            answer(request, dht.mazes().leave(leave.getMaze(), this), held -> heldReply(request, held,
                    "not in maze " + leave.getMaze() + " through this session"));
        }
    }

    private void mazeSend(int request, net.barn.wire.local.MazeSend m) {
        var dht = root(request, mazeRefusal(m.getMaze()));
        if (dht != null) {
            answer(request, dht.mazes().send(m.getMaze(), m.getPayload().toByteArray(), mazeEvents),
                    seq -> NodeMessage.newBuilder().setMazeSent(net.barn.wire.local.MazeSent.newBuilder().setSequence(seq)));
        }
    }

    private void mazeList(int request) {
        var dht = root(request, null);
        if (dht != null) {
            answer(request, dht.mazes().states(), list -> {
                var b = net.barn.wire.local.MazeStates.newBuilder();
                list.stream().filter(st -> grant.allowsNamespace(net.barn.core.namespace.SubNames.namespaceOf(st.maze())))
                        .forEach(st -> b.addMazes(mazeState(st)));
                return NodeMessage.newBuilder().setMazeStates(b);
            });
        }
    }

    /**
     * The root network, for a request in a namespace ({@code refusal}: why this session may not
     * act there, or null); null after answering the request with why there is none.
     */
    private net.barn.daemon.DhtService root(int request, String refusal) {
        if (refusal != null) {
            error(request, LocalError.NOT_ALLOWED, refusal);
            return null;
        }
        var dht = server.dht();
        if (dht == null) {
            error(request, LocalError.NO_ROUTE, "this node does not run the root network");
        }
        return dht;
    }

    /** The invitation a join carries (empty if none); null after answering that it does not decode. */
    private java.util.Optional<net.barn.wire.names.Invitation> invitation(int request, ByteString raw) {
        if (raw.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(net.barn.wire.names.Invitation.parseFrom(raw));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            error(request, LocalError.BAD_REQUEST, "invitation is not an encoded barn.names.v1.Invitation");
            return null;
        }
    }

    /** Answers {@code request} when {@code f} completes: a name error, or what {@code ok} builds (null: it answered). */
    private <T> void answer(int request, java.util.concurrent.CompletableFuture<T> f,
            java.util.function.Function<T, NodeMessage.Builder> ok) {
        f.whenComplete((value, err) -> execute(() -> {
            if (err != null) {
                nameError(request, err);
                return;
            }
            NodeMessage.Builder r = ok.apply(value);
            if (r != null) {
                reply(request, r);
            }
        }));
    }

    /** Ok for a leave that let go of something; else answers that there was nothing held. */
    private NodeMessage.Builder heldReply(int request, boolean held, String notHeld) {
        if (!held) {
            error(request, LocalError.BAD_REQUEST, notHeld);
            return null;
        }
        return NodeMessage.newBuilder().setOk(Ok.getDefaultInstance());
    }

    /** Why this session may not act in a namespace, or null. */
    private String namespaceRefusal(String raw) {
        String ns;
        try {
            ns = net.barn.core.namespace.NameSyntax.normaliseTopLevel(raw);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return grant.allowsNamespace(ns) ? null : "namespace " + ns + " is outside this application's policy";
    }

    private void nsJoin(int request, net.barn.wire.local.NsJoin join) {
        if (join.getNode() && !grant.admin() && namespaceRefusal(join.getNamespace()) == null) {
            error(request, LocalError.NOT_ALLOWED, "only admin applications may make the node itself a member");
            return;
        }
        var dht = root(request, namespaceRefusal(join.getNamespace()));
        var invitation = dht == null ? null : invitation(request, join.getInvitation());
        if (invitation == null) {
            return;
        }
        var namespaces = dht.namespaces();
        Object holder = join.getNode() ? NODE_HOLD : this;
        answer(request, namespaces.join(join.getNamespace(), holder, invitation.orElse(null))
                .thenCompose(st -> join.getNode() ? java.util.concurrent.CompletableFuture.completedFuture(st)
                        : namespaces.listen(st.namespace(), deliveries).thenApply(x -> st)),
                st -> NodeMessage.newBuilder().setNsStates(net.barn.wire.local.NsStates.newBuilder().addNamespaces(state(st))));
    }

    /** The holder of memberships made with {@code barn ns join}: the node itself, across sessions. */
    static final Object NODE_HOLD = new Object();

    private static net.barn.wire.local.NsState state(net.barn.daemon.NamespaceService.State st) {
        return net.barn.wire.local.NsState.newBuilder().setNamespace(st.namespace())
                .addAllNeighbours(st.neighbours().stream().map(Object::toString).toList()).setPassive(st.passive())
                .setDelivered(st.delivered()).setSent(st.sent()).setEpoch(Math.max(0, st.epoch()))
                .addAllStewards(st.stewards().stream().map(Object::toString).toList())
                .addAllExcluded(st.excluded().stream().map(Object::toString).toList()).build();
    }

    private void nsLeave(int request, net.barn.wire.local.NsLeave leave) {
        var dht = root(request, null);
        if (dht == null) {
            return;
        }
        if (leave.getNode() && !grant.admin()) {
            error(request, LocalError.NOT_ALLOWED, "only admin applications may release the node's own membership");
            return;
        }
        answer(request, dht.namespaces().leave(leave.getNamespace(), leave.getNode() ? NODE_HOLD : this),
                held -> heldReply(request, held, "not a member of " + leave.getNamespace() + " through this session"));
    }

    private void nsBroadcast(int request, net.barn.wire.local.NsBroadcast b) {
        var dht = root(request, namespaceRefusal(b.getNamespace()));
        if (dht != null) {
            answer(request, dht.namespaces().broadcast(b.getNamespace(), b.getPayload().toByteArray()),
                    x -> NodeMessage.newBuilder().setOk(Ok.getDefaultInstance()));
        }
    }

    private void nsList(int request) {
        var dht = root(request, null);
        if (dht != null) {
            answer(request, dht.namespaces().states(), list -> {
                var b = net.barn.wire.local.NsStates.newBuilder();
                list.stream().filter(st -> grant.allowsNamespace(st.namespace())).forEach(st -> b.addNamespaces(state(st)));
                return NodeMessage.newBuilder().setNsStates(b);
            });
        }
    }

    private void nameError(int request, Throwable err) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof net.barn.daemon.NameService.NameException || cause instanceof IllegalArgumentException) {
            error(request, LocalError.BAD_REQUEST, net.barn.daemon.NameService.reason(cause));
        } else {
            error(request, ErrorCode.INTERNAL_ERROR.value(), "failed: " + net.barn.daemon.NameService.reason(cause));
        }
    }

    int streamCount() {
        return streams.size();
    }

    List<Binding> bindingList() {
        return new ArrayList<>(bindings.values());
    }
}
