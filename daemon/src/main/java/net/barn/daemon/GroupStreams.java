package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/**
 * The transport of group protocols (namespace overlays, mazes): one stream per peer and
 * group to a service, carrying length-prefixed messages, opened on first use with a bounded
 * queue while it opens, closed after two idle minutes. Inbound streams are read the same
 * way; the first message fixes a stream's group, and bad input resets the stream. Every
 * callback runs on {@code loop}.
 */
final class GroupStreams<M> {
    /** A group protocol's messages as bytes; every decode validates. */
    interface Codec<M> {
        byte[] encode(M message);

        /** The group a message names, read from its bytes without trusting anything else in them. */
        String groupOf(byte[] body) throws ProtocolException;

        M decode(byte[] body, String expectedGroup) throws ProtocolException;

        String group(M message);
    }

    /** Reads the group a message names from its bytes. */
    interface GroupReader {
        String groupOf(byte[] body) throws com.google.protobuf.InvalidProtocolBufferException;
    }

    /** Decodes and validates a message that must belong to a group. */
    interface Decoder<M> {
        M decode(byte[] body, String expectedGroup) throws ProtocolException;
    }

    /** A codec from a protocol's own functions; {@code what} names its message in errors. */
    static <M> Codec<M> codec(java.util.function.Function<M, byte[]> encode, GroupReader groupOf, Decoder<M> decode,
            java.util.function.Function<M, String> group, String what) {
        return new Codec<>() {
            @Override
            public byte[] encode(M message) {
                return encode.apply(message);
            }

            @Override
            public String groupOf(byte[] body) throws ProtocolException {
                try {
                    return groupOf.groupOf(body);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "not a " + what);
                }
            }

            @Override
            public M decode(byte[] body, String expected) throws ProtocolException {
                return decode.decode(body, expected);
            }

            @Override
            public String group(M message) {
                return group.apply(message);
            }
        };
    }

    /** A message that arrived from an authenticated peer. */
    interface Receiver<M> {
        void receive(String group, NodeId peer, M message);
    }

    /** Bytes queued to one peer beyond which messages are dropped (the protocols repair losses). */
    static final int MAX_QUEUED = 256 * 1024;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final BarnNode node;
    private final EventLoop loop;
    private final String service;
    private final int maxMessage;
    private final Codec<M> codec;
    private final Receiver<M> receiver;
    private final BiConsumer<String, NodeId> linkDown;
    private final java.util.function.BiFunction<String, NodeId, CompletableFuture<PeerLink>> elsewhere;
    private final Map<String, Out> outbound = new HashMap<>();

    /**
     * As below, reaching a peer that cannot be dialled at its address another way ({@code
     * elsewhere}, given the group and the peer: through a relay, for a node behind NAT).
     */
    GroupStreams(BarnNode node, EventLoop loop, String service, int maxMessage, Codec<M> codec, Receiver<M> receiver,
            BiConsumer<String, NodeId> linkDown, java.util.function.BiFunction<String, NodeId, CompletableFuture<PeerLink>> elsewhere) {
        this.node = node;
        this.loop = loop;
        this.service = service;
        this.maxMessage = maxMessage;
        this.codec = codec;
        this.receiver = receiver;
        this.linkDown = linkDown;
        this.elsewhere = elsewhere;
        node.bind(service, stream -> stream.setHandler(new In(stream.peer())));
        loop.scheduleAtFixedRate(this::closeIdle, 60, 60, TimeUnit.SECONDS);
    }

    GroupStreams(BarnNode node, EventLoop loop, String service, int maxMessage, Codec<M> codec, Receiver<M> receiver,
            BiConsumer<String, NodeId> linkDown) {
        this(node, loop, service, maxMessage, codec, receiver, linkDown, null);
    }

    private static String key(String group, NodeId peer) {
        return group + "\n" + peer;
    }

    /** Sends on this loop; {@code address} is where to dial if there is no link yet (may be null). */
    void send(String group, NodeId to, M message, PeerAddress address) {
        byte[] body = codec.encode(message);
        ByteBuffer frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip();
        String k = key(group, to);
        Out out = outbound.get(k);
        if (out != null) {
            out.lastUsed = System.nanoTime();
            if (out.stream != null) {
                BarnStream s = out.stream;
                s.eventLoop().execute(() -> {
                    out.offer(frame);
                    out.flush();
                });
            } else {
                out.offer(frame); // still opening: queued on this loop until the stream exists
            }
            return;
        }
        Out fresh = new Out(group, to);
        fresh.offer(frame);
        outbound.put(k, fresh);
        CompletableFuture<PeerLink> direct = node.link(to).map(CompletableFuture::completedFuture)
                .orElseGet(() -> address == null
                        ? CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST, "no address known"))
                        : node.dial(new Invite(to, List.of(address))));
        CompletableFuture<PeerLink> link = elsewhere == null ? direct
                : direct.handle((l, e) -> e == null ? CompletableFuture.completedFuture(l) : elsewhere.apply(group, to)).thenCompose(f -> f);
        link.thenCompose(l -> l.openStream(service, fresh)).whenComplete((stream, err) -> loop.execute(() -> {
            if (err != null) {
                fresh.gone(err.getMessage());
                return;
            }
            // Hand what queued while opening to the stream's loop, then write there from now on:
            // every later send sees the stream set (on this loop) and goes to that loop after this.
            List<ByteBuffer> pending = new ArrayList<>(fresh.queue);
            fresh.queue.clear();
            fresh.queued = 0;
            fresh.stream = stream;
            stream.eventLoop().execute(() -> {
                pending.forEach(fresh::offer);
                fresh.flush();
            });
        }));
    }

    private void closeIdle() {
        long idle = System.nanoTime() - IDLE_NANOS;
        for (var it = outbound.values().iterator(); it.hasNext(); ) {
            Out out = it.next();
            if (out.lastUsed < idle && out.stream != null) {
                it.remove();
                out.failed = true; // closing on purpose: not a failed link
                BarnStream s = out.stream;
                s.eventLoop().execute(s::finish);
            }
        }
    }

    /** One outbound stream. */
    private final class Out implements StreamHandler {
        final String group;
        final NodeId peer;
        final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
        int queued;
        BarnStream stream;
        volatile boolean failed;
        long lastUsed = System.nanoTime();

        Out(String group, NodeId peer) {
            this.group = group;
            this.peer = peer;
        }

        /** On the service loop until the stream exists, on the stream's loop after. */
        void offer(ByteBuffer frame) {
            if (queued + frame.remaining() > MAX_QUEUED) {
                return; // a slow peer loses messages, not our memory
            }
            queued += frame.remaining();
            queue.add(frame);
        }

        void flush() {
            while (stream != null && !queue.isEmpty()) {
                ByteBuffer b = queue.peek();
                int n = stream.write(b);
                if (n < 0) {
                    gone("stream closed");
                    return;
                }
                queued -= n;
                if (b.hasRemaining()) {
                    return; // onWritable continues
                }
                queue.poll();
            }
        }

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            s.consumed(data.remaining()); // the far side writes on its own stream; nothing should come here
        }

        @Override
        public void onWritable(BarnStream s) {
            flush();
        }

        @Override
        public void onReset(BarnStream s, ErrorCode code, String reason) {
            gone(reason);
        }

        @Override
        public void onFinished(BarnStream s) {
            s.finish();
        }

        @Override
        public void onClosed(BarnStream s) {
            gone("closed");
        }

        void gone(String why) {
            if (failed) {
                return;
            }
            failed = true;
            loop.execute(() -> {
                if (outbound.get(key(group, peer)) == this) {
                    outbound.remove(key(group, peer));
                }
                linkDown.accept(group, peer);
            });
        }
    }

    /** Reads length-prefixed messages; the first fixes the stream's group. */
    private final class In implements StreamHandler {
        private final NodeId peer;
        private ByteBuffer buf = ByteBuffer.allocate(512);
        private String group;

        In(NodeId peer) {
            this.peer = peer;
        }

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            int n = data.remaining();
            s.consumed(n);
            if (buf.remaining() < n) {
                int need = buf.position() + n;
                if (need > 2 * (4 + maxMessage)) {
                    s.reset(ErrorCode.FRAME_TOO_LARGE, "message over " + maxMessage + " bytes");
                    return;
                }
                buf = ByteBuffer.allocate(Math.max(buf.capacity() * 2, need)).put(buf.flip());
            }
            buf.put(data);
            buf.flip();
            while (buf.remaining() >= 4) {
                int length = buf.getInt(buf.position());
                if (length < 0 || length > maxMessage) {
                    s.reset(ErrorCode.FRAME_TOO_LARGE, "message over " + maxMessage + " bytes");
                    return;
                }
                if (buf.remaining() < 4 + length) {
                    break;
                }
                buf.getInt();
                byte[] body = new byte[length];
                buf.get(body);
                M m;
                try {
                    m = codec.decode(body, group != null ? group : codec.groupOf(body));
                } catch (ProtocolException e) {
                    s.reset(e.code(), e.getMessage());
                    return;
                }
                group = codec.group(m);
                loop.execute(() -> receiver.receive(codec.group(m), peer, m));
            }
            buf.compact();
        }

        @Override
        public void onFinished(BarnStream s) {
            s.finish();
        }
    }
}
