package net.barn.daemon;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Countersigner;
import net.barn.core.identity.Identity;
import net.barn.core.namespace.NameRules;
import net.barn.core.namespace.NameValidator;
import net.barn.core.dht.Dht;
import net.barn.core.dht.DhtCodec;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.daemon.store.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the root network's core ({@link Dht}) in the daemon: every request travels on its own
 * stream to the service {@value #SERVICE} over an authenticated link, dialed on demand;
 * records and known peers go to the {@link StateStore}. The core lives on one event loop;
 * disk writes happen on a thread of their own. The core feeds the node's
 * {@linkplain BarnNode#reputation reputation} with every answer and timeout, and orders its
 * lookups and quorum reads by it.
 */
public final class DhtService implements AutoCloseable {
    public static final String SERVICE = "barn/dht";
    /** How long a commit's stream stays open for a late answer: the asker's wait for one (three request timeouts). */
    private final long commitWaitMillis;
    private static final Logger log = LoggerFactory.getLogger(DhtService.class);
    private static final int MAX_FRAME = DhtCodec.MAX_MESSAGE;

    private final BarnNode node;
    private final StateStore store;
    private final EventLoop loop;
    private final Dht dht;
    private final NameValidator names;
    private final NameService nameService;
    private NamespaceService namespaces;
    private MazeService mazes;
    private final long epochOffsetNanos;
    private final ExecutorService disk = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "barn-store");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, CompletableFuture<DhtEvent.QueryResult>> queries = new HashMap<>();
    private final Map<String, BarnStream> awaitingReply = new HashMap<>();
    private final java.util.Set<Key> ownKeys = new java.util.HashSet<>();
    private ScheduledFuture<?> timer;
    private long timerAt = Long.MAX_VALUE;
    private volatile boolean closed;

    private DhtService(BarnNode node, StateStore store, DhtConfig config, NameRules nameRules) {
        this.commitWaitMillis = 3 * config.rpcTimeoutNanos() / 1_000_000;
        this.node = node;
        this.store = store;
        this.loop = node.eventLoopGroup().next();
        this.epochOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        var addresses = node.invite().addresses();
        Contact self = new Contact(node.id(), addresses.isEmpty() ? null : addresses.get(0));
        this.names = new NameValidator(nameRules, SignatureVerifier.ED25519);
        Identity me = node.identity();
        Countersigner countersigner = new Countersigner() {
            @Override
            public byte[] publicKey() {
                return me.publicKey();
            }

            @Override
            public long powNonce() {
                return me.powNonce();
            }

            @Override
            public byte[] sign(byte[] message) {
                return me.sign(message);
            }
        };
        this.nameService = new NameService(this, me, store);
        this.dht = new Dht(config, names, countersigner, self,
                RandomGeneratorFactory.of("L64X128MixRandom").create(new SecureRandom().nextLong()),
                SignatureVerifier.ED25519, System.nanoTime(), epochOffsetNanos);
    }

    /**
     * Starts the root network: loads what the store holds, serves {@value #SERVICE}, and
     * bootstraps from {@code seeds} plus the peers remembered from earlier runs.
     */
    private volatile BeaconService beacon;
    private volatile EvidenceService evidence;

    /** Evidence of misbehaviour this node holds and acts on. */
    public EvidenceService evidence() {
        return evidence;
    }

    /** Drops (again) every node {@code excluded} names from the routing table and lookups. */
    void excludeWith(java.util.function.Predicate<net.barn.core.identity.NodeId> excluded) {
        onLoop(() -> {
            dht.excludeWith(excluded);
            drain();
            return null;
        });
    }
    /** The last sequence this node signed a record with: see {@link #sequenceNow}. */
    private final java.util.concurrent.atomic.AtomicLong lastSequence = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A sequence for a record this node signs now: its clock in milliseconds, but always above
     * every sequence it signed before (from disk too), so that two different records it signs
     * never share a key and a sequence, which others would rightly take as proof that it lied
     * (evidence of equivocation, docs/PROTOCOL.md section 18).
     */
    public long sequenceNow() {
        return lastSequence.updateAndGet(last -> Math.max(last + 1, nowMillis()));
    }

    public static DhtService start(BarnNode node, StateStore store, DhtConfig config, List<Contact> seeds) throws IOException {
        return start(node, store, config, NameRules.DEFAULT.withIdPow(node.config().link().pow()), seeds);
    }

    /** As above, with the root namespace's rules (a network parameter, like the proof of work). */
    public static DhtService start(BarnNode node, StateStore store, DhtConfig config, NameRules nameRules, List<Contact> seeds)
            throws IOException {
        DhtService s = new DhtService(node, store, config, nameRules);
        s.namespaces = new NamespaceService(node, s);
        s.mazes = new MazeService(node, s);
        s.evidence = new EvidenceService(node, s);
        s.onLoop(() -> {
            s.dht.excludeWith(s.evidence::isExcluded);
            s.dht.reputeWith(node.reputation()); // fed by answers and timeouts; orders lookups and reads
            return null;
        });
        node.relay().excludeWith(s.evidence::isExcluded);
        node.refuseLinksWith(s.evidence::isExcluded);
        List<StateStore.StoredRecord> held = store.records(System.currentTimeMillis());
        for (StateStore.StoredRecord r : held) {
            if (r.own()) {
                s.lastSequence.accumulateAndGet(r.record().sequence(), Math::max);
            }
        }
        List<Contact> known = new ArrayList<>(seeds);
        known.addAll(store.peers(50));
        node.bind(SERVICE, s::accept);
        node.relay().onReachableVia(s::publishRelays);
        s.onLoop(() -> {
            long now = System.nanoTime();
            for (StateStore.StoredRecord r : held) {
                s.dht.load(now, r.record(), r.own());
                if (r.own()) {
                    s.ownKeys.add(r.record().key());
                }
            }
            s.dht.bootstrap(now, known);
            s.drain();
            return null;
        });
        log.info("root network: {} records from disk, bootstrapping from {} peers", held.size(), known.size());
        return s;
    }

    // ---------------------------------------------------------------- queries, from any thread

    /**
     * Publishes where this node, behind NAT, can be reached: the relays it holds reservations
     * on, in its owned record "barn/relays" (docs/PROTOCOL.md 16.3), for two hours.
     */
    void publishRelays(List<net.barn.core.relay.RelayCodec.Via> relays) {
        long now = sequenceNow();
        Record r = net.barn.core.dht.RecordTypes.owned(node.identity(), net.barn.core.relay.RelayCodec.HINTS_NAME,
                net.barn.core.relay.RelayCodec.encodeHints(relays), now, now + java.util.concurrent.TimeUnit.HOURS.toMillis(2));
        put(r, true).whenComplete((p, e) -> log.info("published {} relay(s) this node can be reached through{}", relays.size(),
                e == null ? "" : ": " + e.getMessage()));
    }

    /** The relays {@code target} says it can be reached through (empty if it publishes none). */
    public CompletableFuture<List<net.barn.core.relay.RelayCodec.Via>> relaysOf(NodeId target) {
        Key key = net.barn.core.dht.RecordTypes.ownedKey(target,
                net.barn.core.relay.RelayCodec.HINTS_NAME.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return get(key, net.barn.core.dht.RecordTypes.OWNED).thenApply(g -> {
            if (g.record() == null) {
                return List.<net.barn.core.relay.RelayCodec.Via>of();
            }
            try {
                return net.barn.core.relay.RelayCodec.decodeHints(g.record().value());
            } catch (net.barn.core.ProtocolException e) {
                return List.<net.barn.core.relay.RelayCodec.Via>of();
            }
        });
    }

    /**
     * A link to {@code target}: the one open, or one through a relay it publishes (dialling the
     * relay first if needed), trying its relays in turn.
     */
    public CompletableFuture<PeerLink> linkTo(NodeId target) {
        var open = node.link(target);
        if (open.isPresent()) {
            return CompletableFuture.completedFuture(open.get());
        }
        return relaysOf(target).thenCompose(relays -> viaNext(target, byScore(relays), 0, null));
    }

    /** {@code relays}, the best-scored in this node's reputation first (a relay that failed our circuits last). */
    private List<net.barn.core.relay.RelayCodec.Via> byScore(List<net.barn.core.relay.RelayCodec.Via> relays) {
        List<net.barn.core.relay.RelayCodec.Via> out = new ArrayList<>(relays);
        var reputation = node.reputation();
        Map<NodeId, Double> scores = new HashMap<>();
        for (var v : out) {
            scores.put(v.relay(), reputation.score(v.relay()));
        }
        out.sort(java.util.Comparator.comparingDouble((net.barn.core.relay.RelayCodec.Via v) -> -scores.get(v.relay())));
        return out;
    }

    private CompletableFuture<PeerLink> viaNext(NodeId target, List<net.barn.core.relay.RelayCodec.Via> relays, int i, Throwable last) {
        if (i >= relays.size()) {
            return CompletableFuture.failedFuture(last != null ? last : new LinkException(net.barn.core.ErrorCode.CONNECTION_LOST,
                    "no link to " + target.shortForm() + " and it publishes no relay"));
        }
        var via = relays.get(i);
        CompletableFuture<PeerLink> toRelay;
        try {
            toRelay = node.dial(new net.barn.core.identity.Invite(via.relay(),
                    List.of(net.barn.core.identity.PeerAddress.parse(via.address()))));
        } catch (IllegalArgumentException e) {
            return viaNext(target, relays, i + 1, e);
        }
        return toRelay.thenCompose(l -> node.relay().dialVia(via.relay(), target))
                .handle((link, e) -> e == null ? CompletableFuture.completedFuture(link) : viaNext(target, relays, i + 1, e))
                .thenCompose(f -> f);
    }

    /** The newest record of a type under a key, from a quorum of replicas. */
    public CompletableFuture<DhtEvent.GetResult> get(Key key, int type) {
        return query(now -> dht.get(now, key, type)).thenApply(DhtEvent.GetResult.class::cast);
    }

    /** Publishes a record (signed by its publisher) to the k closest nodes. */
    public CompletableFuture<DhtEvent.PutResult> put(Record record, boolean own) {
        return query(now -> {
            if (own) {
                ownKeys.add(record.key());
            }
            return dht.put(now, record);
        }).thenApply(DhtEvent.PutResult.class::cast);
    }

    /** Has the k closest nodes to {@code key} countersign a claim commitment. */
    public CompletableFuture<DhtEvent.CommitResult> commit(Key key, byte[] commitment) {
        return query(now -> dht.commit(now, key, commitment)).thenApply(DhtEvent.CommitResult.class::cast);
    }

    /** The root namespace's rules this node keeps, and its judge of name records. */
    /**
     * Starts this node's random beacon (its BLS key kept in {@code keyDir}, created on first
     * use; null: a key for this run only). Once: later calls return the running one.
     */
    public synchronized BeaconService startBeacon(java.nio.file.Path keyDir, BeaconService.Config config) throws IOException {
        if (beacon == null) {
            net.barn.core.trust.beacon.BlsSecretKey k = keyDir != null
                    ? net.barn.daemon.store.BeaconKeyStore.loadOrCreate(keyDir, new java.security.SecureRandom())
                    : net.barn.core.trust.beacon.Bls.generate(new java.security.SecureRandom());
            beacon = new BeaconService(node, this, k, config, keyDir);
            beacon.onPlacement(this::placeWith); // names move to their points once the beacon salts a placement period
            if (namespaces != null) {
                namespaces.epochSeeds(beacon.epochSeeds()); // namespace stewards rotate with the beacon's epochs
            }
        }
        return beacon;
    }

    /** Places the root namespace's records for a placement period (PROTOCOL 11.8); null: at their keys. */
    public CompletableFuture<Void> placeWith(net.barn.core.dht.Placement placement) {
        return onLoop(() -> {
            dht.placeWith(System.nanoTime(), placement);
            drain();
            return null;
        });
    }

    /** The placement in force in the root network, or null. */
    public CompletableFuture<net.barn.core.dht.Placement> placement() {
        return onLoop(dht::placement);
    }

    /** The beacon, if started. */
    public BeaconService beacon() {
        return beacon;
    }

    public NameValidator names() {
        return names;
    }

    /** The mazes (full-mesh groups in a namespace) this node is in. */
    public MazeService mazes() {
        return mazes;
    }

    /** The namespace networks this node is in. */
    public NamespaceService namespaces() {
        return namespaces;
    }

    /** Claims, reads and updates of names, as this node. */
    public NameService nameService() {
        return nameService;
    }

    public CompletableFuture<DhtEvent.FindNodeResult> findNode(Key target) {
        return query(now -> dht.findNode(now, target)).thenApply(DhtEvent.FindNodeResult.class::cast);
    }

    /** Adds bootstrap contacts later, e.g. from LAN discovery. */
    public void addSeeds(List<Contact> seeds) {
        onLoop(() -> {
            dht.bootstrap(System.nanoTime(), seeds);
            drain();
            return null;
        });
    }

    /** A record this node holds locally, if any (no network traffic). */
    public CompletableFuture<Record> local(Key key, int type) {
        return onLoop(() -> dht.localRecord(System.nanoTime(), key, type));
    }

    public record Stats(int routingTable, int records, boolean bootstrapped, long sent, long received, long refused) {}

    public CompletableFuture<Stats> stats() {
        return onLoop(() -> new Stats(dht.table().size(), dht.recordCount(), dht.isBootstrapped(), dht.messagesSent(),
                dht.messagesReceived(), dht.requestsRefused()));
    }

    /** Wall-clock milliseconds as the core sees them. */
    public long nowMillis() {
        return System.currentTimeMillis();
    }

    private CompletableFuture<DhtEvent.QueryResult> query(java.util.function.LongFunction<Long> start) {
        CompletableFuture<DhtEvent.QueryResult> result = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                result.completeExceptionally(new LinkException(ErrorCode.SHUTDOWN, "node shutting down"));
                return;
            }
            long id = start.apply(System.nanoTime());
            queries.put(id, result);
            drain();
        });
        return result;
    }

    private <T> CompletableFuture<T> onLoop(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    // ---------------------------------------------------------------- the core's outputs, on the loop

    private void drain() {
        Dht.Transmit t;
        while ((t = dht.pollTransmit()) != null) {
            transmit(t.to(), t.message());
        }
        DhtEvent e;
        while ((e = dht.pollEvent()) != null) {
            handle(e);
        }
        long at = dht.pollTimeout();
        if (at < timerAt && !closed) {
            if (timer != null) {
                timer.cancel(false);
            }
            timerAt = at;
            timer = loop.schedule(() -> {
                timer = null;
                timerAt = Long.MAX_VALUE;
                dht.handleTimeout(System.nanoTime());
                drain();
            }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private void handle(DhtEvent e) {
        switch (e) {
            case DhtEvent.QueryDone d -> {
                CompletableFuture<DhtEvent.QueryResult> f = queries.remove(d.query());
                if (f != null) {
                    f.complete(d.result());
                }
            }
            case DhtEvent.RecordStored s -> {
                boolean own = ownKeys.contains(s.record().key());
                persist(() -> store.putRecord(s.record(), own));
            }
            case DhtEvent.RecordDropped d -> persist(() -> store.dropRecord(d.key(), d.type()));
            case DhtEvent.PeerAdded a -> persist(() -> store.putPeer(a.contact(), System.currentTimeMillis()));
            case DhtEvent.PeerRemoved r -> { }
            case DhtEvent.Conflict c -> {
                if (evidence != null) {
                    evidence.conflict(c.held(), c.offered());
                }
            }
            case DhtEvent.VerifyReachability v -> node.probe(new Invite(v.contact().id(), List.of(v.contact().address())))
                    .whenComplete((ok, err) -> loop.execute(() -> {
                        dht.handleReachability(System.nanoTime(), v.contact(), err == null && ok);
                        drain();
                    }));
        }
    }

    private interface Write {
        void run() throws IOException;
    }

    private void persist(Write w) {
        if (closed) {
            return;
        }
        disk.execute(() -> {
            try {
                w.run();
            } catch (IOException ex) {
                log.warn("state store: {}", ex.getMessage());
            }
        });
    }

    private static String replyKey(NodeId peer, long messageId) {
        return peer + "/" + messageId;
    }

    private void transmit(Contact to, DhtMessage m) {
        byte[] frame = frame(DhtCodec.encode(m));
        if (m.isResponse()) {
            BarnStream s = awaitingReply.remove(replyKey(to.id(), m.id()));
            if (s != null) {
                s.eventLoop().execute(() -> {
                    s.write(ByteBuffer.wrap(frame));
                    s.finish();
                });
            }
            return;
        }
        sendRequest(to, frame, true);
    }

    /**
     * Sends a request on a stream of its own. A request whose stream fails before an answer
     * (its link closed: often a duplicate link two nodes dialled at once, closed for the other)
     * is sent once more, on whatever link to the peer there is then; requests are safe to repeat.
     * Past that, the core's request timeout counts it.
     */
    private void sendRequest(Contact to, byte[] frame, boolean mayRetry) {
        Runnable again = mayRetry ? () -> loop.schedule(() -> sendRequest(to, frame, false), RETRY_MILLIS, TimeUnit.MILLISECONDS) : null;
        CompletableFuture<PeerLink> link = node.link(to.id()).map(CompletableFuture::completedFuture)
                .orElseGet(() -> to.address() == null
                        ? CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST, "no address"))
                        : node.dial(new Invite(to.id(), List.of(to.address()))));
        link.thenCompose(l -> l.openStream(SERVICE, new Reader(to.id(), false, again)))
                .whenComplete((stream, err) -> {
                    if (err == null) {
                        stream.eventLoop().execute(() -> {
                            stream.write(ByteBuffer.wrap(frame));
                            stream.finish();
                        });
                    } else if (again != null && !closed) {
                        again.run();
                    }
                });
    }

    /** The pause before a request is sent again: time for the surviving link of a duplicate pair to be the one found. */
    private static final long RETRY_MILLIS = 50;

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    // ---------------------------------------------------------------- streams

    private void accept(BarnStream stream) {
        stream.setHandler(new Reader(stream.peer(), true, null));
    }

    /**
     * Collects one length-prefixed message from a stream: a request (inbound) or the answer
     * to our request (outbound). Anything malformed or oversized resets the stream.
     */
    private final class Reader implements StreamHandler {
        private final NodeId peer;
        private final boolean inbound;
        private ByteBuffer buf = ByteBuffer.allocate(256);
        private boolean delivered;
        /** An outbound request's one resend, if its stream fails before the answer; null once used (or inbound). */
        private Runnable again;

        Reader(NodeId peer, boolean inbound, Runnable again) {
            this.peer = peer;
            this.inbound = inbound;
            this.again = again;
        }

        @Override
        public void onReset(BarnStream s, ErrorCode code, String reason) {
            Runnable r = again;
            again = null;
            if (r != null && !delivered && !closed) {
                r.run();
            }
        }

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            int n = data.remaining();
            s.consumed(n);
            if (delivered) {
                return;
            }
            if (buf.position() + n > 4 + MAX_FRAME) {
                s.reset(ErrorCode.FRAME_TOO_LARGE, "root-network message over " + MAX_FRAME + " bytes");
                return;
            }
            if (buf.remaining() < n) {
                buf = ByteBuffer.allocate(Math.min(4 + MAX_FRAME, Math.max(buf.capacity() * 2, buf.position() + n)))
                        .put(buf.flip());
            }
            buf.put(data);
            if (buf.position() >= 4) {
                int length = buf.getInt(0);
                if (length < 0 || length > MAX_FRAME) {
                    s.reset(ErrorCode.FRAME_TOO_LARGE, "root-network message over " + MAX_FRAME + " bytes");
                    return;
                }
                if (buf.position() >= 4 + length) {
                    delivered = true;
                    byte[] body = new byte[length];
                    buf.get(4, body);
                    deliver(s, body);
                }
            }
        }

        @Override
        public void onFinished(BarnStream s) {
            if (!delivered) {
                s.reset(ErrorCode.PROTOCOL_ERROR, "stream ended before a whole root-network message");
            } else if (!inbound) {
                s.finish();
            }
        }

        private void deliver(BarnStream s, byte[] body) {
            DhtMessage m;
            try {
                m = DhtCodec.decode(body);
            } catch (ProtocolException e) {
                s.reset(e.code(), e.getMessage());
                return;
            }
            if (inbound == m.isResponse()) {
                s.reset(ErrorCode.PROTOCOL_ERROR, inbound ? "a response where a request belongs" : "a request where a response belongs");
                return;
            }
            loop.execute(() -> {
                if (inbound) {
                    String key = replyKey(peer, m.id());
                    awaitingReply.put(key, s);
                    dht.handleMessage(System.nanoTime(), peer, m);
                    drain();
                    if (m instanceof DhtMessage.Commit && awaitingReply.containsKey(key)) {
                        // A new replica of a placed name answers a commit once it has read the name's history
                        // (PROTOCOL 11.8): the stream waits as long as the asker does, then ends unanswered.
                        loop.schedule(() -> {
                            BarnStream late = awaitingReply.remove(key);
                            if (late != null) {
                                late.eventLoop().execute(late::finish);
                            }
                        }, commitWaitMillis, TimeUnit.MILLISECONDS);
                        return;
                    }
                    BarnStream unanswered = awaitingReply.remove(key);
                    if (unanswered != null) {
                        // No answer (over its rate, or nothing to say): end the stream, do not leave it open.
                        unanswered.eventLoop().execute(unanswered::finish);
                    }
                } else {
                    dht.handleMessage(System.nanoTime(), peer, m);
                    drain();
                }
            });
        }
    }

    @Override
    public void close() {
        closed = true;
        nameService.close();
        if (beacon != null) {
            beacon.close();
        }
        if (evidence != null) {
            evidence.close();
        }
        if (namespaces != null) {
            namespaces.close();
        }
        if (mazes != null) {
            mazes.close();
        }
        Runnable stop = () -> {
            if (timer != null) {
                timer.cancel(false);
            }
            queries.values().forEach(f -> f.completeExceptionally(new LinkException(ErrorCode.SHUTDOWN, "node shutting down")));
            queries.clear();
        };
        if (loop.isShuttingDown()) {
            stop.run(); // the node closed first: its loop runs nothing more, so nothing else touches these now
        } else {
            loop.execute(stop);
        }
        disk.shutdown();
        try {
            disk.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        node.unbind(SERVICE);
    }
}
