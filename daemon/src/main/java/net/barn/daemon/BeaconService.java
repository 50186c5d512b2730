package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.nat.DialBackGuard;
import net.barn.core.trust.beacon.Beacon;
import net.barn.core.trust.beacon.BeaconCodec;
import net.barn.core.trust.beacon.BeaconEvent;
import net.barn.core.trust.beacon.BeaconKey;
import net.barn.core.trust.beacon.BeaconMessage;
import net.barn.core.trust.beacon.BeaconRound;
import net.barn.core.trust.beacon.BlsSecretKey;
import net.barn.core.trust.beacon.BlsSignature;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.Dkg;
import net.barn.core.trust.beacon.DkgConfig;
import net.barn.core.trust.beacon.DkgEvent;
import net.barn.core.trust.beacon.DkgMessage;
import net.barn.core.trust.beacon.DkgResult;
import net.barn.core.trust.beacon.Sortition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The random beacon on a node (docs/PROTOCOL.md section 17). Every node publishes its BLS key,
 * bound to its identity, in its owned record {@value #KEY_RECORD}. Epoch 0's committee is the
 * nodes nearest {@link Sortition#committeeTarget} of the genesis seed that publish a valid key
 * (at most 2 per IP group), found with a lookup of that point; its members run the
 * joint-Feldman DKG ({@link Dkg}) over their links, the first to start setting off the others,
 * then sign a round every {@code roundMillis} of wall-clock time
 * (round = unix millis / roundMillis), exchanging partials until t of them give the group
 * signature. Any node asks members for the newest round ({@link #latest}) and checks it against
 * the group key most of them report.
 *
 * <p>Not yet here: later epochs (committees drawn from the previous output, resharing to
 * them), eligibility by uptime, and a sealed deal (a deal travels on the end-to-end link to
 * its receiver, which already encrypts it).
 */
public final class BeaconService implements AutoCloseable {
    public static final String SERVICE = "barn/beacon";
    /** The owned record a node's beacon key is published in. */
    public static final String KEY_RECORD = "barn/beacon-key";
    private static final Logger log = LoggerFactory.getLogger(BeaconService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** DKG messages for a session this node has not started yet, kept at most. */
    private static final int EARLY_MAX = 4096;
    /** Framing per message on a link (length prefix, mux frame, AEAD tag): counted in the bytes sent. */
    static final int FRAMING = 4 + 12 + 16;

    /**
     * @param committee members wanted, at most (fewer if fewer nodes publish keys; an even
     *     number drawn drops its farthest member: {@link Sortition#oddCommittee})
     * @param startDelayMillis how long after start a node looks for the genesis committee
     * @param phaseMillis each DKG phase
     * @param roundMillis wall-clock time per round
     */
    public record Config(int committee, long startDelayMillis, long phaseMillis, long roundMillis) {
        public static final Config DEFAULT = new Config(17, 60_000, 10_000, 30_000);

        public Config {
            if (committee < 1 || committee > BeaconCodec.MAX_MEMBERS || startDelayMillis < 0 || phaseMillis < 100 || roundMillis < 100) {
                throw new IllegalArgumentException("need 1 <= committee <= " + BeaconCodec.MAX_MEMBERS
                        + ", phases and rounds of at least 100 ms");
            }
        }
    }

    /** What this node's beacon is doing, for status and benchmarks. */
    public record Status(String state, int members, int threshold, int index, long dkgMillis, long outputs, long round,
            byte[] randomness, long dkgBytesSent, long roundBytesSent) {}

    private final BarnNode node;
    private final DhtService dht;
    private final EventLoop loop;
    private final Config config;
    private final SecureRandom entropy = new SecureRandom();
    private final BlsSecretKey key;
    private final BeaconKey bound;
    private final long startedAt = System.currentTimeMillis();
    private long nextKeyPublish;
    private boolean forming;
    private volatile String state = "waiting to look for the genesis committee";
    /** The committee, in index order (index = position + 1), once formed. */
    private List<NodeId> committee;
    private final Map<NodeId, Contact> contacts = new HashMap<>();
    private int index;
    private long session;
    private long dkgStartWall;
    /** When this node looks the committee up again (wall clock): it may have changed, or the DKG failed. */
    private long recheckAt;
    private long dkgStartedAt;
    private long dkgDoneAt;
    /** DKG runs again for want of output, at most {@link #MAX_RERUNS} times (then the next epoch's committee takes over). */
    private int reruns;
    private static final int MAX_RERUNS = 3;
    private long outputsAtDkg;
    private Dkg dkg;
    private DkgResult result;
    private long dkgMillis;
    private Beacon beacon;
    private long lastRoundStarted;
    private final ArrayDeque<DkgMessage> early = new ArrayDeque<>();
    private volatile long outputs;
    private volatile long latestRound;
    private volatile BlsSignature latestSignature;
    private volatile byte[] latestRandomness;
    private final AtomicLong dkgBytes = new AtomicLong();
    private final AtomicLong roundBytes = new AtomicLong();
    private java.util.function.Consumer<BeaconEvent.Output> onOutput = o -> { };
    private volatile boolean closed;

    BeaconService(BarnNode node, DhtService dht, BlsSecretKey key, Config config) {
        this.node = node;
        this.dht = dht;
        this.loop = node.eventLoopGroup().next();
        this.config = config;
        this.key = key;
        this.bound = BeaconKey.create(node.identity(), key);
        node.bind(SERVICE, this::accept);
        loop.scheduleAtFixedRate(this::tick, 200, Math.min(1000, config.roundMillis() / 4), TimeUnit.MILLISECONDS);
    }

    /** Called on the node's loop with every round output this node computes. */
    public void onOutput(java.util.function.Consumer<BeaconEvent.Output> listener) {
        loop.execute(() -> onOutput = listener);
    }

    public Status status() {
        try {
            return loop.submit(() -> new Status(state, committee == null ? 0 : committee.size(),
                    result == null ? 0 : result.group().threshold(), index, dkgMillis, outputs, latestRound,
                    latestRandomness, dkgBytes.get(), roundBytes.get())).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return new Status("unavailable: " + e, 0, 0, 0, 0, 0, 0, null, 0, 0);
        }
    }

    /**
     * A line for status: this node's part in the committee and the newest output it computed,
     * or (outside the committee) the newest it verified by asking members, at most every round.
     */
    public String describe() {
        Status s = status();
        if (s.members() == 0) {
            return s.state();
        }
        if (s.index() > 0) {
            return s.state() + (s.round() > 0 ? "; round " + s.round() + " output " + hex(s.randomness()) + " (" + s.outputs()
                    + " rounds signed)" : "");
        }
        long now = System.currentTimeMillis();
        Verified v = verified;
        if (now - verifiedAt >= config.roundMillis()) {
            verifiedAt = now;
            try {
                v = latest(3).get(10, TimeUnit.SECONDS);
                verified = v;
            } catch (Exception e) {
                return s.state() + "; no verified output yet (" + e.getMessage() + ")";
            }
        }
        return v == null ? s.state() : s.state() + "; round " + v.round() + " output " + hex(v.randomness()) + ", verified under group key "
                + v.groupKeyHex().substring(0, 16) + "… (" + v.agreeing() + " of " + v.asked() + " members asked agree on it)";
    }

    private static String hex(byte[] b) {
        return b == null ? "-" : java.util.HexFormat.of().formatHex(b);
    }

    private volatile Verified verified;
    private volatile long verifiedAt;

    /** The encoded key record value: node key (32) || BLS key (48) || proof of possession (96) || identity signature (64). */
    static byte[] encodeKey(BeaconKey k) {
        return ByteBuffer.allocate(32 + 48 + 96 + 64).put(k.nodeKey()).put(k.blsKey().toBytes()).put(k.possession().toBytes())
                .put(k.identitySignature()).array();
    }

    static Checked<BeaconKey> decodeKey(byte[] v) {
        if (v.length != 240) {
            return Checked.invalid("a beacon key record of " + v.length + " bytes, not 240");
        }
        return BeaconKey.verify(java.util.Arrays.copyOfRange(v, 0, 32), java.util.Arrays.copyOfRange(v, 32, 80),
                java.util.Arrays.copyOfRange(v, 80, 176), java.util.Arrays.copyOfRange(v, 176, 240));
    }

    // ---------------------------------------------------------------- on the loop

    private void tick() {
        if (closed) {
            return;
        }
        try {
            step();
        } catch (RuntimeException e) {
            log.warn("beacon: step failed (it runs again next tick)", e); // a periodic task that throws is never run again
        } catch (Error e) {
            log.error("beacon: step failed; the beacon stops", e);
            throw e;
        }
    }

    private void step() {
        long wall = System.currentTimeMillis();
        if (wall >= nextKeyPublish) {
            // Early copies may reach few replicas while the root network is still forming: publish
            // again after 5 s, 30 s and 2 min, then every 30 min.
            long age = wall - startedAt;
            nextKeyPublish = wall + (age < 5_000 ? 5_000 : age < 30_000 ? 25_000 : age < 120_000 ? 90_000 : TimeUnit.MINUTES.toMillis(30));
            long now = dht.sequenceNow();
            dht.put(RecordTypes.owned(node.identity(), KEY_RECORD, encodeKey(bound), now, now + TimeUnit.HOURS.toMillis(2)), true)
                    .whenComplete((r, e) -> log.debug("published the beacon key{}", e == null ? "" : ": " + e.getMessage()));
        }
        boolean settled = dkg == null || dkg.isDone();
        if (!forming && ((committee == null && wall - startedAt >= config.startDelayMillis())
                || (committee != null && settled && wall >= recheckAt))) {
            forming = true;
            state = "looking for the genesis committee";
            formCommittee().whenComplete((ok, e) -> loop.execute(() -> {
                forming = false;
                if (e != null) {
                    state = "could not form the genesis committee: " + e.getMessage();
                    log.info("beacon: {}", state);
                }
            }));
        }
        if (dkg == null && committee != null && index > 0 && result == null && wall >= dkgStartWall) {
            startDkg();
        }
        if (beacon != null && outputsAtDkg == outputs && wall - dkgDoneAt > 6 * config.roundMillis() && reruns < MAX_RERUNS) {
            reruns++;
            // Signing for six rounds and no output: the members did not all end the DKG with one
            // group key (a dealer's messages reached some of them after the deal phase). Run it again.
            log.info("beacon: no output for six rounds since the DKG; running it again");
            result = null;
            beacon = null;
            dkg = null;
            recheckAt = wall;
            state = "no output since the DKG: running it again";
        }
        if (beacon != null) {
            long round = wall / config.roundMillis();
            if (round > lastRoundStarted) {
                lastRoundStarted = round;
                beacon.startRound(System.nanoTime(), round);
            }
            beacon.handleTimeout(System.nanoTime());
            drainBeacon();
        }
    }

    /** Looks up the genesis target, keeps the nodes with a valid published key, and draws the committee. */
    private CompletableFuture<Void> formCommittee() {
        Key target = Sortition.committeeTarget(Sortition.GENESIS_SEED, 0);
        return nearest(target).thenCompose(found -> {
            List<CompletableFuture<Sortition.Candidate>> checks = new ArrayList<>();
            Map<NodeId, Contact> seen = new HashMap<>();
            for (Contact c : found) {
                if (!c.id().equals(node.id()) && !seen.containsKey(c.id())) {
                    seen.put(c.id(), c);
                    checks.add(candidate(c));
                }
            }
            return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenAccept(v -> {
                List<Sortition.Candidate> candidates = new ArrayList<>();
                candidates.add(new Sortition.Candidate(node.id(), "self"));
                for (CompletableFuture<Sortition.Candidate> f : checks) {
                    Sortition.Candidate c = f.join();
                    if (c != null) {
                        candidates.add(c);
                    }
                }
                List<NodeId> drawn = Sortition.oddCommittee(Sortition.committee(target, candidates, config.committee(), 2));
                loop.execute(() -> adopt(drawn, seen));
            });
        });
    }

    /**
     * Nodes near {@code target}: one lookup finds the k nearest; a committee larger than k
     * takes further lookups around the farthest of those found, until it has twice the
     * committee or the lookups bring no one new.
     */
    private CompletableFuture<List<Contact>> nearest(Key target) {
        return dht.findNode(target).thenCompose(first -> widen(target, new ArrayList<>(first.closest()), 0));
    }

    private CompletableFuture<List<Contact>> widen(Key target, List<Contact> found, int rounds) {
        if (found.size() >= 2 * config.committee() || rounds >= 8 || found.isEmpty()) {
            return CompletableFuture.completedFuture(found);
        }
        Contact farthest = found.stream().max((a, b) -> target.compareDistance(Key.of(a.id()), Key.of(b.id()))).orElseThrow();
        return dht.findNode(Key.of(farthest.id())).thenCompose(more -> {
            int before = found.size();
            java.util.Set<NodeId> have = new java.util.HashSet<>();
            found.forEach(c -> have.add(c.id()));
            for (Contact c : more.closest()) {
                if (have.add(c.id())) {
                    found.add(c);
                }
            }
            return found.size() == before ? CompletableFuture.completedFuture(found) : widen(target, found, rounds + 1);
        });
    }

    /** A found node as a candidate if it publishes a valid beacon key, else null. */
    private CompletableFuture<Sortition.Candidate> candidate(Contact c) {
        return dht.get(RecordTypes.ownedKey(c.id(), KEY_RECORD.getBytes(java.nio.charset.StandardCharsets.UTF_8)), RecordTypes.OWNED)
                .handle((g, e) -> {
                    Record r = e == null ? g.record() : null;
                    if (r == null || (dht.evidence() != null && dht.evidence().isExcluded(c.id()))) {
                        return null;
                    }
                    Checked<BeaconKey> k = decodeKey(r.value());
                    if (!k.isValid() || !k.orElseThrow().nodeId().equals(c.id())) {
                        log.debug("beacon: {} publishes no valid key: {}", c.id().shortForm(), k.reason());
                        return null;
                    }
                    InetSocketAddress a = new InetSocketAddress(c.address().host(), c.address().port());
                    String group = a.getAddress() == null || a.getAddress().isLoopbackAddress() ? c.id().toString()
                            : DialBackGuard.group(a.getAddress().getAddress());
                    return new Sortition.Candidate(c.id(), group);
                });
    }

    private void adopt(List<NodeId> drawn, Map<NodeId, Contact> seen) {
        long recheck = Math.max(30_000, 6 * config.phaseMillis());
        if (drawn.equals(committee) && result != null) {
            recheckAt = System.currentTimeMillis() + recheck; // the committee stands
            return;
        }
        if (committee != null) {
            // Nodes that joined later, or a DKG that failed: the committee as drawn now runs a new
            // DKG. Until a network stops growing near the target, the genesis committee may change
            // a few times; every member that sees the same nodes draws the same committee.
            log.info("beacon: the committee {}; drawing it again", result == null ? "did not finish its DKG" : "changed");
            dkg = null;
            result = null;
            beacon = null;
            early.clear();
        }
        committee = drawn;
        contacts.putAll(seen);
        index = drawn.indexOf(node.id()) + 1;
        session = Sortition.session(0, drawn);
        // Members form the committee at slightly different moments: each starts the DKG at the next
        // boundary of two phases or as soon as another member's first DKG message arrives,
        // whichever is first, so the phases of all run within a network delay of each other.
        long align = 2 * config.phaseMillis();
        dkgStartWall = (System.currentTimeMillis() / align + 2) * align;
        recheckAt = dkgStartWall + 3 * config.phaseMillis() + recheck;
        state = index > 0 ? "member " + index + " of a committee of " + drawn.size() + ", DKG at " + dkgStartWall
                : "not in the genesis committee of " + drawn.size();
        log.info("beacon: {}", state);
    }

    private void startDkg() {
        dkgStartedAt = System.currentTimeMillis();
        int n = committee.size();
        dkg = new Dkg(DkgConfig.fresh(session, n, Sortition.threshold(n), index, TimeUnit.MILLISECONDS.toNanos(config.phaseMillis())),
                entropy);
        dkg.start(System.nanoTime());
        state = "running the DKG as member " + index + " of " + n;
        while (!early.isEmpty()) {
            DkgMessage m = early.poll();
            if (m.session() == session) {
                dkg.handleMessage(System.nanoTime(), m);
            }
        }
        drainDkg();
    }

    private void drainDkg() {
        for (DkgMessage m = dkg.pollTransmit(); m != null; m = dkg.pollTransmit()) {
            byte[] wire = BeaconCodec.encode(m);
            if (m instanceof DkgMessage.Deal d) {
                send(committee.get(d.to() - 1), wire, dkgBytes);
            } else {
                broadcast(wire, dkgBytes);
            }
        }
        for (DkgEvent e = dkg.pollEvent(); e != null; e = dkg.pollEvent()) {
            switch (e) {
                case DkgEvent.Completed c -> {
                    result = c.result();
                    dkgDoneAt = System.currentTimeMillis();
                    outputsAtDkg = outputs;
                    dkgMillis = dkgDoneAt - dkgStartedAt;
                    beacon = new Beacon(0, result.group(), result.share(), TimeUnit.MILLISECONDS.toNanos(4 * config.roundMillis()));
                    lastRoundStarted = System.currentTimeMillis() / config.roundMillis();
                    state = "member " + index + " of " + committee.size() + ", threshold " + result.group().threshold()
                            + ", signing rounds";
                    log.info("beacon: DKG done in {} ms; group key {}; qualified {}", dkgMillis,
                            result.group().publicKey().toHex().substring(0, 16), result.qualified());
                }
                case DkgEvent.Failed f -> {
                    state = "DKG failed: " + f.reason();
                    log.warn("beacon: {}", state);
                }
                case DkgEvent.Disqualified q -> log.info("beacon: dealer {} disqualified: {}", q.dealer(), q.reason());
                case DkgEvent.Rejected r -> log.info("beacon: refused a DKG message of {}: {}", r.from(), r.reason());
                case DkgEvent.Complained c -> log.info("beacon: complained of dealer {}: {}", c.dealer(), c.reason());
            }
        }
        long t = dkg.pollTimeout();
        if (t != Long.MAX_VALUE && !dkg.isDone()) {
            loop.schedule(() -> {
                if (dkg != null && !dkg.isDone()) {
                    dkg.handleTimeout(System.nanoTime());
                    drainDkg();
                }
            }, Math.max(0, t - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private void drainBeacon() {
        for (BeaconMessage m = beacon.pollTransmit(); m != null; m = beacon.pollTransmit()) {
            broadcast(BeaconCodec.encode(m), roundBytes);
        }
        for (BeaconEvent e = beacon.pollEvent(); e != null; e = beacon.pollEvent()) {
            switch (e) {
                case BeaconEvent.Output o -> {
                    outputs++;
                    if (o.round() > latestRound) {
                        latestRound = o.round();
                        latestSignature = o.signature();
                        latestRandomness = o.randomness();
                    }
                    onOutput.accept(o);
                }
                case BeaconEvent.Missed m -> log.info("beacon: round {} missed ({} valid partials)", m.round(), m.validPartials());
                case BeaconEvent.PartialRejected r -> log.info("beacon: refused member {}'s partial of round {}: {}", r.from(),
                        r.round(), r.reason());
            }
        }
    }

    private void broadcast(byte[] wire, AtomicLong counter) {
        for (NodeId m : committee) {
            if (!m.equals(node.id())) {
                send(m, wire, counter);
            }
        }
    }

    /** Sends one message on a stream of its own, off the loop; a member out of reach is the DKG's and the round's to handle. */
    private void send(NodeId to, byte[] wire, AtomicLong counter) {
        counter.addAndGet(wire.length + FRAMING);
        Contact c = contacts.get(to);
        CompletableFuture<PeerLink> link = node.link(to).map(CompletableFuture::completedFuture).orElseGet(() -> c != null
                ? node.dial(new Invite(to, List.of(c.address()))).exceptionallyCompose(e -> dht.linkTo(to))
                : dht.linkTo(to));
        link.thenAccept(l -> Thread.ofVirtual().name("barn-beacon-send").start(() -> {
            try (BlockingStream s = l.openBlocking(SERVICE)) {
                StreamRequests.write(s, wire);
            } catch (IOException | RuntimeException e) {
                log.debug("beacon: message to {} lost: {}", to.shortForm(), e.getMessage());
            }
        })).exceptionally(e -> {
            log.debug("beacon: no link to {}: {}", to.shortForm(), e.getMessage());
            return null;
        });
    }

    // ---------------------------------------------------------------- from the network

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-beacon-read").start(() -> read(s, link));
    }

    private void read(BlockingStream s, PeerLink link) {
        try (s) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            Checked<BeaconCodec.Message> m = BeaconCodec.decode(StreamRequests.read(s, BeaconCodec.MAX_MESSAGE));
            if (!m.isValid()) {
                log.info("beacon: refused a message of {}: {}", link.peerId().shortForm(), m.reason());
                return;
            }
            switch (m.orElseThrow()) {
                case BeaconCodec.LatestQuery q -> {
                    byte[] answer = loop.submit(this::latestAnswer).get(5, TimeUnit.SECONDS);
                    if (answer != null) {
                        StreamRequests.write(s, answer);
                    }
                }
                case BeaconCodec.Dkg d -> loop.execute(() -> onDkg(link.peerId(), d.message()));
                case BeaconCodec.Round r -> loop.execute(() -> onRound(link.peerId(), r.message()));
                case BeaconCodec.Latest l -> { } // answers come back on the asker's own stream
            }
        } catch (Exception e) {
            log.debug("beacon: message of {} not read: {}", link.peerId().shortForm(), e.getMessage());
        }
    }

    /** This member's newest round, encoded; null before its DKG is done (the stream is closed unanswered). */
    private byte[] latestAnswer() {
        if (result == null) {
            return null;
        }
        return BeaconCodec.encode(new BeaconCodec.Latest(0, latestRound, latestSignature, result.group().publicKey(), committee.size(),
                result.group().threshold()));
    }

    /** The committee index of a peer, or 0. */
    private int indexOf(NodeId peer) {
        return committee == null ? 0 : committee.indexOf(peer) + 1;
    }

    private void onDkg(NodeId from, DkgMessage m) {
        int sender = indexOf(from);
        int claimed = switch (m) {
            case DkgMessage.Commitments c -> c.dealer();
            case DkgMessage.Deal d -> d.dealer();
            case DkgMessage.Complaint c -> c.accuser();
            case DkgMessage.Justification j -> j.dealer();
        };
        if (sender == 0 || sender != claimed) {
            log.info("beacon: refused a DKG message from {}: it speaks for member {} but is member {}", from.shortForm(), claimed, sender);
            return;
        }
        if (dkg == null) {
            if (result == null && (committee == null || m.session() == session) && early.size() < EARLY_MAX) {
                early.add(m); // it started a moment before this node did
            }
            if (committee != null && index > 0 && result == null && m.session() == session) {
                startDkg(); // the first member to start sets everyone's phases going
            }
            return;
        }
        dkg.handleMessage(System.nanoTime(), m);
        drainDkg();
    }

    private void onRound(NodeId from, BeaconMessage m) {
        int sender = indexOf(from);
        if (beacon == null || !(m instanceof BeaconMessage.Partial p) || p.index() != sender) {
            return;
        }
        beacon.handleMessage(System.nanoTime(), m);
        drainBeacon();
    }

    // ---------------------------------------------------------------- as a reader

    /** A verified beacon output, as any node reads it. */
    public record Verified(long epoch, long round, byte[] randomness, String groupKeyHex, int agreeing, int asked) {}

    /**
     * Asks up to {@code ask} members of the committee (this node's own view of it) for their
     * newest round, takes the group key most answers report, and returns the newest round whose
     * signature verifies under it.
     */
    public CompletableFuture<Verified> latest(int ask) {
        return CompletableFuture.supplyAsync(() -> {
            List<NodeId> members;
            try {
                members = loop.submit(() -> committee == null ? List.<NodeId>of() : List.copyOf(committee)).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("beacon state unavailable", e);
            }
            if (members.isEmpty()) {
                throw new IllegalStateException("this node knows no beacon committee yet");
            }
            List<BeaconCodec.Latest> answers = new ArrayList<>();
            int asked = 0;
            for (NodeId m : members) {
                if (asked >= ask) {
                    break;
                }
                asked++;
                try {
                    PeerLink l = m.equals(node.id()) ? null : node.link(m).orElseGet(() -> dht.linkTo(m).join());
                    byte[] bytes = l == null ? loop.submit(this::latestAnswer).get(5, TimeUnit.SECONDS)
                            : StreamRequests.ask(l, SERVICE, BeaconCodec.encodeQuery(), BeaconCodec.MAX_MESSAGE, TIMEOUT_MILLIS);
                    if (bytes != null && BeaconCodec.decode(bytes) instanceof Checked.Valid<BeaconCodec.Message> v
                            && v.value() instanceof BeaconCodec.Latest l2) {
                        answers.add(l2);
                    }
                } catch (Exception e) {
                    log.debug("beacon: member {} gave no answer: {}", m.shortForm(), e.getMessage());
                }
            }
            Map<String, Integer> votes = new HashMap<>();
            answers.forEach(a -> votes.merge(a.groupKey().toHex(), 1, Integer::sum));
            String groupHex = votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                    .orElseThrow(() -> new IllegalStateException("no member answered"));
            BeaconCodec.Latest best = null;
            for (BeaconCodec.Latest a : answers) {
                if (a.groupKey().toHex().equals(groupHex) && a.signature() != null && (best == null || a.round() > best.round())
                        && BeaconRound.verify(a.groupKey(), a.epoch(), a.round(), a.signature().toBytes()).isValid()) {
                    best = a;
                }
            }
            if (best == null) {
                throw new IllegalStateException("no member has a verified round yet");
            }
            return new Verified(best.epoch(), best.round(), BeaconRound.output(best.signature()), groupHex, votes.get(groupHex), asked);
        }, r -> Thread.ofVirtual().name("barn-beacon-latest").start(r));
    }

    @Override
    public void close() {
        closed = true;
    }
}
