package net.barn.core.maze;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.barn.core.identity.NodeId;

/**
 * One node's membership in one maze, as a sans-IO state machine: a full mesh among the
 * maze's members with reliable, per-sender ordered delivery. Every member sends its messages
 * directly to every other member; every member keeps the recent messages of every sender
 * and acknowledges what it delivered in its heartbeats; a member that sees it is behind asks
 * (Nack) a member that has the messages; a member that hears a sender whose link to another
 * member failed forwards (relays) that sender's messages to it. A member nobody hears any
 * more has failed and leaves the view; the rest carry on (docs/PROTOCOL.md section 13).
 *
 * <p>Inputs are {@link #join}, {@link #leave}, {@link #send} and the {@code handle…} calls;
 * outputs are {@link #pollTransmit()}, {@link #pollEvent()} and {@link #pollTimeout()}. Time is
 * a monotonic nanosecond clock. Every collection is bounded: the view by
 * {@link MazeConfig#maxMembers()}, per-sender buffers by count and bytes, Nacks by
 * {@link MazeCodec#MAX_NACK_SEQS}, the output queue by {@link MazeConfig#maxOutbound()}.
 * Not thread-safe: one driver owns it.
 *
 * <p><b>Trust.</b> Members are trusted to relay faithfully: a relayed Data names its original
 * sender and nothing proves it. Private mazes need end-to-end keys (payloads sealed and
 * signed by their original sender, so a relay can neither read nor forge them); that layer
 * wraps {@link #send}'s payload and checks {@link MazeEvent.Delivered}'s and is not part of
 * version 1.
 */
public final class Maze implements MazeEndpoint {
    /** A message to send to a member. */
    public record Transmit(NodeId to, MazeMessage message) {}

    private enum Phase { IDLE, JOINING, MEMBER }

    /** Heartbeats that carry the view after it changed. */
    static final int VIEW_RESENDS = 3;
    /** Every this many heartbeats carry the view anyway. */
    static final int VIEW_EVERY = 30;

    /** Another member of the view: when we heard it, and what it last told us in a heartbeat. */
    private static final class Peer {
        long lastHeard;
        boolean everHeard;
        boolean linkDown;
        boolean suspect;
        long reportAt = Long.MIN_VALUE;
        /** The peer's sorted view as its heartbeats last sent it, and that view's digest. */
        List<NodeId> view = List.of();
        long viewDigest;
        Map<NodeId, Long> marks = Map.of();
        Set<NodeId> unheard = Set.of();

        Peer(long now) {
            lastHeard = now;
        }

        /** Whether this peer's last report (fresh or not) says it hears {@code m}. */
        boolean hears(NodeId m) {
            return marks.containsKey(m) && !unheard.contains(m);
        }
    }

    /** One original sender's messages as this member sees them. */
    private static final class Stream {
        /** Highest sequence delivered in order (or sent, for our own); -1 until known where to start. */
        long delivered;
        /** Highest sequence known to exist. */
        long known;
        final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
        long outOfOrderBytes;
        final TreeMap<Long, byte[]> buffer = new TreeMap<>();
        long bufferBytes;
        long nextNackAt = Long.MAX_VALUE;
        int rounds;

        Stream(long baseline) {
            delivered = baseline;
            known = Math.max(0, baseline);
        }
    }

    private final MazeConfig config;
    private final String maze;
    private final NodeId self;

    private Phase phase = Phase.IDLE;
    private final LinkedHashMap<NodeId, Peer> peers = new LinkedHashMap<>();
    private final LinkedHashMap<NodeId, Stream> streams = new LinkedHashMap<>();
    private final LinkedHashSet<NodeId> contacts = new LinkedHashSet<>();
    private final Set<NodeId> refusedBy = new HashSet<>();
    private long joinDeadline = Long.MAX_VALUE;
    private long nextTick = Long.MAX_VALUE;
    /** Our view sorted by id, its digest, and for how many more heartbeat ticks the view travels in full. */
    private List<NodeId> sortedView = List.of();
    private long sortedViewDigest;
    private boolean viewChanged = true;
    private int viewFreshTicks;
    private long ticks;
    /** Heartbeats whose marks could not be read (their view unknown, or another than the one known). */
    private long reportsUnreadable;
    /** Nodes outside the view sent a Join lately, and when (bounded: cleared past 256). */
    private final Map<NodeId, Long> joinAsked = new HashMap<>();
    /** Original senders whose direct messages this member forwards, and to whom. */
    private Map<NodeId, List<NodeId>> relayTo = Map.of();

    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<MazeEvent> events = new ArrayDeque<>();

    private final boolean isPrivate;
    private long delivered;
    private long duplicates;
    private long retransmissions;
    private long relayed;
    private long droppedNonMember;
    private long droppedForged;
    private long droppedOversize;
    private long droppedOverflow;
    /** Joins refused because the joiner is in the maze in the other mode (private or public). */
    private long droppedMode;
    private int modeRefusals;
    private long lost;
    private long nacksSent;
    private long messagesSent;
    private long messagesReceived;
    private long outputDropped;

    public Maze(MazeConfig config, String maze, NodeId self) {
        this(config, maze, self, false);
    }

    /**
     * @param isPrivate this node is in the maze as a private maze (payloads are sealed by
     *     {@link PrivateMaze}); it refuses Joins of the other mode and they refuse it
     */
    public Maze(MazeConfig config, String maze, NodeId self, boolean isPrivate) {
        if (!MazeCodec.validMaze(maze)) {
            throw new IllegalArgumentException("bad maze name: " + maze);
        }
        this.config = config;
        this.maze = maze;
        this.self = self;
        this.isPrivate = isPrivate;
    }

    public boolean isPrivate() {
        return isPrivate;
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Joins through {@code knownMembers} (found in the maze's directory): sends Join to each,
     * and to every member their answers name. With none, this node starts the maze. On a
     * member, Joins the listed nodes it does not hold yet (merging views).
     */
    @Override
    public void join(long now, List<NodeId> knownMembers) {
        if (phase == Phase.IDLE) {
            reset();
            streams.put(self, new Stream(0));
            contacts.clear();
            refusedBy.clear();
            modeRefusals = 0;
            for (NodeId c : knownMembers) {
                if (!c.equals(self) && contacts.size() < config.maxMembers()) {
                    contacts.add(c);
                }
            }
            nextTick = now + config.heartbeatIntervalNanos();
            if (contacts.isEmpty()) {
                phase = Phase.MEMBER;
                emit(new MazeEvent.Joined(1));
                return;
            }
            phase = Phase.JOINING;
            joinDeadline = now + config.joinTimeoutNanos();
            for (NodeId c : contacts) {
                send(c, joinMessage());
            }
            return;
        }
        for (NodeId c : knownMembers) {
            if (!c.equals(self) && !peers.containsKey(c)) {
                if (phase == Phase.JOINING && contacts.size() < config.maxMembers()) {
                    contacts.add(c);
                }
                send(c, joinMessage());
            }
        }
    }

    /** Leaves the maze: tells every member (Leave) and forgets all state. */
    @Override
    public void leave(long now) {
        if (phase == Phase.IDLE) {
            return;
        }
        for (NodeId p : peers.keySet()) {
            send(p, new MazeMessage.Leave(maze));
        }
        reset();
    }

    private void reset() {
        phase = Phase.IDLE;
        peers.clear();
        streams.clear();
        contacts.clear();
        refusedBy.clear();
        joinDeadline = Long.MAX_VALUE;
        nextTick = Long.MAX_VALUE;
        relayTo = Map.of();
        viewChanged = true;
        joinAsked.clear();
    }

    /**
     * Sends {@code payload} to every member; returns its sequence number. The sender does not
     * deliver its own message.
     */
    @Override
    public long send(long now, byte[] payload) {
        if (payload.length > config.maxPayloadBytes()) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes, limit " + config.maxPayloadBytes());
        }
        if (phase != Phase.MEMBER) {
            throw new IllegalStateException("not a member of " + maze + ": join first");
        }
        Stream own = streams.get(self);
        long seq = own.delivered + 1;
        own.delivered = seq;
        own.known = seq;
        byte[] copy = payload.clone();
        keep(own, seq, copy);
        MazeMessage.Data d = new MazeMessage.Data(maze, self, seq, copy, false);
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            if (!e.getValue().linkDown) {
                send(e.getKey(), d);
            }
        }
        return seq;
    }

    // ---------------------------------------------------------------- inputs

    /** A message from the link peer {@code from}, already decoded and validated by {@link MazeCodec}. */
    @Override
    public void handleMessage(long now, NodeId from, MazeMessage m) {
        if (from.equals(self) || !m.maze().equals(maze) || phase == Phase.IDLE) {
            droppedNonMember++;
            return;
        }
        messagesReceived++;
        Peer peer = peers.get(from);
        if (peer != null) {
            heard(now, from, peer);
        }
        switch (m) {
            case MazeMessage.Join j -> onJoin(now, from, j);
            case MazeMessage.JoinReply r -> onJoinReply(now, from, r);
            case MazeMessage.Leave l -> {
                if (peer != null) {
                    remove(from);
                    emit(new MazeEvent.MemberLeft(from));
                }
            }
            case MazeMessage.Heartbeat h -> {
                if (peer == null) {
                    droppedNonMember++;
                    if (phase == Phase.MEMBER) {
                        // It holds us in its view, we do not hold it (a lost Join or reply, or we
                        // removed it while it was cut off): ask to be members of each other again.
                        askToJoin(now, from);
                    }
                } else {
                    onHeartbeat(now, from, peer, h);
                }
            }
            case MazeMessage.ViewUpdate v -> {
                if (peer == null) {
                    droppedNonMember++;
                } else {
                    for (MazeMessage.Mark k : v.added()) {
                        if (!k.member().equals(self) && !peers.containsKey(k.member()) && 1 + peers.size() < config.maxMembers()) {
                            add(now, k.member(), k.delivered());
                        }
                    }
                }
            }
            case MazeMessage.Data d -> onData(now, from, peer, d);
            case MazeMessage.Nack n -> {
                if (peer == null || !streams.containsKey(n.sender())) {
                    droppedNonMember++;
                } else {
                    onNack(from, n);
                }
            }
        }
    }

    /** The transport lost its link to {@code peer} (or could not open one). */
    @Override
    public void handleLinkDown(long now, NodeId peer) {
        Peer p = peers.get(peer);
        if (p != null) {
            p.linkDown = true;
            if (!p.suspect) {
                p.suspect = true;
                emit(new MazeEvent.LinkSuspect(peer));
            }
        }
    }

    /** Runs whatever is due: heartbeats, failure detection, Nacks, join retries. */
    @Override
    public void handleTimeout(long now) {
        if (phase == Phase.JOINING) {
            if (now >= joinDeadline) {
                boolean full = !refusedBy.isEmpty() && modeRefusals < refusedBy.size();
                String why = modeRefusals > 0 ? "members asked are in the maze in the other mode (private or public)"
                        : full ? "maze full: the members asked hold their member limit" : "no member answered the Join";
                reset();
                emit(new MazeEvent.JoinRefused(full, why));
                return;
            }
            if (now >= nextTick) {
                for (NodeId c : contacts) {
                    if (!refusedBy.contains(c)) {
                        send(c, joinMessage());
                    }
                }
                nextTick = now + config.heartbeatIntervalNanos();
            }
            return;
        }
        if (phase != Phase.MEMBER) {
            return;
        }
        if (now >= nextTick) {
            tick(now);
            nextTick = now + config.heartbeatIntervalNanos();
        }
        for (Map.Entry<NodeId, Stream> e : List.copyOf(streams.entrySet())) {
            Stream s = e.getValue();
            if (s.nextNackAt <= now && streams.containsKey(e.getKey())) {
                nack(now, e.getKey(), s);
            }
        }
    }

    // ---------------------------------------------------------------- outputs

    @Override
    public Transmit pollTransmit() {
        return transmits.poll();
    }

    @Override
    public MazeEvent pollEvent() {
        return events.poll();
    }

    /** When {@link #handleTimeout} next has something to do; {@code Long.MAX_VALUE} for never. */
    @Override
    public long pollTimeout() {
        if (phase == Phase.IDLE) {
            return Long.MAX_VALUE;
        }
        long t = Math.min(nextTick, joinDeadline);
        for (Stream s : streams.values()) {
            t = Math.min(t, s.nextNackAt);
        }
        return t;
    }

    // ---------------------------------------------------------------- membership

    private MazeMessage.Join joinMessage() {
        return new MazeMessage.Join(maze, view(), marks(), isPrivate);
    }

    private void onJoin(long now, NodeId joiner, MazeMessage.Join j) {
        if (j.isPrivate() != isPrivate) {
            droppedMode++;
            send(joiner, new MazeMessage.JoinReply(maze, false, MazeMessage.Refusal.MODE, config.maxMembers(), List.of(), List.of()));
            return;
        }
        long own = 0;
        for (MazeMessage.Mark k : j.marks()) {
            if (k.member().equals(joiner)) {
                own = k.delivered();
            }
        }
        Stream known = streams.get(joiner);
        if (peers.containsKey(joiner)) {
            viewChanged = true; // it may have restarted and forgotten our view: send it again
        }
        if (known != null && own < known.delivered) {
            // It sent fewer messages than we delivered from it: a new incarnation, counting from 1 again.
            streams.put(joiner, new Stream(own));
        }
        if (!peers.containsKey(joiner)) {
            if (1 + peers.size() >= config.maxMembers()) {
                send(joiner, new MazeMessage.JoinReply(maze, false, MazeMessage.Refusal.FULL, config.maxMembers(), List.of(), List.of()));
                return;
            }
            becomeMember(now);
            if (!add(now, joiner, own)) {
                send(joiner, new MazeMessage.JoinReply(maze, false, MazeMessage.Refusal.FULL, config.maxMembers(), List.of(), List.of()));
                return;
            }
            peers.get(joiner).everHeard = true;
            MazeMessage.ViewUpdate update = new MazeMessage.ViewUpdate(maze, List.of(new MazeMessage.Mark(joiner, own)));
            for (NodeId p : peers.keySet()) {
                if (!p.equals(joiner)) {
                    send(p, update);
                }
            }
        }
        becomeMember(now);
        learnMarks(now, joiner, j.marks());
        send(joiner, new MazeMessage.JoinReply(maze, true, MazeMessage.Refusal.NONE, config.maxMembers(), view(), marks()));
    }

    private void onJoinReply(long now, NodeId from, MazeMessage.JoinReply r) {
        if (!r.accepted()) {
            if (phase == Phase.JOINING && contacts.contains(from)) {
                if (refusedBy.add(from) && r.refusal() == MazeMessage.Refusal.MODE) {
                    modeRefusals++;
                }
                if (refusedBy.containsAll(contacts)) {
                    reset();
                    if (modeRefusals > 0) {
                        emit(new MazeEvent.JoinRefused(false, isPrivate
                                ? "the maze's members are in it as a public maze: join it without --private"
                                : "the maze is private: join it as a private maze"));
                    } else {
                        emit(new MazeEvent.JoinRefused(true, "maze full: the members hold their limit of " + r.limit() + " members"));
                    }
                }
            }
            return;
        }
        if (phase == Phase.JOINING && !contacts.contains(from) && !peers.containsKey(from)) {
            droppedNonMember++;
            return;
        }
        Map<NodeId, Long> marks = new HashMap<>();
        for (MazeMessage.Mark k : r.marks()) {
            marks.put(k.member(), k.delivered());
        }
        if (!peers.containsKey(from)) {
            if (1 + peers.size() >= config.maxMembers()) {
                return;
            }
            becomeMember(now);
            if (!add(now, from, marks.getOrDefault(from, -1L))) {
                return; // our contacts took the last places
            }
            heard(now, from, peers.get(from));
        }
        becomeMember(now);
        for (NodeId m : r.members()) {
            if (!m.equals(self) && !peers.containsKey(m) && 1 + peers.size() < config.maxMembers()) {
                add(now, m, marks.getOrDefault(m, -1L));
                send(m, joinMessage());
            }
        }
        learnMarks(now, from, r.marks());
    }

    /**
     * The first acceptance (of our Join, or of a Join we accepted while joining) makes this node
     * a member. Contacts that have not answered yet join the view as never heard: they get a
     * Join every tick until they answer (or, unheard by all, are removed as failed).
     */
    /**
     * A member's view names a node ours lacks (a ViewUpdate, Join or reply was lost): send it a
     * Join, at most once a heartbeat interval; its reply adds it.
     */
    private void askToJoin(long now, NodeId node) {
        if (1 + peers.size() >= config.maxMembers()) {
            return;
        }
        Long last = joinAsked.get(node);
        if (last != null && now - last < config.heartbeatIntervalNanos()) {
            return;
        }
        if (joinAsked.size() >= MazeCodec.MAX_MEMBERS) {
            joinAsked.clear();
        }
        joinAsked.put(node, now);
        send(node, joinMessage());
    }

    private void becomeMember(long now) {
        if (phase != Phase.MEMBER) {
            phase = Phase.MEMBER;
            joinDeadline = Long.MAX_VALUE;
            emit(new MazeEvent.Joined(1 + peers.size()));
            for (NodeId c : contacts) {
                if (!peers.containsKey(c) && !refusedBy.contains(c) && 1 + peers.size() < config.maxMembers()) {
                    add(now, c, -1);
                }
            }
        }
    }

    /**
     * Adds a member to the view, if there is room; its messages are delivered from
     * {@code baseline + 1} (-1: from the first evidence). A member already held only learns
     * the baseline if it had none. Returns whether the member is in the view.
     */
    private boolean add(long now, NodeId member, long baseline) {
        if (peers.containsKey(member)) {
            Stream s = streams.get(member);
            if (s.delivered < 0 && baseline >= 0) {
                s.delivered = baseline;
                s.known = Math.max(s.known, baseline);
            }
            return true;
        }
        if (1 + peers.size() >= config.maxMembers()) {
            return false;
        }
        peers.put(member, new Peer(now));
        streams.put(member, new Stream(baseline));
        viewChanged = true;
        emit(new MazeEvent.MemberJoined(member));
        return true;
    }

    private void remove(NodeId member) {
        peers.remove(member);
        streams.remove(member);
        viewChanged = true;
    }

    private void heard(long now, NodeId from, Peer p) {
        p.lastHeard = now;
        p.everHeard = true;
        p.linkDown = false;
        if (p.suspect) {
            p.suspect = false;
            emit(new MazeEvent.LinkRestored(from));
        }
    }

    private void onHeartbeat(long now, NodeId from, Peer p, MazeMessage.Heartbeat h) {
        if (!h.view().isEmpty()) {
            p.view = h.view();
            p.viewDigest = h.viewDigest();
            for (NodeId m : h.view()) {
                if (!m.equals(self) && !peers.containsKey(m)) {
                    askToJoin(now, m);
                }
            }
        }
        if (p.view.isEmpty() || p.viewDigest != h.viewDigest() || p.view.size() != h.delivered().size()) {
            reportsUnreadable++; // its view changed and we missed it: the next full heartbeat tells
            return;
        }
        Map<NodeId, Long> marks = new HashMap<>();
        List<MazeMessage.Mark> list = new ArrayList<>(p.view.size());
        for (int i = 0; i < p.view.size(); i++) {
            marks.put(p.view.get(i), h.delivered().get(i));
            list.add(new MazeMessage.Mark(p.view.get(i), h.delivered().get(i)));
        }
        Set<NodeId> unheard = new HashSet<>();
        for (int i : h.unheard()) {
            unheard.add(p.view.get(i));
        }
        p.marks = marks;
        p.unheard = unheard;
        p.reportAt = now;
        learnMarks(now, from, list);
    }

    /** Marks tell which messages exist: a member behind one has a gap to repair. */
    private void learnMarks(long now, NodeId from, List<MazeMessage.Mark> marks) {
        for (MazeMessage.Mark k : marks) {
            Stream s = streams.get(k.member());
            if (s == null || k.member().equals(self)) {
                continue;
            }
            if (s.delivered < 0) {
                s.delivered = k.delivered();
            }
            if (k.delivered() > s.known) {
                s.known = k.delivered();
            }
            checkGap(now, s);
        }
    }

    /** Every heartbeat interval: failure detection, heartbeats, buffer collection, relay duties. */
    private void tick(long now) {
        long timeout = config.failureTimeoutNanos();
        for (Map.Entry<NodeId, Peer> e : List.copyOf(peers.entrySet())) {
            NodeId id = e.getKey();
            Peer p = e.getValue();
            boolean silent = now - p.lastHeard >= timeout;
            if ((silent || p.linkDown) && !p.suspect) {
                p.suspect = true;
                emit(new MazeEvent.LinkSuspect(id));
            }
            if (silent && !heardByOthers(now, id)) {
                remove(id);
                emit(new MazeEvent.MemberFailed(id));
            }
        }
        MazeMessage.Heartbeat hb = heartbeat(now);
        MazeMessage.Join join = null;
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            if (e.getValue().everHeard) {
                send(e.getKey(), hb);
            } else {
                // Never heard: it may not hold us yet (its ViewUpdate or our Join was lost).
                if (join == null) {
                    join = joinMessage();
                }
                send(e.getKey(), join);
            }
        }
        for (Map.Entry<NodeId, Stream> e : streams.entrySet()) {
            collect(now, e.getKey(), e.getValue());
        }
        relayTo = relayDuties(now);
    }

    /** Whether a member whose report is fresh says it hears {@code member}. */
    private boolean heardByOthers(long now, NodeId member) {
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            Peer k = e.getValue();
            if (!e.getKey().equals(member) && now - k.reportAt < config.failureTimeoutNanos() && k.hears(member)) {
                return true;
            }
        }
        return false;
    }

    private boolean hearsDirectly(long now, NodeId member) {
        Peer p = peers.get(member);
        return p != null && !p.linkDown && now - p.lastHeard < config.failureTimeoutNanos();
    }

    /**
     * Our heartbeat: marks in the order of our sorted view, unheard members as indexes; the
     * view itself in the first 3 heartbeats after it changed and in every 10th.
     */
    private MazeMessage.Heartbeat heartbeat(long now) {
        if (viewChanged) {
            List<NodeId> v = view();
            v.sort(null);
            sortedView = List.copyOf(v);
            sortedViewDigest = MazeCodec.viewDigest(sortedView);
            viewChanged = false;
            viewFreshTicks = VIEW_RESENDS;
        }
        boolean full = viewFreshTicks > 0 || ticks % VIEW_EVERY == 0;
        if (viewFreshTicks > 0) {
            viewFreshTicks--;
        }
        ticks++;
        List<Long> delivered = new ArrayList<>(sortedView.size());
        List<Integer> unheard = new ArrayList<>();
        for (int i = 0; i < sortedView.size(); i++) {
            NodeId id = sortedView.get(i);
            delivered.add(Math.max(0, streams.get(id).delivered));
            if (!id.equals(self) && !hearsDirectly(now, id)) {
                unheard.add(i);
            }
        }
        return new MazeMessage.Heartbeat(maze, sortedViewDigest, full ? sortedView : List.of(), delivered, unheard);
    }

    /**
     * For every member B that reports not hearing a sender S, one relay is chosen among the
     * members that hear S and that B hears (by fresh reports), the same way on every member:
     * candidates sorted by id, index (h(S) * 31 + h(B)) mod count, h being a node id's first four
     * bytes as a big-endian int. Returns, per S, the Bs this member relays to.
     */
    private Map<NodeId, List<NodeId>> relayDuties(long now) {
        Map<NodeId, List<NodeId>> duties = new HashMap<>();
        for (Map.Entry<NodeId, Peer> eb : peers.entrySet()) {
            NodeId b = eb.getKey();
            Peer pb = eb.getValue();
            if (now - pb.reportAt >= config.failureTimeoutNanos()) {
                continue;
            }
            for (NodeId s : pb.unheard) {
                if (s.equals(b) || !streams.containsKey(s)) {
                    continue;
                }
                List<NodeId> candidates = new ArrayList<>();
                if (!s.equals(self) && hearsDirectly(now, s) && pb.hears(self)) {
                    candidates.add(self);
                }
                for (Map.Entry<NodeId, Peer> em : peers.entrySet()) {
                    NodeId m = em.getKey();
                    Peer pm = em.getValue();
                    if (!m.equals(s) && !m.equals(b) && now - pm.reportAt < config.failureTimeoutNanos() && pm.hears(s) && pb.hears(m)) {
                        candidates.add(m);
                    }
                }
                if (candidates.isEmpty()) {
                    continue;
                }
                candidates.sort(null);
                NodeId chosen = candidates.get(Math.floorMod(prefix(s) * 31 + prefix(b), candidates.size()));
                if (chosen.equals(self)) {
                    duties.computeIfAbsent(s, x -> new ArrayList<>()).add(b);
                }
            }
        }
        return duties;
    }

    private static int prefix(NodeId id) {
        byte[] b = id.toBytes();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private List<NodeId> view() {
        List<NodeId> v = new ArrayList<>(1 + peers.size());
        v.add(self);
        v.addAll(peers.keySet());
        return v;
    }

    private List<MazeMessage.Mark> marks() {
        List<MazeMessage.Mark> out = new ArrayList<>(streams.size());
        for (Map.Entry<NodeId, Stream> e : streams.entrySet()) {
            out.add(new MazeMessage.Mark(e.getKey(), Math.max(0, e.getValue().delivered)));
        }
        return out;
    }

    // ---------------------------------------------------------------- data

    private void onData(long now, NodeId from, Peer peer, MazeMessage.Data d) {
        NodeId sender = d.sender();
        if (peer == null) {
            droppedNonMember++;
            return;
        }
        if (!sender.equals(from) && !d.relayed()) {
            droppedForged++; // claims to come from its original sender, but the link says otherwise
            return;
        }
        if (sender.equals(self)) {
            duplicates++; // our own message, repeated back to us
            return;
        }
        Stream s = streams.get(sender);
        if (s == null) {
            droppedNonMember++;
            return;
        }
        if (d.payload().length > config.maxPayloadBytes()) {
            droppedOversize++;
            return;
        }
        if (s.delivered < 0) {
            s.delivered = d.seq() - 1;
        }
        if (d.seq() <= s.delivered || s.outOfOrder.containsKey(d.seq())) {
            duplicates++;
            return;
        }
        if (d.seq() > s.known) {
            s.known = d.seq();
        }
        if (d.seq() == s.delivered + 1) {
            deliver(sender, s, d.seq(), d.payload());
            drainOutOfOrder(sender, s);
            s.rounds = 0;
        } else if (s.outOfOrder.size() < config.outOfOrderMessages()
                && s.outOfOrderBytes + d.payload().length <= config.outOfOrderBytes()) {
            s.outOfOrder.put(d.seq(), d.payload());
            s.outOfOrderBytes += d.payload().length;
        } else {
            droppedOverflow++; // asked for again once the gap before it is filled
            checkGap(now, s);
            return;
        }
        checkGap(now, s);
        if (!d.relayed()) {
            List<NodeId> to = relayTo.get(sender);
            if (to != null) {
                MazeMessage.Data copy = new MazeMessage.Data(maze, sender, d.seq(), d.payload(), true);
                for (NodeId b : to) {
                    if (peers.containsKey(b)) {
                        relayed++;
                        send(b, copy);
                    }
                }
            }
        }
    }

    private void deliver(NodeId sender, Stream s, long seq, byte[] payload) {
        s.delivered = seq;
        keep(s, seq, payload);
        delivered++;
        emit(new MazeEvent.Delivered(sender, seq, payload));
    }

    private void drainOutOfOrder(NodeId sender, Stream s) {
        while (!s.outOfOrder.isEmpty()) {
            long first = s.outOfOrder.firstKey();
            if (first > s.delivered + 1) {
                return;
            }
            byte[] p = s.outOfOrder.pollFirstEntry().getValue();
            s.outOfOrderBytes -= p.length;
            if (first == s.delivered + 1) {
                deliver(sender, s, first, p);
            }
        }
    }

    /** Keeps a delivered (or sent) message to answer Nacks, within the buffer's bounds (oldest out first). */
    private void keep(Stream s, long seq, byte[] payload) {
        s.buffer.put(seq, payload);
        s.bufferBytes += payload.length;
        while (s.buffer.size() > config.retransmitMessages() || s.bufferBytes > config.retransmitBytes()) {
            s.bufferBytes -= s.buffer.pollFirstEntry().getValue().length;
        }
    }

    /**
     * Drops the kept messages of a sender that every member of the view has acknowledged,
     * leaving out members whose last report is older than the failure timeout (a member that
     * never reported counts as acknowledging nothing).
     */
    private void collect(long now, NodeId sender, Stream s) {
        long min = s.delivered;
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            Peer p = e.getValue();
            if (e.getKey().equals(sender) || (p.reportAt != Long.MIN_VALUE && now - p.reportAt >= config.failureTimeoutNanos())) {
                // A member whose reports stopped coming is repaired by the members that still hear
                // it (they keep its messages until it acknowledges them), not by us.
                continue;
            }
            Long ack = p.marks.get(sender);
            min = Math.min(min, ack == null ? 0 : ack);
        }
        while (!s.buffer.isEmpty() && s.buffer.firstKey() <= min) {
            s.bufferBytes -= s.buffer.pollFirstEntry().getValue().length;
        }
    }

    private void checkGap(long now, Stream s) {
        boolean gap = s.delivered >= 0 && s.delivered < s.known;
        if (!gap) {
            s.nextNackAt = Long.MAX_VALUE;
            s.rounds = 0;
        } else if (s.nextNackAt == Long.MAX_VALUE) {
            s.nextNackAt = now + config.nackDelayNanos();
        }
    }

    /**
     * Asks for what is missing of {@code sender}: from the sender itself when this member hears
     * it, else from a member it hears whose mark shows it has them; the next candidate on each
     * retry. After {@link MazeConfig#maxNackRounds()} rounds without progress, skips the first
     * missing range as lost.
     */
    private void nack(long now, NodeId sender, Stream s) {
        if (s.delivered < 0 || s.delivered >= s.known) {
            checkGap(now, s);
            return;
        }
        if (s.rounds >= config.maxNackRounds()) {
            long first = s.delivered + 1;
            long last = s.outOfOrder.isEmpty() ? s.known : s.outOfOrder.firstKey() - 1;
            lost += last - first + 1;
            s.delivered = last;
            emit(new MazeEvent.Lost(sender, first, last));
            drainOutOfOrder(sender, s);
            s.rounds = 0;
            s.nextNackAt = Long.MAX_VALUE;
            checkGap(now, s);
            return;
        }
        List<MazeMessage.SeqRange> ranges = missing(s);
        List<NodeId> candidates = new ArrayList<>();
        if (hearsDirectly(now, sender)) {
            candidates.add(sender);
        }
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            Long mark = e.getValue().marks.get(sender);
            if (!e.getKey().equals(sender) && mark != null && mark > s.delivered && hearsDirectly(now, e.getKey())) {
                candidates.add(e.getKey());
            }
        }
        if (!candidates.isEmpty() && !ranges.isEmpty()) {
            NodeId to = candidates.get(s.rounds % candidates.size());
            send(to, new MazeMessage.Nack(maze, sender, ranges));
            nacksSent++;
        }
        s.rounds++;
        s.nextNackAt = now + config.nackTimeoutNanos();
    }

    /** The missing sequence numbers after the delivered mark, as ranges within the codec's limits. */
    private static List<MazeMessage.SeqRange> missing(Stream s) {
        List<MazeMessage.SeqRange> out = new ArrayList<>();
        long budget = MazeCodec.MAX_NACK_SEQS;
        long next = s.delivered + 1;
        for (long held : s.outOfOrder.keySet()) {
            if (out.size() == MazeCodec.MAX_RANGES || budget == 0) {
                return out;
            }
            if (held > next) {
                long last = Math.min(held - 1, next + budget - 1);
                out.add(new MazeMessage.SeqRange(next, last));
                budget -= last - next + 1;
            }
            next = held + 1;
        }
        if (next <= s.known && out.size() < MazeCodec.MAX_RANGES && budget > 0) {
            out.add(new MazeMessage.SeqRange(next, Math.min(s.known, next + budget - 1)));
        }
        return out;
    }

    private void onNack(NodeId from, MazeMessage.Nack n) {
        Stream s = streams.get(n.sender());
        for (MazeMessage.SeqRange r : n.ranges()) {
            for (Map.Entry<Long, byte[]> e : s.buffer.subMap(r.first(), true, r.last(), true).entrySet()) {
                retransmissions++;
                send(from, new MazeMessage.Data(maze, n.sender(), e.getKey(), e.getValue(), true));
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void send(NodeId to, MazeMessage m) {
        if (transmits.size() >= config.maxOutbound()) {
            transmits.poll();
            outputDropped++;
        }
        messagesSent++;
        transmits.add(new Transmit(to, m));
    }

    private void emit(MazeEvent e) {
        events.add(e);
    }

    // ---------------------------------------------------------------- accessors

    public String maze() {
        return maze;
    }

    /** The maze's name, in normal form. */
    public String name() {
        return maze;
    }

    public int maxPayloadBytes() {
        return config.maxPayloadBytes();
    }

    @Override
    public int maxPayload() {
        return config.maxPayloadBytes();
    }

    public NodeId self() {
        return self;
    }

    public boolean isMember() {
        return phase == Phase.MEMBER;
    }

    /** The view: this node first, then the other members in the order they joined it. */
    public List<NodeId> members() {
        return phase == Phase.IDLE ? List.of() : view();
    }

    /** The members this node does not hear directly now (their messages come through others). */
    public List<NodeId> suspects() {
        List<NodeId> out = new ArrayList<>();
        peers.forEach((id, p) -> {
            if (p.suspect) {
                out.add(id);
            }
        });
        return out;
    }

    /** Highest sequence of {@code sender} delivered in order (for this node: sent); -1 if unknown. */
    public long deliveredMark(NodeId sender) {
        Stream s = streams.get(sender);
        return s == null ? -1 : s.delivered;
    }

    /** Messages kept to answer Nacks, over all senders. */
    public int retransmitBufferMessages() {
        return streams.values().stream().mapToInt(s -> s.buffer.size()).sum();
    }

    /** Largest retransmit buffer of one sender: {messages, bytes}. */
    public long[] largestRetransmitBuffer() {
        long n = 0;
        long b = 0;
        for (Stream s : streams.values()) {
            n = Math.max(n, s.buffer.size());
            b = Math.max(b, s.bufferBytes);
        }
        return new long[] {n, b};
    }

    /** Largest out-of-order buffer of one sender: {messages, bytes}. */
    public long[] largestOutOfOrderBuffer() {
        long n = 0;
        long b = 0;
        for (Stream s : streams.values()) {
            n = Math.max(n, s.outOfOrder.size());
            b = Math.max(b, s.outOfOrderBytes);
        }
        return new long[] {n, b};
    }

    public int queuedTransmits() {
        return transmits.size();
    }

    public long delivered() {
        return delivered;
    }

    public long duplicatesDropped() {
        return duplicates;
    }

    public long retransmissions() {
        return retransmissions;
    }

    public long relayed() {
        return relayed;
    }

    public long droppedFromNonMembers() {
        return droppedNonMember;
    }

    public long droppedForged() {
        return droppedForged;
    }

    public long droppedOversize() {
        return droppedOversize;
    }

    /** Joins refused because the joiner was in the other mode (private or public). */
    public long refusedForMode() {
        return droppedMode;
    }

    /** Messages dropped because the out-of-order buffer was full (they are asked for again). */
    public long droppedOverflow() {
        return droppedOverflow;
    }

    /** Messages skipped as unrecoverable. */
    public long lost() {
        return lost;
    }

    public long nacksSent() {
        return nacksSent;
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long messagesReceived() {
        return messagesReceived;
    }

    /** Heartbeats whose marks could not be read: their view was unknown or another than the one known. */
    public long reportsUnreadable() {
        return reportsUnreadable;
    }

    public long outputDropped() {
        return outputDropped;
    }
}
