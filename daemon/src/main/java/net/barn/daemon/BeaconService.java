package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Contact;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
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
import net.barn.core.trust.beacon.Epochs;
import net.barn.core.trust.beacon.DkgConfig;
import net.barn.core.trust.beacon.DkgEvent;
import net.barn.core.trust.beacon.DkgMessage;
import net.barn.core.trust.beacon.DkgResult;
import net.barn.core.trust.beacon.GroupKey;
import net.barn.core.trust.beacon.Sortition;
import net.barn.core.trust.beacon.BeaconKeyRecord;
import net.barn.core.trust.beacon.BlsPublicKey;
import net.barn.core.trust.beacon.PartialSignature;
import net.barn.core.trust.beacon.PresenceDesk;
import net.barn.core.trust.beacon.PresenceTicket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The random beacon on a node (docs/PROTOCOL.md section 17). Every node publishes its BLS key,
 * bound to its identity, in its owned record {@value #KEY_RECORD}.
 *
 * <p>The first committee is drawn from the genesis seed ({@link CommitteeDraw}); its members run
 * the joint-Feldman DKG ({@link Dkg}) over their links, the first to start setting off the
 * others, then sign a round every {@code roundMillis} of wall-clock time
 * (round = unix millis / roundMillis, epoch = round / epochRounds), exchanging partials until t
 * of them give the group signature.
 *
 * <p>Epochs: the output of round {@link #seedRound} of each epoch draws the next epoch's
 * committee. If it differs from the serving one, the serving members send each member of the
 * next one a {@link BeaconCodec.Handover} and reshare their shares to it
 * ({@link DkgConfig#reshare}): the group key stays, the shares change hands, and from the
 * first round of the next epoch only the next committee signs. A handover that fails leaves the
 * serving committee in place; the next epoch's seed round tries again.
 *
 * <p>Any node asks members for the newest round ({@link #latest}), checks it against the group
 * key most of them report, and follows a handed-over committee to the one it was handed to.
 */
public final class BeaconService implements AutoCloseable {
    public static final String SERVICE = "barn/beacon";
    /** The owned record a node's beacon key is published in. */
    public static final String KEY_RECORD = "barn/beacon-key";
    private static final Logger log = LoggerFactory.getLogger(BeaconService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** DKG messages for a run this node has not started yet, kept at most. */
    private static final int EARLY_MAX = 4096;
    /** Distinct handovers held while waiting for the old threshold to agree. */
    private static final int HANDOVERS_MAX = 16;
    /** Framing per message on a link (length prefix, mux frame, AEAD tag): counted in the bytes sent. */
    static final int FRAMING = 4 + 12 + 16;

    /**
     * @param committee members wanted, at most (fewer if fewer nodes publish keys; an even
     *     number drawn drops its farthest member: {@link Sortition#oddCommittee})
     * @param startDelayMillis how long after start a node looks for the genesis committee
     * @param phaseMillis each DKG phase
     * @param roundMillis wall-clock time per round
     * @param epochRounds rounds per epoch; a committee serves at least one epoch
     * @param ticketWindowEpochs after genesis, a node is drawn for epoch e only if its key record
     *     carries a presence ticket of an epoch from e - ticketWindowEpochs to e - 1
     * @param placementEpochs epochs per placement period of the root namespace's records (PROTOCOL
     *     11.8): period p is salted with the seed of epoch p * placementEpochs, and its replicas
     *     show tickets of the window before that epoch; 0: names stay at their keys
     */
    public record Config(int committee, long startDelayMillis, long phaseMillis, long roundMillis, long epochRounds,
            long ticketWindowEpochs, long placementEpochs) {
        public static final Config DEFAULT = new Config(17, 60_000, 10_000, 30_000, 120, 24, 24);

        public Config {
            if (committee < 1 || committee > BeaconCodec.MAX_MEMBERS || startDelayMillis < 0 || phaseMillis < 100 || roundMillis < 100) {
                throw new IllegalArgumentException("need 1 <= committee <= " + BeaconCodec.MAX_MEMBERS
                        + ", phases and rounds of at least 100 ms");
            }
            if (ticketWindowEpochs < 1) {
                throw new IllegalArgumentException("a presence ticket window of at least one epoch");
            }
            if (placementEpochs < 0) {
                throw new IllegalArgumentException("placement periods of at least one epoch, or 0 for none");
            }
            new Epochs(roundMillis, epochRounds, phaseMillis); // refuses an epoch too short for a handover
        }

        /** Names placed per period of 24 epochs. */
        public Config(int committee, long startDelayMillis, long phaseMillis, long roundMillis, long epochRounds,
                long ticketWindowEpochs) {
            this(committee, startDelayMillis, phaseMillis, roundMillis, epochRounds, ticketWindowEpochs, 24);
        }

        /** Presence tickets of the last 24 epochs count; names placed per period of 24 epochs. */
        public Config(int committee, long startDelayMillis, long phaseMillis, long roundMillis, long epochRounds) {
            this(committee, startDelayMillis, phaseMillis, roundMillis, epochRounds, 24, 24);
        }

        /** The same with placement periods of {@code epochs} epochs (0: names stay at their keys). */
        public Config withPlacementEpochs(long epochs) {
            return new Config(committee, startDelayMillis, phaseMillis, roundMillis, epochRounds, ticketWindowEpochs, epochs);
        }

        /** One-hour epochs (at least two lead times), presence tickets of the last 24 epochs. */
        public Config(int committee, long startDelayMillis, long phaseMillis, long roundMillis) {
            this(committee, startDelayMillis, phaseMillis, roundMillis,
                    Math.max(2 * Epochs.leadRounds(phaseMillis, roundMillis), 3_600_000 / roundMillis));
        }

        /** The beacon's clock under this configuration. */
        public Epochs epochs() {
            return new Epochs(roundMillis, epochRounds, phaseMillis);
        }
    }

    /** What this node's beacon is doing, for status and benchmarks. */
    public record Status(String state, int members, int threshold, int index, long dkgMillis, long outputs, long round,
            byte[] randomness, long dkgBytesSent, long roundBytesSent, long epoch, int handovers) {}

    /** A sharing of the group key this node holds a share of: its committee, index and share, and the epochs it signs. */
    private static final class Sharing {
        final List<NodeId> committee;
        final int index;
        final DkgResult result;
        final long fromEpoch;
        long untilEpoch = Long.MAX_VALUE;

        Sharing(List<NodeId> committee, int index, DkgResult result, long fromEpoch) {
            this.committee = committee;
            this.index = index;
            this.result = result;
            this.fromEpoch = fromEpoch;
        }

        boolean signs(long epoch) {
            return epoch >= fromEpoch && epoch < untilEpoch;
        }
    }

    /**
     * A DKG this node takes part in: a fresh one (dealers = receivers) or a resharing from
     * {@code dealers} to {@code receivers} whose result serves from {@code epoch}.
     */
    private record Run(long session, long epoch, List<NodeId> dealers, List<NodeId> receivers, Dkg dkg, boolean fresh) {}

    /** A DKG message for a run not started or not set up yet, and when it arrived (nanoTime). */
    private record Early(NodeId from, DkgMessage message, long arrived) {}

    private final BarnNode node;
    private final DhtService dht;
    private final EventLoop loop;
    private final Config config;
    private final Epochs epochs;
    private final CommitteeDraw draw;
    private final SecureRandom entropy = new SecureRandom();
    private final BlsSecretKey key;
    private final BeaconKey bound;
    private final long startedAt = System.currentTimeMillis();
    private long nextKeyPublish;
    private boolean forming;
    private volatile String state = "waiting to look for the genesis committee";

    /** The committee as this node sees it: the one serving, or the one this node handed the key to. */
    private List<NodeId> committee;
    private final Map<NodeId, Contact> contacts = new HashMap<>();
    /** The group key, once known. It stays the same across handovers. */
    private GroupKey group;
    /** This node's share in the serving committee, and in the next one once a handover to it is done. */
    private Sharing mine;
    private Sharing next;
    /** The committee this node, as an old member, handed the key to. */
    private List<NodeId> successor;
    /** This node's view of the committee came from following a handover: the genesis draw no longer applies. */
    private boolean followed;
    /** Handovers this node saw complete; after the first, the genesis committee is never drawn again. */
    private int handovers;
    private Run run;
    private boolean runStarted;
    private long runStartWall;
    /** Epochs whose handover this node has begun, so one output does not start two. */
    private long handoverBegun = -1;
    /** Handovers received: for each encoding's hash, the old members that sent it. */
    private final Map<String, Set<NodeId>> handoverVotes = new HashMap<>();
    /** When this node looks the genesis committee up again (wall clock): it may have changed, or the DKG failed. */
    private long recheckAt;
    private long dkgStartedAt;
    private long dkgDoneAt;
    /** The genesis DKG runs again for want of output, at most {@link #MAX_RERUNS} times. */
    private int reruns;
    private static final int MAX_RERUNS = 3;
    private long outputsAtDkg;
    private long dkgMillis;
    private final TreeMap<Long, Beacon> beacons = new TreeMap<>();
    private long lastRoundStarted;
    private final ArrayDeque<Early> early = new ArrayDeque<>();
    private volatile long outputs;
    private volatile long latestRound;
    private volatile long latestEpoch;
    private volatile BlsSignature latestSignature;
    private volatile byte[] latestRandomness;
    /** The seed rounds' outputs this node holds, by the epoch they seed: the last {@link #SEEDS_KEPT}. */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, BeaconEvent.Output> seeds =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private static final int SEEDS_KEPT = 8;
    private volatile long seedAskedAt;
    private final AtomicLong dkgBytes = new AtomicLong();
    private final AtomicLong roundBytes = new AtomicLong();
    private java.util.function.Consumer<BeaconEvent.Output> onOutput = o -> { };
    private volatile boolean closed;
    /** This node's tickets by epoch, newest last: those from before a placement period's salt serve it. */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, PresenceTicket> ticketsHeld =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    /** The seeds that opened placement periods, by epoch: the last three. */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, BeaconEvent.Output> periodSeeds =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private java.util.function.Consumer<net.barn.core.dht.Placement> onPlacement = p -> { };
    /** What the placement last given was made of (period, salts, group key, tickets): a new one goes out when it changes. */
    private String placedAs = "";
    private volatile net.barn.core.dht.Placement placement;
    private long placementAskedAt;
    private long previousAskedAt;
    /** A member's rule for signing presence tickets. */
    private final PresenceDesk desk;
    /** This node's newest presence ticket, published with its key; null until it has one. */
    private volatile PresenceTicket ticket;
    /** The group key this node last knew (as a member, or verified from members' answers): what tickets are checked under. */
    private volatile BlsPublicKey knownGroupKey;
    private volatile boolean ticketAsking;
    private final java.nio.file.Path keepDir;
    private long ticketAskedAt;
    /** Ids one member signs presence tickets for per epoch, from one IP group and in all. */
    static final int TICKETS_PER_GROUP = 64;
    static final int TICKETS_PER_EPOCH = 65_536;

    /** @param keepDir where this node keeps its presence ticket across restarts (null: not kept) */
    BeaconService(BarnNode node, DhtService dht, BlsSecretKey key, Config config, java.nio.file.Path keepDir) {
        this.node = node;
        this.keepDir = keepDir;
        if (keepDir != null) {
            switch (net.barn.daemon.store.BeaconKeyStore.loadTicket(keepDir)) {
                case Checked.Valid<PresenceTicket> v -> ticket = v.value(); // published with the key; drawers check it
                case Checked.Invalid<PresenceTicket> i -> log.debug("beacon: {}", i.reason());
            }
            switch (net.barn.daemon.store.BeaconKeyStore.loadTickets(keepDir)) {
                case Checked.Valid<List<PresenceTicket>> v -> v.value().forEach(t -> ticketsHeld.put(t.epoch(), t));
                case Checked.Invalid<List<PresenceTicket>> i -> log.warn("beacon: {}", i.reason());
            }
            if (ticket != null) {
                ticketsHeld.put(ticket.epoch(), ticket);
            }
        }
        this.dht = dht;
        this.loop = node.eventLoopGroup().next();
        this.config = config;
        this.epochs = config.epochs();
        this.key = key;
        this.bound = BeaconKey.create(node.identity(), key);
        this.draw = new CommitteeDraw(node, dht, config.committee());
        this.desk = new PresenceDesk(epochs, TICKETS_PER_GROUP, TICKETS_PER_EPOCH);
        node.bind(SERVICE, this::accept);
        loop.scheduleAtFixedRate(this::tick, 200, Math.min(1000, config.roundMillis() / 4), TimeUnit.MILLISECONDS);
    }

    /** The round whose output draws the committee of {@code epoch}: {@code epoch * epochRounds - leadRounds}. */
    public static long seedRound(Config config, long epoch) {
        return config.epochs().seedRound(epoch);
    }

    /** Called on the node's loop with every round output this node computes. */
    public void onOutput(java.util.function.Consumer<BeaconEvent.Output> listener) {
        loop.execute(() -> onOutput = listener);
    }

    public Status status() {
        try {
            return loop.submit(() -> {
                Sharing s = mine;
                return new Status(state, committee == null ? 0 : committee.size(), group == null ? 0 : group.threshold(),
                        s == null ? 0 : s.index, dkgMillis, outputs, latestRound, latestRandomness, dkgBytes.get(), roundBytes.get(),
                        epochOf(latestRound), handovers);
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return new Status("unavailable: " + e, 0, 0, 0, 0, 0, 0, null, 0, 0, 0, 0);
        }
    }

    /** The committee this node sees serving (or handed to), in index order; empty before any. */
    public List<NodeId> committee() {
        try {
            return loop.submit(() -> committee == null ? List.<NodeId>of() : List.copyOf(committee)).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("beacon state unavailable", e);
        }
    }

    /**
     * A line for status: this node's part in the committee and the newest output it computed,
     * or (outside the committee) the newest it verified by asking members, at most every round.
     */
    public String describe() {
        return describeRounds() + ticketNote() + placementNote();
    }

    private String placementNote() {
        net.barn.core.dht.Placement p = placement;
        if (config.placementEpochs() <= 0) {
            return "";
        }
        return p == null ? "; names at their keys (no placement period salted yet)"
                : "; names placed for period " + p.period() + (p.holdsTicket() ? ", this node among the ticketed" : ", this node without a ticket for it");
    }

    private String ticketNote() {
        PresenceTicket t = ticket;
        return t == null ? "; no presence ticket yet" : "; presence ticket of epoch " + t.epoch();
    }

    private String describeRounds() {
        Status s = status();
        if (s.members() == 0) {
            return s.state();
        }
        String handed = s.handovers() > 0 ? ", " + s.handovers() + " handovers seen" : "";
        if (s.index() > 0) {
            return s.state() + (s.round() > 0 ? "; epoch " + s.epoch() + " round " + s.round() + " output " + hex(s.randomness()) + " ("
                    + s.outputs() + " rounds signed" + handed + ")" : "");
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
        return v == null ? s.state() : s.state() + "; epoch " + v.epoch() + " round " + v.round() + " output " + hex(v.randomness())
                + ", verified under group key " + v.groupKeyHex().substring(0, 16) + "… (" + v.agreeing() + " of " + v.asked()
                + " members asked agree on it)";
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
        if (v.length != BeaconKeyRecord.KEY_BYTES) {
            return Checked.invalid("a beacon key of " + v.length + " bytes, not " + BeaconKeyRecord.KEY_BYTES);
        }
        return BeaconKey.verify(java.util.Arrays.copyOfRange(v, 0, 32), java.util.Arrays.copyOfRange(v, 32, 80),
                java.util.Arrays.copyOfRange(v, 80, 176), java.util.Arrays.copyOfRange(v, 176, BeaconKeyRecord.KEY_BYTES));
    }

    private long epochOf(long round) {
        return epochs.epochOf(round);
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
        publishKey(wall);
        drawGenesis(wall);
        if (run != null && !runStarted && wall >= runStartWall) {
            startRun(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(wall - runStartWall));
        }
        if (mine != null && handovers == 0 && outputsAtDkg == outputs && wall - dkgDoneAt > 6 * config.roundMillis()
                && reruns < MAX_RERUNS) {
            reruns++;
            // Signing for six rounds and no output: the members did not all end the DKG with one
            // group key (a dealer's messages reached some of them after the deal phase). Run it again.
            log.info("beacon: no output for six rounds since the DKG; running it again");
            mine = null;
            group = null;
            run = null;
            beacons.clear();
            recheckAt = wall;
            state = "no output since the DKG: running it again";
        }
        checkAlive(wall);
        sign(wall);
        askForTicket(wall);
        place(wall);
    }

    /** Called on the node's loop with each new placement of the root namespace's records. */
    public void onPlacement(java.util.function.Consumer<net.barn.core.dht.Placement> listener) {
        onPlacement = listener;
    }

    /** The placement this node last gave its root network, or null. */
    public net.barn.core.dht.Placement placement() {
        return placement;
    }

    /**
     * Once the seed that opens this placement period is known (PROTOCOL 11.8): gives the root
     * network the period's salt, the last period's, this node's tickets from before each, and
     * the check of others' tickets under the group key; again whenever one of these changes.
     * Until then the last placement stays (or none: names at their keys).
     */
    private void place(long wall) {
        long per = config.placementEpochs();
        if (per <= 0) {
            return;
        }
        long round = epochs.roundAt(wall);
        long period = Math.floorDiv(epochs.epochOf(round), per);
        long first = period * per;
        BeaconEvent.Output salt = seedOf(first);
        if (salt == null) {
            if (round >= seedRound(config, first) && wall - placementAskedAt >= config.roundMillis()) {
                placementAskedAt = wall;
                fetchSeed(first);
            }
            return;
        }
        BlsPublicKey groupKey = knownGroupKey;
        if (groupKey == null) {
            return;
        }
        BeaconEvent.Output previous = seedOf(first - per);
        if (previous == null && wall - previousAskedAt >= 10 * config.roundMillis()) {
            // A node started in mid-period: members keep the last periods' seeds, and the last one is where a name's
            // history is read from until this period's replicas hold it. (Before the beacon's second period nobody has
            // it: asked every ten rounds.)
            previousAskedAt = wall;
            fetchSeed(first - per);
        }
        PresenceTicket own = ticketBefore(first);
        PresenceTicket ownPrevious = ticketBefore(first - per);
        String as = period + "/" + (previous != null) + "/" + groupKey.toHex() + "/" + (own == null ? "-" : own.epoch()) + "/"
                + (ownPrevious == null ? "-" : ownPrevious.epoch());
        if (as.equals(placedAs)) {
            return;
        }
        placedAs = as;
        long window = config.ticketWindowEpochs();
        net.barn.core.dht.Placement p = new net.barn.core.dht.Placement(period, salt.randomness(),
                previous == null ? null : previous.randomness(), own == null ? null : own.encode(),
                ownPrevious == null ? null : ownPrevious.encode(), (forPeriod, id, bytes) -> switch (PresenceTicket.decode(bytes)) {
                    case Checked.Valid<PresenceTicket> v -> v.value().refuse(groupKey, id, forPeriod * per, window);
                    case Checked.Invalid<PresenceTicket> i -> i.reason();
                });
        placement = p;
        log.info("beacon: root namespace records placed for period {} ({}presence ticket from before it)", period,
                own == null ? "no " : "");
        onPlacement.accept(p);
    }

    /** This node's newest ticket that serves the placement period opened by the seed of {@code epoch}, or null. */
    private PresenceTicket ticketBefore(long epoch) {
        var e = ticketsHeld.floorEntry(epoch - 1);
        return e != null && e.getKey() >= epoch - config.ticketWindowEpochs() ? e.getValue() : null;
    }

    /** The output of {@code epoch}'s seed round, if this node holds it. */
    private BeaconEvent.Output seedOf(long epoch) {
        BeaconEvent.Output o = seeds.get(epoch);
        return o != null ? o : periodSeeds.get(epoch);
    }

    /** This node's newest presence ticket, or null. */
    public PresenceTicket presenceTicket() {
        return ticket;
    }

    /**
     * Once per epoch, while its tickets are still signed: asks every member of the committee
     * this node sees for a share of its presence ticket (PROTOCOL 17.5), every phase until it
     * has one. Members that answer for another committee mean the key was handed on: the next
     * view of the members comes from {@link #latest}.
     */
    private void askForTicket(long wall) {
        long round = epochs.roundAt(wall);
        long epoch = epochOf(round);
        PresenceTicket held = ticket;
        List<NodeId> members = committee;
        if (ticketAsking || members == null || members.isEmpty() || (held != null && held.epoch() == epoch)
                || round >= desk.closesAt(epoch) || wall - ticketAskedAt < config.phaseMillis()) {
            return;
        }
        if (mine == null && !seenAlive) {
            return; // no committee signs yet
        }
        ticketAskedAt = wall;
        ticketAsking = true;
        Thread.ofVirtual().name("barn-beacon-ticket").start(() -> {
            try {
                collectTicket(List.copyOf(members), epoch);
            } catch (RuntimeException e) {
                log.debug("beacon: no presence ticket this time: {}", e.getMessage());
            } finally {
                ticketAsking = false;
            }
        });
    }

    /** Shares of this node's ticket collected this epoch, by member: a retry asks only the members still missing. */
    private final Map<NodeId, BeaconCodec.TicketShare> sharesHeld = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long sharesEpoch = -1;

    private void collectTicket(List<NodeId> members, long epoch) {
        if (sharesEpoch != epoch) {
            sharesHeld.clear();
            sharesEpoch = epoch;
        }
        Map<NodeId, CompletableFuture<BeaconCodec.TicketShare>> asks = new HashMap<>();
        byte[] request = BeaconCodec.encode(new BeaconCodec.TicketRequest(epoch));
        for (NodeId m : members) {
            if (!sharesHeld.containsKey(m)) {
                asks.put(m, CompletableFuture.supplyAsync(() -> askShare(m, request, epoch), r -> Thread.ofVirtual().start(r)));
            }
        }
        List<String> refusals = new ArrayList<>();
        asks.forEach((m, f) -> {
            BeaconCodec.TicketShare t = f.join();
            if (t != null && t.signature() != null && t.epoch() == epoch) {
                sharesHeld.put(m, t);
            } else if (t != null && t.refused() != null) {
                refusals.add(t.refused());
            }
        });
        List<BeaconCodec.TicketShare> shares = members.stream().map(sharesHeld::get).filter(java.util.Objects::nonNull).toList();
        List<PresenceTicket.Share> answers = shares.stream()
                .map(t -> new PresenceTicket.Share(new PartialSignature(t.index(), t.signature()), t.commitment())).toList();
        switch (PresenceTicket.fromShares(node.id(), epoch, answers)) {
            case Checked.Valid<PresenceTicket.Issued> v -> {
                ticket = v.value().ticket();
                knownGroupKey = v.value().groupKey();
                ticketsHeld.put(epoch, ticket);
                while (ticketsHeld.size() > net.barn.daemon.store.BeaconKeyStore.TICKETS_KEPT) {
                    ticketsHeld.pollFirstEntry();
                }
                if (keepDir != null) {
                    try {
                        net.barn.daemon.store.BeaconKeyStore.saveTicket(keepDir, ticket);
                        net.barn.daemon.store.BeaconKeyStore.saveTickets(keepDir, ticketsHeld.values());
                    } catch (IOException e) {
                        log.warn("beacon: could not keep the presence ticket in {}: {}", keepDir, e.getMessage());
                    }
                }
                log.debug("beacon: holding the presence ticket of epoch {}", epoch);
                loop.execute(() -> nextKeyPublish = 0);
            }
            case Checked.Invalid<PresenceTicket.Issued> i -> {
                log.debug("beacon: no presence ticket for epoch {} ({} shares; refusals: {}): {}", epoch, shares.size(), refusals,
                        i.reason());
                if (!refusals.isEmpty()) {
                    latest(3); // the members this node asked may have handed the key on: follow them
                }
            }
        }
    }

    /** One member's share of this node's ticket, or its refusal, or null if it did not answer. */
    private BeaconCodec.TicketShare askShare(NodeId member, byte[] request, long epoch) {
        try {
            byte[] bytes;
            if (member.equals(node.id())) {
                bytes = loop.submit(() -> ticketShare(node.id(), "self", epoch)).get(5, TimeUnit.SECONDS);
            } else {
                PeerLink l = node.link(member).orElseGet(() -> dht.linkTo(member).join());
                bytes = StreamRequests.ask(l, SERVICE, request, BeaconCodec.MAX_MESSAGE, TIMEOUT_MILLIS);
            }
            if (bytes != null && BeaconCodec.decode(bytes) instanceof Checked.Valid<BeaconCodec.Message> v
                    && v.value() instanceof BeaconCodec.TicketShare t) {
                return t;
            }
        } catch (Exception e) {
            log.debug("beacon: member {} gave no ticket share: {}", member.shortForm(), e.getMessage());
        }
        return null;
    }

    /** This member's share of {@code id}'s presence ticket for {@code epoch}, or why not (PROTOCOL 17.5). On the loop. */
    private byte[] ticketShare(NodeId id, String group, long epoch) {
        Sharing s = sharingFor(epoch);
        if (s == null || s.result.share() == null) {
            return BeaconCodec.encode(BeaconCodec.TicketShare.refusal(epoch, "not a member of the committee serving epoch " + epoch));
        }
        String why = desk.admit(epochs.roundAt(System.currentTimeMillis()), epoch, id, group);
        if (why != null) {
            return BeaconCodec.encode(BeaconCodec.TicketShare.refusal(epoch, why));
        }
        PartialSignature p = PresenceTicket.signShare(s.result.share(), id, epoch);
        return BeaconCodec.encode(new BeaconCodec.TicketShare(epoch, p.index(), p.signature(), s.result.group().commitment(), null));
    }

    /** The epoch whose start this node last checked the beacon's liveness at. */
    private long checkedEpoch = -1;
    /** Wall time of this node's newest own output, or when it began serving. */
    private long lastOutputWall;
    private boolean checking;
    /** This node has seen a verified output: silence since then means the committee is gone, not forming. */
    private volatile boolean seenAlive;

    /**
     * Once an epoch, at its start: a beacon that output nothing for a whole epoch has lost more
     * than n − t of its committee, and no handover can happen without a seed round. Every node
     * that finds it so draws a recovery committee from the epoch's recovery seed and runs a fresh
     * DKG (PROTOCOL 17.10): a new group key, which readers take as they take any (most members).
     */
    private void checkAlive(long wall) {
        long epoch = epochs.epochOf(epochs.roundAt(wall));
        if (checking || committee == null || (run != null && !(runStarted && run.dkg().isDone()))) {
            return; // a DKG under way is what forms (or re-forms) the group
        }
        if (!seenAlive) {
            // Until this node has seen an output, it looks every 8 rounds; silence then means forming, not gone.
            if (mine == null && wall - probedAt >= 8 * config.roundMillis()) {
                probedAt = wall;
                checking = true;
                latest(3).whenComplete((v, e) -> loop.execute(() -> checking = false));
            }
            return;
        }
        if (epoch == checkedEpoch) {
            return;
        }
        checkedEpoch = epoch;
        long epochMillis = config.epochRounds() * config.roundMillis();
        if (mine != null) {
            if (wall - lastOutputWall > epochMillis) {
                recover(epoch);
            }
            return;
        }
        checking = true;
        latest(3).whenComplete((v, e) -> loop.execute(() -> {
            checking = false;
            long stale = epochs.roundAt(wall) - config.epochRounds();
            if ((e != null && String.valueOf(e.getMessage()).contains("no member answered")) || (v != null && v.round() < stale)) {
                recover(epoch);
            }
        }));
    }

    private long probedAt;

    /** Draws the recovery committee of {@code epoch} and sets up its fresh DKG (a member of the dead one drops its share). */
    private void recover(long epoch) {
        log.warn("beacon: no output for a whole epoch; drawing the recovery committee of epoch {}", epoch);
        state = "no output for a whole epoch: drawing the recovery committee of epoch " + epoch;
        mine = null;
        next = null;
        group = null;
        run = null;
        beacons.clear();
        // Candidates show tickets of the group that went silent: ids present before it did.
        BlsPublicKey lastKey = knownGroupKey;
        CommitteeDraw.Age age = lastKey == null ? null : new CommitteeDraw.Age(lastKey, config.ticketWindowEpochs());
        draw.draw(Epochs.recoverySeed(epoch), epoch, age).whenComplete((drawn, e) -> loop.execute(() -> {
            if (e != null || drawn.committee().isEmpty()) {
                state = "no recovery committee for epoch " + epoch + (e == null ? ": no node eligible" : ": " + e.getMessage());
                log.info("beacon: {}", state);
                return;
            }
            handovers++; // the genesis draw stays behind this node
            adoptFresh(drawn, epoch, "recovery");
        }));
    }

    private void publishKey(long wall) {
        if (wall < nextKeyPublish) {
            return;
        }
        // Early copies may reach few replicas while the root network is still forming: publish
        // again after 5 s, 30 s and 2 min, then every 30 min, and whenever a new presence ticket comes.
        long age = wall - startedAt;
        nextKeyPublish = wall + (age < 5_000 ? 5_000 : age < 30_000 ? 25_000 : age < 120_000 ? 90_000 : TimeUnit.MINUTES.toMillis(30));
        PresenceTicket t = ticket;
        long seq = dht.sequenceNow();
        dht.put(RecordTypes.owned(node.identity(), KEY_RECORD, BeaconKeyRecord.encode(encodeKey(bound), t), seq,
                seq + TimeUnit.HOURS.toMillis(2)), true)
                .whenComplete((r, x) -> log.debug("published the beacon key{}{}", t == null ? "" : " with the ticket of epoch " + t.epoch(),
                        x == null ? "" : ": " + x.getMessage()));
    }

    /**
     * Until the first handover, the genesis committee is drawn after the start delay and drawn
     * again after its DKG (the network near the genesis target may have grown meanwhile).
     */
    private void drawGenesis(long wall) {
        boolean settled = run == null || (runStarted && run.dkg().isDone());
        if (forming || handovers > 0 || followed || next != null || !((committee == null && wall - startedAt >= config.startDelayMillis())
                || (committee != null && settled && wall >= recheckAt))) {
            return;
        }
        forming = true;
        state = "looking for the genesis committee";
        draw.draw(Sortition.GENESIS_SEED, 0, null).whenComplete((drawn, e) -> loop.execute(() -> {
            forming = false;
            if (e != null) {
                state = "could not form the genesis committee: " + e.getMessage();
                log.info("beacon: {}", state);
            } else if (handovers == 0) {
                adoptFresh(drawn, 0, "genesis");
            }
        }));
    }

    /** A committee drawn for a fresh DKG: genesis (session epoch 0) or a recovery (its epoch). */
    private void adoptFresh(CommitteeDraw.Drawn drawn, long sessionEpoch, String kind) {
        long recheck = Math.max(30_000, 6 * config.phaseMillis());
        if (drawn.committee().equals(committee) && (mine != null || (run != null && !run.dkg().isDone()))) {
            recheckAt = System.currentTimeMillis() + recheck; // the committee stands
            return;
        }
        if (committee != null && (mine != null || run != null)) {
            // Nodes that joined later, or a DKG that failed: the committee as drawn now runs a new
            // DKG. Until a network stops growing near the target, the genesis committee may change
            // a few times; every member that sees the same nodes draws the same committee.
            log.info("beacon: the committee {}; drawing it again", mine == null ? "did not finish its DKG" : "changed");
            mine = null;
            group = null;
            run = null;
            beacons.clear();
            early.clear();
        }
        committee = drawn.committee();
        contacts.putAll(drawn.contacts());
        int index = committee.indexOf(node.id()) + 1;
        // A genesis run started again for want of output has its own session: a failed run's late
        // messages must not mix into it. Recovery runs are first runs of their epoch.
        long session = Sortition.session(sessionEpoch, committee, sessionEpoch == 0 ? reruns : 0);
        // Members form the committee at slightly different moments: each starts the DKG at the next
        // boundary of two phases or as soon as another member's first DKG message arrives,
        // whichever is first, so the phases of all run within a network delay of each other.
        long align = 2 * config.phaseMillis();
        long startWall = (System.currentTimeMillis() / align + 2) * align;
        recheckAt = startWall + 3 * config.phaseMillis() + recheck;
        if (index > 0) {
            int n = committee.size();
            prepare(new Run(session, -1, committee, committee, new Dkg(DkgConfig.fresh(session, n, Sortition.threshold(n), index,
                    TimeUnit.MILLISECONDS.toNanos(config.phaseMillis())), entropy), true), startWall);
            state = "member " + index + " of a committee of " + n + ", DKG at " + startWall;
        } else {
            state = "not in the " + kind + " committee of " + committee.size();
        }
        log.info("beacon: {}", state);
    }

    /**
     * Sets up a DKG run to start at {@code startWall} or at the first message of its session,
     * whichever is first. A run set up late starts as of that first message's arrival (or of
     * {@code startWall}), so that its phases end when those of the members that started on time
     * do, and a late member's messages are late for all of them alike.
     */
    private void prepare(Run r, long startWall) {
        run = r;
        runStarted = false;
        runStartWall = startWall;
        long first = early.stream().filter(x -> x.message().session() == r.session()).mapToLong(Early::arrived).min()
                .orElse(Long.MAX_VALUE);
        long wall = System.currentTimeMillis();
        if (wall >= startWall) {
            first = Math.min(first, System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(wall - startWall));
        }
        if (first != Long.MAX_VALUE) {
            startRun(first);
        }
    }

    private void startRun(long startNanos) {
        runStarted = true;
        dkgStartedAt = System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        run.dkg().start(startNanos);
        DkgConfig c = run.dkg().config();
        state = (run.fresh() ? "running the DKG as member " + c.selfReceiver() : "resharing to the committee of epoch " + run.epoch()
                + (c.selfDealer() > 0 ? " as old member " + c.selfDealer() : "") + (c.selfReceiver() > 0 ? " as new member "
                + c.selfReceiver() : "")) + " of " + run.receivers().size();
        Iterator<Early> it = early.iterator();
        List<Early> mineNow = new ArrayList<>();
        while (it.hasNext()) {
            Early e = it.next();
            if (e.message().session() == run.session()) {
                mineNow.add(e);
                it.remove();
            }
        }
        for (Early e : mineNow) {
            deliverDkg(e.from(), e.message());
        }
        drainDkg();
    }

    private void drainDkg() {
        Run r = run;
        for (DkgMessage m = r.dkg().pollTransmit(); m != null; m = r.dkg().pollTransmit()) {
            byte[] wire = BeaconCodec.encode(m);
            if (m instanceof DkgMessage.Deal d) {
                send(r.receivers().get(d.to() - 1), wire, dkgBytes);
            } else {
                for (NodeId to : union(r.dealers(), r.receivers())) {
                    if (!to.equals(node.id())) {
                        send(to, wire, dkgBytes);
                    }
                }
            }
        }
        for (DkgEvent e = r.dkg().pollEvent(); e != null; e = r.dkg().pollEvent()) {
            switch (e) {
                case DkgEvent.Completed c -> completed(r, c.result());
                case DkgEvent.Failed f -> {
                    state = (r.fresh() ? "DKG failed: " : "handover to epoch " + r.epoch() + " failed (the serving committee stays): ")
                            + f.reason();
                    log.warn("beacon: {}", state);
                }
                case DkgEvent.Disqualified q -> log.info("beacon: dealer {} disqualified: {}", q.dealer(), q.reason());
                case DkgEvent.Rejected x -> log.info("beacon: refused a DKG message of {}: {}", x.from(), x.reason());
                case DkgEvent.Complained c -> log.info("beacon: complained of dealer {}: {}", c.dealer(), c.reason());
            }
        }
        long t = r.dkg().pollTimeout();
        if (t != Long.MAX_VALUE && !r.dkg().isDone()) {
            loop.schedule(() -> {
                if (run == r && !r.dkg().isDone()) {
                    r.dkg().handleTimeout(System.nanoTime());
                    drainDkg();
                }
            }, Math.max(0, t - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private static List<NodeId> union(List<NodeId> a, List<NodeId> b) {
        LinkedHashSet<NodeId> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    private void completed(Run r, DkgResult result) {
        dkgDoneAt = System.currentTimeMillis();
        dkgMillis = dkgDoneAt - dkgStartedAt;
        group = result.group();
        knownGroupKey = group.publicKey();
        int receiver = r.dkg().config().selfReceiver();
        if (r.fresh()) {
            outputsAtDkg = outputs;
            lastRoundStarted = dkgDoneAt / config.roundMillis();
            mine = new Sharing(r.receivers(), receiver, result, epochOf(lastRoundStarted));
            lastOutputWall = dkgDoneAt;
            state = "member " + receiver + " of " + r.receivers().size() + ", threshold " + group.threshold() + ", signing rounds";
            log.info("beacon: DKG done in {} ms; group key {}; qualified {}", dkgMillis, group.publicKey().toHex().substring(0, 16),
                    result.qualified());
            return;
        }
        handovers++;
        if (mine != null && mine.committee.equals(r.dealers())) {
            mine.untilEpoch = r.epoch(); // this committee signs to the end of its epoch, then the next one does
            successor = r.receivers();
        }
        if (receiver > 0) {
            next = new Sharing(r.receivers(), receiver, result, r.epoch());
        }
        state = "handed the key to the committee of epoch " + r.epoch() + " (" + r.receivers().size() + " members, threshold "
                + group.threshold() + ")" + (receiver > 0 ? "; this node is member " + receiver : "");
        log.info("beacon: {} in {} ms; qualified old members {}", state, dkgMillis, result.qualified());
        if (mine == null || !mine.committee.equals(r.dealers())) {
            committee = r.receivers(); // a newcomer, or an old member that missed the seed: its view moves on now
        }
    }

    /** Signs the rounds of the current epoch with the sharing that serves it, moving to the next sharing at its epoch. */
    private void sign(long wall) {
        long round = epochs.roundAt(wall);
        long epoch = epochOf(round);
        if (next != null && epoch >= next.fromEpoch) {
            mine = next;
            next = null;
            lastOutputWall = wall;
            committee = mine.committee;
            outputsAtDkg = outputs;
            state = "member " + mine.index + " of " + committee.size() + " from epoch " + mine.fromEpoch + ", threshold "
                    + group.threshold() + ", signing rounds";
            log.info("beacon: {}", state);
        } else if (mine != null && epoch >= mine.untilEpoch) {
            // Handed over and not in the next committee: the old share is dropped, so that taking
            // over a member later gains nothing for the epochs after this one.
            committee = successor != null ? successor : committee;
            mine = null;
            state = "handed the key on; the committee of epoch " + epoch + " has " + committee.size() + " members";
            log.info("beacon: {}", state);
        }
        beacons.headMap(epoch - 1).clear();
        if (mine != null && mine.signs(epoch) && round > lastRoundStarted) {
            lastRoundStarted = round;
            Beacon b = beacon(epoch);
            if (b != null) {
                b.startRound(System.nanoTime(), round);
            }
        }
        for (Beacon b : List.copyOf(beacons.values())) {
            b.handleTimeout(System.nanoTime());
        }
        drainBeacons();
    }

    /** The sharing that signs {@code epoch}: the serving one, or the next once its epoch comes. */
    private Sharing sharingFor(long epoch) {
        if (next != null && epoch >= next.fromEpoch) {
            return next;
        }
        return mine != null && mine.signs(epoch) ? mine : null;
    }

    private Beacon beacon(long epoch) {
        Beacon b = beacons.get(epoch);
        Sharing s = sharingFor(epoch);
        if (b == null && s != null) {
            b = new Beacon(epoch, s.result.group(), s.result.share(), TimeUnit.MILLISECONDS.toNanos(4 * config.roundMillis()));
            beacons.put(epoch, b);
        }
        return b;
    }

    private void drainBeacons() {
        for (Map.Entry<Long, Beacon> entry : List.copyOf(beacons.entrySet())) {
            Beacon b = entry.getValue();
            Sharing s = sharingFor(entry.getKey());
            for (BeaconMessage m = b.pollTransmit(); m != null; m = b.pollTransmit()) {
                if (s != null) {
                    byte[] wire = BeaconCodec.encode(m);
                    for (NodeId to : s.committee) {
                        if (!to.equals(node.id())) {
                            send(to, wire, roundBytes);
                        }
                    }
                }
            }
            for (BeaconEvent e = b.pollEvent(); e != null; e = b.pollEvent()) {
                switch (e) {
                    case BeaconEvent.Output o -> output(o);
                    case BeaconEvent.Missed m -> log.info("beacon: round {} missed ({} valid partials)", m.round(), m.validPartials());
                    case BeaconEvent.PartialRejected r -> log.info("beacon: refused member {}'s partial of round {}: {}", r.from(),
                            r.round(), r.reason());
                }
            }
        }
    }

    private void output(BeaconEvent.Output o) {
        outputs++;
        seenAlive = true;
        lastOutputWall = System.currentTimeMillis();
        if (o.round() > latestRound) {
            latestRound = o.round();
            latestEpoch = o.epoch();
            latestSignature = o.signature();
            latestRandomness = o.randomness();
        }
        onOutput.accept(o);
        long nextEpoch = o.epoch() + 1;
        if (o.round() == seedRound(config, nextEpoch)) {
            keepSeed(nextEpoch, o);
        }
        if (o.round() == seedRound(config, nextEpoch) && mine != null && mine.signs(o.epoch()) && mine.untilEpoch == Long.MAX_VALUE
                && handoverBegun < nextEpoch) {
            handoverBegun = nextEpoch;
            beginHandover(nextEpoch, o);
        }
    }

    /** The seed round's output is in: draw the next committee and, if it changed, hand the key to it. */
    private void beginHandover(long epoch, BeaconEvent.Output seed) {
        Sharing from = mine;
        state = "drawing the committee of epoch " + epoch;
        draw.draw(seed.randomness(), epoch, new CommitteeDraw.Age(group.publicKey(), config.ticketWindowEpochs())).whenComplete((drawn, e) -> loop.execute(() -> {
            if (e != null || mine != from) {
                log.info("beacon: no draw for epoch {}: {}", epoch, e == null ? "the sharing changed meanwhile" : e.getMessage());
                return;
            }
            if (drawn.committee().isEmpty()) {
                state = "no node eligible for epoch " + epoch + " (no presence ticket of the last "
                        + config.ticketWindowEpochs() + " epochs); the committee stays";
                log.info("beacon: {}", state);
                return;
            }
            contacts.putAll(drawn.contacts());
            if (Set.copyOf(drawn.committee()).equals(Set.copyOf(from.committee))) {
                // The same members drawn in another order: they keep their shares and indices.
                state = "the committee stands for epoch " + epoch;
                log.info("beacon: {}", state);
                return;
            }
            BeaconCodec.Handover h = new BeaconCodec.Handover(epoch, seed.round(), seed.signature(), group.commitment(),
                    from.committee, drawn.committee());
            byte[] wire = BeaconCodec.encode(h);
            for (NodeId to : drawn.committee()) {
                if (!to.equals(node.id())) {
                    send(to, wire, dkgBytes);
                }
            }
            reshare(h, from, epochs.handoverStartMillis(h.seedRound()));
        }));
    }

    /** Sets up this node's part in the resharing of {@code h}: dealer if it holds {@code from}, receiver if drawn. */
    private void reshare(BeaconCodec.Handover h, Sharing from, long startWall) {
        long session = Sortition.session(h.epoch(), h.newCommittee());
        if (run != null && run.session() == session) {
            return;
        }
        int nOld = h.oldCommittee().size();
        int nNew = h.newCommittee().size();
        TreeSet<Integer> dealers = new TreeSet<>();
        for (int i = 1; i <= nOld; i++) {
            dealers.add(i);
        }
        int receiver = h.newCommittee().indexOf(node.id()) + 1;
        DkgConfig c = DkgConfig.reshare(session, new GroupKey(h.commitment()), dealers, from == null ? null : from.result.share(),
                nNew, Sortition.threshold(nNew), receiver, TimeUnit.MILLISECONDS.toNanos(config.phaseMillis()));
        if (group == null) {
            group = new GroupKey(h.commitment());
            knownGroupKey = group.publicKey();
        }
        prepare(new Run(session, h.epoch(), h.oldCommittee(), h.newCommittee(), new Dkg(c, entropy), false), startWall);
        log.info("beacon: taking part in the handover to epoch {} ({} old members, {} new)", h.epoch(), nOld, nNew);
    }

    // ---------------------------------------------------------------- from the network

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
                    byte[] answer = loop.submit(() -> answer(q.round())).get(5, TimeUnit.SECONDS);
                    if (answer != null) {
                        StreamRequests.write(s, answer);
                    }
                }
                case BeaconCodec.Dkg d -> loop.execute(() -> onDkg(link.peerId(), d.message()));
                case BeaconCodec.Round r -> loop.execute(() -> onRound(link.peerId(), r.message()));
                case BeaconCodec.Handover h -> loop.execute(() -> onHandover(link.peerId(), h));
                case BeaconCodec.TicketRequest t -> {
                    String from = CommitteeDraw.groupOf(link.peerId(), link.remoteAddress());
                    StreamRequests.write(s, loop.submit(() -> ticketShare(link.peerId(), from, t.epoch())).get(5, TimeUnit.SECONDS));
                }
                case BeaconCodec.Latest l -> { } // answers come back on the asker's own stream
                case BeaconCodec.TicketShare t -> { } // the same
            }
        } catch (Exception e) {
            log.debug("beacon: message of {} not read: {}", link.peerId().shortForm(), e.getMessage());
        }
    }

    /**
     * This node's newest round and the committee it sees, encoded, or the output of
     * {@code round} if it holds it (a seed round); null before it knows a group key (the stream
     * is closed unanswered).
     */
    private byte[] answer(long round) {
        if (group == null || committee == null) {
            return null;
        }
        BeaconEvent.Output held = round > 0 ? java.util.stream.Stream.concat(seeds.values().stream(), periodSeeds.values().stream())
                .filter(o -> o.round() == round).findFirst().orElse(null) : null;
        return BeaconCodec.encode(held != null
                ? new BeaconCodec.Latest(held.epoch(), held.round(), held.signature(), group.publicKey(), committee.size(),
                        Sortition.threshold(committee.size()), committee)
                : new BeaconCodec.Latest(latestEpoch, latestRound, latestSignature, group.publicKey(), committee.size(),
                        Sortition.threshold(committee.size()), committee));
    }

    private void keepSeed(long epoch, BeaconEvent.Output o) {
        if (config.placementEpochs() > 0 && Math.floorMod(epoch, config.placementEpochs()) == 0) {
            periodSeeds.put(epoch, o); // salts a placement period: kept while the next period still reads this one
            while (periodSeeds.size() > 3) {
                periodSeeds.pollFirstEntry();
            }
        }
        seeds.put(epoch, o);
        while (seeds.size() > SEEDS_KEPT) {
            seeds.pollFirstEntry();
        }
    }

    /**
     * The beacon's epochs for other protocols (namespace stewards): the current epoch and the
     * output of its seed round. Until this node holds that output it gives the newest epoch it
     * has a seed for (genesis, epoch 0, before any), and asks committee members for the missing
     * one at most once a round. Never blocks.
     */
    public EpochSeeds epochSeeds() {
        return () -> {
            long epoch = epochs.epochOf(epochs.roundAt(System.currentTimeMillis()));
            BeaconEvent.Output held = seeds.get(epoch);
            if (held != null) {
                return new EpochSeeds.Epoch(epoch, held.randomness());
            }
            long now = System.currentTimeMillis();
            if (now - seedAskedAt >= config.roundMillis()) {
                seedAskedAt = now;
                fetchSeed(epoch);
            }
            var newest = seeds.lastEntry();
            return newest == null ? new EpochSeeds.Epoch(0, Sortition.GENESIS_SEED)
                    : new EpochSeeds.Epoch(newest.getKey(), newest.getValue().randomness());
        };
    }

    /** Asks committee members for the seed round of {@code epoch}; keeps it if it verifies under the key most of them report. */
    private void fetchSeed(long epoch) {
        long round = seedRound(config, epoch);
        Thread.ofVirtual().name("barn-beacon-seed").start(() -> {
            try {
                List<NodeId> members = committee();
                if (members.isEmpty()) {
                    return;
                }
                Answers a = ask(members, 3, round);
                if (!keepSeedFrom(a, epoch, round) && a.committee() != null && !a.committee().equals(members)) {
                    follow(a.committee()); // the committee this node knew handed the key on: ask the one now serving
                    keepSeedFrom(ask(a.committee(), 3, round), epoch, round);
                }
            } catch (RuntimeException e) {
                log.debug("beacon: no seed for epoch {} yet: {}", epoch, e.getMessage());
            }
        });
    }

    private void onDkg(NodeId from, DkgMessage m) {
        if (run == null || m.session() != run.session()) {
            if (early.size() < EARLY_MAX) {
                early.add(new Early(from, m, System.nanoTime())); // a run this node has not set up yet (a handover still on its way)
            }
            return;
        }
        if (!runStarted) {
            early.add(new Early(from, m, System.nanoTime()));
            startRun(System.nanoTime()); // the first member to start sets everyone's phases going
            return;
        }
        deliverDkg(from, m);
        drainDkg();
    }

    /** Hands a message of the current run to its DKG if its sender holds the index it speaks for. */
    private void deliverDkg(NodeId from, DkgMessage m) {
        int claimed;
        int actual;
        switch (m) {
            case DkgMessage.Commitments c -> {
                claimed = c.dealer();
                actual = run.dealers().indexOf(from) + 1;
            }
            case DkgMessage.Deal d -> {
                claimed = d.dealer();
                actual = run.dealers().indexOf(from) + 1;
            }
            case DkgMessage.Complaint c -> {
                claimed = c.accuser();
                actual = run.receivers().indexOf(from) + 1;
            }
            case DkgMessage.Justification j -> {
                claimed = j.dealer();
                actual = run.dealers().indexOf(from) + 1;
            }
        }
        if (actual == 0 || actual != claimed) {
            log.info("beacon: refused a DKG message from {}: it speaks for member {} but is member {}", from.shortForm(), claimed, actual);
            return;
        }
        run.dkg().handleMessage(System.nanoTime(), m);
    }

    private void onRound(NodeId from, BeaconMessage m) {
        if (!(m instanceof BeaconMessage.Partial p)) {
            return;
        }
        long epoch = epochs.epochOf(epochs.roundAt(System.currentTimeMillis()));
        Sharing s = sharingFor(p.epoch());
        if (s == null || p.epoch() < epoch - 1 || p.epoch() > epoch + 1 || p.index() != s.committee.indexOf(from) + 1) {
            return;
        }
        Beacon b = beacon(p.epoch());
        if (b != null) {
            b.handleMessage(System.nanoTime(), m);
            drainBeacons();
        }
    }

    /**
     * A member of the serving committee says this node is in the next one. It joins the
     * resharing once the old threshold of old members sent the same handover, whose seed round
     * verifies under its group key (and that key is the one this node knows, if it knows one).
     */
    private void onHandover(NodeId from, BeaconCodec.Handover h) {
        long epoch = epochs.epochOf(epochs.roundAt(System.currentTimeMillis()));
        String refused = epochs.refuseHandover(h, epoch, from, node.id(), group == null ? null : group.publicKey());
        if (refused != null) {
            log.info("beacon: refused a handover from {}: {}", from.shortForm(), refused);
            return;
        }
        String id = java.util.HexFormat.of().formatHex(Sha256.hash(BeaconCodec.encode(h)));
        if (!handoverVotes.containsKey(id) && handoverVotes.size() >= HANDOVERS_MAX) {
            handoverVotes.clear(); // a flood of different handovers: start counting again
        }
        Set<NodeId> senders = handoverVotes.computeIfAbsent(id, x -> new java.util.HashSet<>());
        senders.add(from);
        if (senders.size() >= h.commitment().threshold()) {
            handoverVotes.remove(id);
            Sharing dealing = mine != null && mine.committee.equals(h.oldCommittee()) && mine.untilEpoch == Long.MAX_VALUE ? mine : null;
            reshare(h, dealing, epochs.handoverStartMillis(h.seedRound()));
        }
    }

    private boolean keepSeedFrom(Answers a, long epoch, long round) {
        for (BeaconCodec.Latest l : a.all()) {
            if (l.round() == round && l.signature() != null && l.groupKey().toHex().equals(a.groupHex()) && l.epoch() == epochOf(round)
                    && BeaconRound.verify(l.groupKey(), l.epoch(), l.round(), l.signature().toBytes()).isValid()) {
                keepSeed(epoch, new BeaconEvent.Output(l.epoch(), l.round(), l.signature(), BeaconRound.output(l.signature())));
                return true;
            }
        }
        return false;
    }

    /** A node outside every committee takes the committee most members name as its view. */
    private void follow(List<NodeId> moved) {
        loop.execute(() -> {
            if (mine == null && next == null && (run == null || (runStarted && run.dkg().isDone()))) {
                committee = moved;
                followed = true;
            }
        });
    }

    // ---------------------------------------------------------------- as a reader

    /** A verified beacon output, as any node reads it. */
    public record Verified(long epoch, long round, byte[] randomness, String groupKeyHex, int agreeing, int asked) {}

    /**
     * Asks up to {@code ask} members of the committee (this node's own view of it) for their
     * newest round, takes the group key most answers report, and returns the newest round whose
     * signature verifies under it. If most answers name another committee (the key was handed
     * on), this node's view moves to it and it asks that committee once more.
     */
    public CompletableFuture<Verified> latest(int ask) {
        return CompletableFuture.supplyAsync(() -> {
            List<NodeId> members = committee();
            if (members.isEmpty()) {
                throw new IllegalStateException("this node knows no beacon committee yet");
            }
            Answers first = ask(members, ask, 0);
            List<NodeId> moved = first.committee();
            if (moved != null && !moved.equals(members) && !moved.isEmpty()) {
                follow(moved);
                Answers second = ask(moved, ask, 0);
                if (second.best() != null && (first.best() == null || second.best().round() >= first.best().round())) {
                    Verified v = second.verified();
                    knownGroupKey = second.best().groupKey();
                    seenAlive = true;
                    return v;
                }
            }
            Verified v = first.verified();
            knownGroupKey = first.best().groupKey();
            seenAlive = true;
            return v;
        }, r -> Thread.ofVirtual().name("barn-beacon-latest").start(r));
    }

    private record Answers(List<BeaconCodec.Latest> all, String groupHex, BeaconCodec.Latest best, int asked) {
        /** The committee most answers under the majority key name, or null. */
        List<NodeId> committee() {
            Map<List<NodeId>, Integer> votes = new HashMap<>();
            all.stream().filter(a -> a.groupKey().toHex().equals(groupHex)).forEach(a -> votes.merge(a.committee(), 1, Integer::sum));
            return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        }

        Verified verified() {
            if (groupHex == null) {
                throw new IllegalStateException("no member answered");
            }
            if (best == null) {
                throw new IllegalStateException("no member has a verified round yet");
            }
            int agreeing = (int) all.stream().filter(a -> a.groupKey().toHex().equals(groupHex)).count();
            return new Verified(best.epoch(), best.round(), BeaconRound.output(best.signature()), groupHex, agreeing, asked);
        }
    }

    private Answers ask(List<NodeId> members, int ask, long round) {
        List<BeaconCodec.Latest> answers = new ArrayList<>();
        int asked = 0;
        for (NodeId m : members) {
            if (asked >= ask) {
                break;
            }
            asked++;
            try {
                PeerLink l = m.equals(node.id()) ? null : node.link(m).orElseGet(() -> dht.linkTo(m).join());
                byte[] bytes = l == null ? loop.submit(() -> answer(round)).get(5, TimeUnit.SECONDS)
                        : StreamRequests.ask(l, SERVICE, BeaconCodec.encodeQuery(round), BeaconCodec.MAX_MESSAGE, TIMEOUT_MILLIS);
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
        String groupHex = votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        BeaconCodec.Latest best = null;
        for (BeaconCodec.Latest a : answers) {
            // The epoch is the round's (a member cannot pass a round off as another epoch's).
            if (a.groupKey().toHex().equals(groupHex) && a.signature() != null && a.epoch() == epochOf(a.round())
                    && (best == null || a.round() > best.round())
                    && BeaconRound.verify(a.groupKey(), a.epoch(), a.round(), a.signature().toBytes()).isValid()) {
                best = a;
            }
        }
        return new Answers(answers, groupHex, best, asked);
    }

    @Override
    public void close() {
        closed = true;
    }
}
