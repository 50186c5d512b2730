package net.barn.core.overlay;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.random.RandomGenerator;
import net.barn.core.identity.NodeId;

/**
 * One node's membership in one namespace, as a sans-IO state machine: HyParView keeps a
 * small symmetric active view (the links messages travel over) and a larger passive view of
 * replacements, refreshed by shuffles; Plumtree broadcasts over the active view, pushing
 * eagerly along a spanning tree and lazily (IHave) along the other links, and grafts a link
 * into the tree when a message is announced but does not arrive.
 *
 * <p>Inputs are {@link #join}, {@link #leave}, {@link #broadcast} and the {@code handle…}
 * calls; outputs are {@link #pollTransmit()}, {@link #pollEvent()} and {@link #pollTimeout()}.
 * Time is a monotonic nanosecond clock; randomness is injected. Every collection is bounded:
 * the views by their sizes, the dedup and payload caches by size and age, pending grafts by
 * {@link #MAX_MISSING}, the output queues by {@link OverlayConfig#maxOutbound()}. Not
 * thread-safe: one driver owns it.
 */
public final class NamespaceOverlay {
    /** A message to send to a peer. */
    public record Transmit(NodeId to, OverlayMessage message) {}

    /** Messages announced but not yet received, tracked at most (more IHaves are ignored). */
    public static final int MAX_MISSING = 1024;
    /** Announcers remembered per missing message. */
    static final int MAX_ANNOUNCERS = 8;
    /** Grafts sent for one missing message before giving up on it. */
    static final int MAX_GRAFTS = 6;
    /** Own broadcasts kept while there is no active neighbour, sent to the first one. */
    static final int MAX_UNSENT = 64;

    /** An active neighbour, with its Plumtree role and failure-detector clocks. */
    private static final class Peer {
        boolean eager = true;
        long lastHeard;
        long lastSent;
        final List<OverlayMessage.Announcement> pendingIHave = new ArrayList<>();

        Peer(long now) {
            lastHeard = now;
            lastSent = now;
        }
    }

    /** A message announced by IHave and not yet received. */
    private static final class Missing {
        final ArrayDeque<NodeId> announcers = new ArrayDeque<>();
        long deadline;
        int grafts;
    }

    private record Due(long at, MessageId id) {}

    /** A delivered message, when it came and from whom (null: our own). */
    private record Cached(OverlayMessage.Gossip gossip, long at, NodeId from) {}

    private final OverlayConfig config;
    private final String namespace;
    private final NodeId self;
    private final RandomGenerator rng;

    private final LinkedHashMap<NodeId, Peer> active = new LinkedHashMap<>();
    private final List<NodeId> passive = new ArrayList<>();
    /** Neighbor requests in flight: peer to deadline. */
    private final LinkedHashMap<NodeId, Long> requests = new LinkedHashMap<>();
    private final ArrayDeque<NodeId> joinContacts = new ArrayDeque<>();
    private NodeId joinPending;
    private long joinDeadline = Long.MAX_VALUE;
    private boolean member;
    private boolean joinedReported;
    private boolean isolatedReported;
    private List<NodeId> lastShuffleSample = List.of();
    private long nextShuffle = Long.MAX_VALUE;
    /**
     * Passive peers that refused a Neighbor request (they are full), and until when not to ask
     * them again: a short active view asks every other passive peer first, then waits.
     */
    private final LinkedHashMap<NodeId, Long> refused = new LinkedHashMap<>();
    private boolean joinAttempted;
    private long lastNow;
    private long nextLazyFlush = Long.MAX_VALUE;

    /** Ids of messages seen, oldest first: dedup. */
    private final LinkedHashMap<MessageId, Long> seen = new LinkedHashMap<>();
    /** Messages delivered recently, oldest first: answers to Grafts. */
    private final LinkedHashMap<MessageId, Cached> payloads = new LinkedHashMap<>();
    private final LinkedHashMap<MessageId, Missing> missing = new LinkedHashMap<>();
    private final PriorityQueue<Due> dues = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));

    /** Own broadcasts made while the active view was empty (joining, or cut off). */
    private final ArrayDeque<OverlayMessage.Gossip> unsent = new ArrayDeque<>();
    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<OverlayEvent> events = new ArrayDeque<>();

    private long messagesSent;
    private long messagesReceived;
    private long gossipReceived;
    private long ihaveIdsReceived;
    private long duplicates;
    private long grafts;
    private long ignored;
    private long outputDropped;
    private long filtered;
    private GossipFilter gossipFilter = (from, g) -> null;
    private java.util.function.Predicate<NodeId> shunned = p -> false;

    /**
     * Judges a broadcast the first time it arrives, before it is delivered or relayed: null
     * lets it through, a reason drops it (it is remembered as seen, so not asked for again).
     */
    @FunctionalInterface
    public interface GossipFilter {
        String refuse(NodeId from, OverlayMessage.Gossip gossip);
    }

    public NamespaceOverlay(OverlayConfig config, String namespace, NodeId self, RandomGenerator rng) {
        if (!OverlayCodec.validNamespace(namespace)) {
            throw new IllegalArgumentException("bad namespace name: " + namespace);
        }
        this.config = config;
        this.namespace = namespace;
        this.self = self;
        this.rng = rng;
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Joins through {@code contacts} (members found in the root network): sends Join to the
     * first and tries the next if it does not answer; once one accepts, the unused contacts
     * become passive peers. With no contacts this node is the namespace's first member (or its
     * last survivor) and waits to be joined.
     */
    public void join(long now, List<NodeId> contacts) {
        lastNow = now;
        if (!member) {
            member = true;
            joinedReported = false;
            joinAttempted = false;
            nextShuffle = now + jittered(config.shufflePeriodNanos());
        }
        if (!contacts.isEmpty()) {
            // With no contacts the node waits to be joined; reporting isolation again would
            // only send the application back for contacts it does not have.
            isolatedReported = false;
            joinAttempted = true;
        }
        joinContacts.clear();
        for (NodeId c : contacts) {
            if (joinContacts.size() < OverlayCodec.MAX_SAMPLE && !c.equals(self) && !active.containsKey(c)
                    && !joinContacts.contains(c)) {
                joinContacts.add(c);
            }
        }
        if (joinPending == null) {
            sendNextJoin(now);
        }
    }

    /** Leaves the namespace: tells every active neighbour (Disconnect, leaving) and forgets all state. */
    public void leave(long now) {
        lastNow = now;
        if (!member) {
            return;
        }
        for (NodeId p : List.copyOf(active.keySet())) {
            send(p, new OverlayMessage.Disconnect(namespace, true));
            emit(new OverlayEvent.NeighborDown(p));
        }
        member = false;
        active.clear();
        passive.clear();
        requests.clear();
        refused.clear();
        joinContacts.clear();
        joinPending = null;
        joinDeadline = Long.MAX_VALUE;
        missing.clear();
        dues.clear();
        unsent.clear();
        nextShuffle = nextLazyFlush = Long.MAX_VALUE;
    }

    /**
     * Broadcasts {@code payload} to every member: eagerly to eager peers, announced to lazy ones.
     * The origin does not deliver its own message.
     */
    public MessageId broadcast(long now, byte[] payload) {
        return broadcast(now, OverlayMessage.Gossip.APPLICATION, payload);
    }

    /** Broadcasts {@code payload} of gossip kind {@code kind} (see {@link OverlayMessage.Gossip}). */
    public MessageId broadcast(long now, int kind, byte[] payload) {
        if (payload.length > config.maxPayloadBytes()) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes, limit " + config.maxPayloadBytes());
        }
        if (!member) {
            throw new IllegalStateException("not a member of " + namespace + ": join first");
        }
        lastNow = now;
        MessageId id = MessageId.random(rng);
        byte[] body = payload.clone();
        OverlayMessage.Gossip g = signer == null ? new OverlayMessage.Gossip(namespace, id, self, 1, body, kind)
                : new OverlayMessage.Gossip(namespace, id, self, 1, body, kind, signer.publicKey(),
                        signer.sign(OverlayMessage.Gossip.signedBytes(namespace, id, self, kind, body)));
        remember(now, g, null);
        if (active.isEmpty()) {
            // Nobody to tell yet: hold it for the first neighbour rather than lose it.
            if (unsent.size() >= MAX_UNSENT) {
                unsent.poll();
                outputDropped++;
            }
            unsent.add(g);
        } else {
            push(now, g, null);
        }
        return id;
    }

    // ---------------------------------------------------------------- inputs

    /** A message from {@code from}, already decoded and validated by {@link OverlayCodec}. */
    public void handleMessage(long now, NodeId from, OverlayMessage m) {
        lastNow = now;
        if (from.equals(self) || !m.namespace().equals(namespace) || shunned.test(from)) {
            ignored++;
            return;
        }
        if (!member) {
            // Whoever still counts on us learns we are gone; a Disconnect itself needs no answer.
            if (!(m instanceof OverlayMessage.Disconnect)) {
                send(from, new OverlayMessage.Disconnect(namespace, true));
            }
            return;
        }
        messagesReceived++;
        Peer peer = active.get(from);
        if (peer != null) {
            peer.lastHeard = now;
        }
        switch (m) {
            case OverlayMessage.Join j -> onJoin(now, from);
            case OverlayMessage.ForwardJoin f -> onForwardJoin(now, from, f);
            case OverlayMessage.Neighbor n -> onNeighbor(now, from, n.priority());
            case OverlayMessage.NeighborReply r -> onNeighborReply(now, from, r.accepted());
            case OverlayMessage.Disconnect d -> onDisconnect(now, from, d.leaving());
            case OverlayMessage.Shuffle s -> onShuffle(now, from, s);
            case OverlayMessage.ShuffleReply r -> integrate(r.sample(), lastShuffleSample);
            case OverlayMessage.Gossip g -> onGossip(now, from, g);
            case OverlayMessage.IHave h -> onIHave(now, from, h.announcements());
            case OverlayMessage.Graft g -> onGraft(now, from, g.ids());
            case OverlayMessage.Prune p -> {
                if (peer != null) {
                    peer.eager = false;
                }
            }
            case OverlayMessage.Heartbeat h -> {
                if (peer == null) {
                    // The sender holds us as a neighbour but we do not: make the views symmetric again.
                    send(from, new OverlayMessage.Disconnect(namespace, false));
                }
            }
        }
    }

    private net.barn.core.crypto.Signer signer;
    private net.barn.core.dht.SignatureVerifier verifier;
    private long badSignatures;

    /**
     * Signs this member's broadcasts with {@code signer}, and takes in only broadcasts signed by
     * their origin's own key (checked with {@code verifier}): a relay cannot pass its own off as
     * another member's. Others are seen (neither asked for again nor relayed) and counted.
     */
    public void signBroadcasts(net.barn.core.crypto.Signer signer, net.barn.core.dht.SignatureVerifier verifier) {
        this.signer = signer;
        this.verifier = verifier;
    }

    /** Broadcasts refused for a missing or bad origin signature. */
    public long badSignatures() {
        return badSignatures;
    }

    public void filterGossip(GossipFilter filter) {
        this.gossipFilter = filter;
    }

    /**
     * Sets which peers this member will not hear from or hold in its views (excluded from the
     * namespace); the driver keeps the set bounded. Call {@link #evict} when a peer joins it.
     */
    public void shun(java.util.function.Predicate<NodeId> shunned) {
        this.shunned = shunned;
    }

    /** Drops {@code peer} from both views now (it was excluded), telling it, and replaces it. */
    public void evict(long now, NodeId peer) {
        lastNow = now;
        if (member && active.containsKey(peer)) {
            send(peer, new OverlayMessage.Disconnect(namespace, false));
        }
        if (member) {
            failed(now, peer);
        }
    }

    /** The transport lost its link to {@code peer} (or could not open one): treat the peer as failed. */
    public void handleLinkDown(long now, NodeId peer) {
        lastNow = now;
        if (member) {
            failed(now, peer);
        }
    }

    /** Runs whatever is due: failure detection, heartbeats, request timeouts, IHave batches, grafts, shuffles. */
    public void handleTimeout(long now) {
        lastNow = now;
        if (!member) {
            return;
        }
        for (Map.Entry<NodeId, Peer> e : List.copyOf(active.entrySet())) {
            Peer p = e.getValue();
            if (now - p.lastHeard >= config.failureTimeoutNanos()) {
                failed(now, e.getKey());
            } else if (now - p.lastSent >= config.heartbeatIntervalNanos()) {
                send(e.getKey(), new OverlayMessage.Heartbeat(namespace));
            }
        }
        for (Map.Entry<NodeId, Long> e : List.copyOf(requests.entrySet())) {
            if (now >= e.getValue()) {
                requests.remove(e.getKey());
                passive.remove(e.getKey()); // it did not answer: probably gone
            }
        }
        if (joinPending != null && now >= joinDeadline) {
            passive.remove(joinPending);
            joinPending = null;
            joinDeadline = Long.MAX_VALUE;
            sendNextJoin(now);
        }
        if (now >= nextLazyFlush) {
            flushIHaves();
        }
        while (!dues.isEmpty() && dues.peek().at <= now) {
            graftDue(now, dues.poll());
        }
        if (now >= nextShuffle) {
            shuffle();
            nextShuffle = now + jittered(config.shufflePeriodNanos());
        }
        expire(now);
        fillActive(now);
    }

    // ---------------------------------------------------------------- outputs

    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public OverlayEvent pollEvent() {
        return events.poll();
    }

    /** When {@link #handleTimeout} next has something to do; {@code Long.MAX_VALUE} for never. */
    public long pollTimeout() {
        if (!member) {
            return Long.MAX_VALUE;
        }
        long t = Math.min(nextShuffle, nextLazyFlush);
        t = Math.min(t, joinDeadline);
        if (!dues.isEmpty()) {
            t = Math.min(t, dues.peek().at);
        }
        for (Peer p : active.values()) {
            t = Math.min(t, Math.min(p.lastHeard + config.failureTimeoutNanos(), p.lastSent + config.heartbeatIntervalNanos()));
        }
        for (long deadline : requests.values()) {
            t = Math.min(t, deadline);
        }
        if (active.size() + requests.size() < config.activeViewSize() && joinPending == null) {
            if (hasCandidate(lastNow)) {
                t = lastNow;
            } else {
                for (Map.Entry<NodeId, Long> e : refused.entrySet()) {
                    if (passive.contains(e.getKey())) {
                        t = Math.min(t, e.getValue());
                    }
                }
            }
        }
        return t;
    }

    // ---------------------------------------------------------------- HyParView

    private void sendNextJoin(long now) {
        NodeId c = joinContacts.poll();
        if (c == null) {
            joinPending = null;
            joinDeadline = Long.MAX_VALUE;
            fillActive(now);
            return;
        }
        joinPending = c;
        joinDeadline = now + config.requestTimeoutNanos();
        send(c, new OverlayMessage.Join(namespace));
    }

    private void onJoin(long now, NodeId joiner) {
        boolean known = active.containsKey(joiner);
        addActive(now, joiner);
        send(joiner, new OverlayMessage.NeighborReply(namespace, true));
        if (!known) {
            for (NodeId p : List.copyOf(active.keySet())) {
                if (!p.equals(joiner)) {
                    send(p, new OverlayMessage.ForwardJoin(namespace, joiner, config.activeRandomWalkLength()));
                }
            }
        }
    }

    private void onForwardJoin(long now, NodeId from, OverlayMessage.ForwardJoin f) {
        NodeId joiner = f.newMember();
        if (joiner.equals(self) || shunned.test(joiner)) {
            return;
        }
        int ttl = Math.min(f.ttl(), config.activeRandomWalkLength()); // a peer may not make walks longer than ours
        if (ttl > 0 && active.size() > 1) {
            if (ttl == config.passiveRandomWalkLength()) {
                addPassive(joiner, List.of());
            }
            NodeId next = randomActiveExcept(from, joiner);
            if (next != null) {
                send(next, new OverlayMessage.ForwardJoin(namespace, joiner, ttl - 1));
                return;
            }
        }
        // The walk ends here: take the new member as a neighbour; it must accept (HIGH).
        if (!active.containsKey(joiner)) {
            addActive(now, joiner);
            send(joiner, new OverlayMessage.Neighbor(namespace, OverlayMessage.Priority.HIGH));
        }
    }

    private void onNeighbor(long now, NodeId from, OverlayMessage.Priority priority) {
        boolean accept = active.containsKey(from) || priority == OverlayMessage.Priority.HIGH
                || active.size() < config.activeViewSize();
        if (accept) {
            addActive(now, from);
        }
        send(from, new OverlayMessage.NeighborReply(namespace, accept));
    }

    private void onNeighborReply(long now, NodeId from, boolean accepted) {
        if (from.equals(joinPending)) {
            joinPending = null;
            joinDeadline = Long.MAX_VALUE;
            if (accepted) {
                addActive(now, from);
                // The contacts not needed for the Join are good replacements.
                for (NodeId c : joinContacts) {
                    addPassive(c, List.of());
                }
                joinContacts.clear();
            } else {
                sendNextJoin(now);
            }
            return;
        }
        if (requests.remove(from) != null) {
            if (accepted) {
                if (active.containsKey(from) || active.size() < config.activeViewSize()) {
                    addActive(now, from);
                } else {
                    // Filled up meanwhile (a join or a HIGH request): undo the peer's side.
                    send(from, new OverlayMessage.Disconnect(namespace, false));
                }
            } else {
                // Refused (it is full): ask another passive peer now, this one only after a while.
                refused.put(from, now + config.shufflePeriodNanos());
                fillActive(now);
            }
            return;
        }
        if (accepted && !active.containsKey(from)) {
            // An answer we no longer wait for (timed out): the peer holds us, we do not hold it.
            send(from, new OverlayMessage.Disconnect(namespace, false));
        }
    }

    private void onDisconnect(long now, NodeId from, boolean leaving) {
        if (active.remove(from) != null) {
            lostNeighbor(from);
            if (!leaving) {
                addPassive(from, List.of());
            }
        }
        if (leaving) {
            passive.remove(from);
        }
        if (requests.remove(from) != null || from.equals(joinPending)) {
            if (from.equals(joinPending)) {
                joinPending = null;
                joinDeadline = Long.MAX_VALUE;
                sendNextJoin(now);
            }
        }
        fillActive(now);
    }

    private void onShuffle(long now, NodeId from, OverlayMessage.Shuffle s) {
        if (s.origin().equals(self)) {
            return;
        }
        int ttl = Math.min(s.ttl(), config.activeRandomWalkLength()) - 1;
        if (ttl > 0 && active.size() > 1) {
            NodeId next = randomActiveExcept(from, s.origin());
            if (next != null) {
                send(next, new OverlayMessage.Shuffle(namespace, s.origin(), ttl, s.sample()));
                return;
            }
        }
        List<NodeId> reply = randomSubset(passive, s.sample().size(), s.origin());
        send(s.origin(), new OverlayMessage.ShuffleReply(namespace, reply));
        integrate(s.sample(), reply);
    }

    private void shuffle() {
        if (active.isEmpty()) {
            return;
        }
        List<NodeId> sample = new ArrayList<>();
        sample.add(self);
        sample.addAll(randomSubset(new ArrayList<>(active.keySet()), config.shuffleActive(), null));
        sample.addAll(randomSubset(passive, config.shufflePassive(), null));
        lastShuffleSample = List.copyOf(sample);
        NodeId to = randomActiveExcept(null, null);
        send(to, new OverlayMessage.Shuffle(namespace, self, config.activeRandomWalkLength(), sample));
    }

    /** Adds a shuffle sample to the passive view, evicting first the peers we just sent away. */
    private void integrate(List<NodeId> sample, List<NodeId> preferEvict) {
        for (NodeId n : sample) {
            addPassive(n, preferEvict);
        }
    }

    private void addActive(long now, NodeId p) {
        if (p.equals(self) || shunned.test(p)) {
            return;
        }
        Peer existing = active.get(p);
        if (existing != null) {
            existing.lastHeard = now;
            return;
        }
        if (active.size() >= config.activeViewSize()) {
            NodeId drop = randomActiveExcept(p, null);
            active.remove(drop);
            send(drop, new OverlayMessage.Disconnect(namespace, false));
            lostNeighbor(drop);
            addPassive(drop, List.of());
        }
        passive.remove(p);
        requests.remove(p);
        active.put(p, new Peer(now));
        emit(new OverlayEvent.NeighborUp(p));
        while (!unsent.isEmpty()) {
            OverlayMessage.Gossip g = unsent.poll();
            if (payloads.containsKey(g.id())) { // not aged out meanwhile
                send(p, g);
            }
        }
        isolatedReported = false;
        if (!joinedReported) {
            joinedReported = true;
            emit(new OverlayEvent.Joined(active.size()));
        }
    }

    private void addPassive(NodeId p, List<NodeId> preferEvict) {
        if (p.equals(self) || active.containsKey(p) || passive.contains(p) || shunned.test(p)) {
            return;
        }
        if (passive.size() >= config.passiveViewSize()) {
            int victim = -1;
            for (NodeId e : preferEvict) {
                int i = passive.indexOf(e);
                if (i >= 0 && !requests.containsKey(e)) {
                    victim = i;
                    break;
                }
            }
            passive.remove(victim >= 0 ? victim : rng.nextInt(passive.size()));
        }
        passive.add(p);
    }

    /** An active neighbour failed (silent, link down): drop it from both views and replace it. */
    private void failed(long now, NodeId p) {
        if (active.remove(p) != null) {
            lostNeighbor(p);
        }
        passive.remove(p);
        requests.remove(p);
        if (p.equals(joinPending)) {
            joinPending = null;
            joinDeadline = Long.MAX_VALUE;
            sendNextJoin(now);
        }
        fillActive(now);
    }

    /** Plumtree's NeighborDown: forget the peer's role and its announcements. */
    private void lostNeighbor(NodeId p) {
        emit(new OverlayEvent.NeighborDown(p));
        for (Missing mi : missing.values()) {
            mi.announcers.remove(p);
        }
    }

    /**
     * Promotes passive peers while the active view (counting requests in flight) is short:
     * Neighbor with HIGH priority when there is no active neighbour at all, LOW otherwise.
     */
    private void fillActive(long now) {
        if (!member) {
            return;
        }
        // While a Join is under way, its ForwardJoin walks bring the neighbours.
        refused.entrySet().removeIf(e -> e.getValue() <= now || !passive.contains(e.getKey()));
        while (active.size() + requests.size() < config.activeViewSize() && joinPending == null) {
            List<NodeId> candidates = new ArrayList<>();
            for (NodeId p : passive) {
                if (candidate(p, now)) {
                    candidates.add(p);
                }
            }
            if (candidates.isEmpty()) {
                break;
            }
            NodeId c = candidates.get(rng.nextInt(candidates.size()));
            requests.put(c, now + config.requestTimeoutNanos());
            send(c, new OverlayMessage.Neighbor(namespace,
                    active.isEmpty() ? OverlayMessage.Priority.HIGH : OverlayMessage.Priority.LOW));
        }
        if (active.isEmpty() && passive.isEmpty() && requests.isEmpty() && joinPending == null
                && (joinedReported || joinAttempted) && !isolatedReported) {
            isolatedReported = true;
            emit(new OverlayEvent.Isolated());
        }
    }

    private boolean candidate(NodeId p, long now) {
        Long until = refused.get(p);
        return !requests.containsKey(p) && (until == null || until <= now);
    }

    private boolean hasCandidate(long now) {
        for (NodeId p : passive) {
            if (candidate(p, now)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- Plumtree

    private void onGossip(long now, NodeId from, OverlayMessage.Gossip g) {
        gossipReceived++;
        if (g.payload().length > config.maxPayloadBytes()) {
            ignored++;
            return;
        }
        Peer sender = active.get(from);
        if (seen.containsKey(g.id())) {
            duplicates++;
            if (sender != null) {
                // A second copy over this link: the link is redundant in the tree, make it lazy on both ends.
                sender.eager = false;
                send(from, new OverlayMessage.Prune(namespace));
            }
            return;
        }
        missing.remove(g.id());
        String refusal = verifier == null ? null : g.signatureProblem(verifier);
        if (refusal != null) {
            badSignatures++;
        } else {
            refusal = gossipFilter.refuse(from, g);
        }
        if (refusal != null) {
            // Seen, so neither asked for again nor relayed; never delivered.
            seen.put(g.id(), now);
            expire(now);
            filtered++;
            return;
        }
        remember(now, g, from);
        emit(new OverlayEvent.Delivered(g.id(), g.origin(), g.payload(), g.hops(), g.kind()));
        if (sender != null) {
            sender.eager = true;
        }
        if (g.hops() < OverlayCodec.MAX_HOPS) {
            push(now, g.withHops(g.hops() + 1), from);
        }
    }

    /** Eager push to eager peers, IHave (batched) to lazy ones; never back to the sender or the origin. */
    private void push(long now, OverlayMessage.Gossip g, NodeId from) {
        for (Map.Entry<NodeId, Peer> e : active.entrySet()) {
            NodeId p = e.getKey();
            if (p.equals(from) || p.equals(g.origin())) {
                continue;
            }
            Peer peer = e.getValue();
            if (peer.eager) {
                send(p, g);
            } else {
                peer.pendingIHave.add(new OverlayMessage.Announcement(g.id(), g.hops()));
                if (peer.pendingIHave.size() >= OverlayCodec.MAX_IDS) {
                    flushIHave(p, peer);
                } else if (nextLazyFlush == Long.MAX_VALUE) {
                    nextLazyFlush = now + config.lazyPushDelayNanos();
                }
            }
        }
        if (config.lazyPushDelayNanos() == 0) {
            flushIHaves();
        }
    }

    private void flushIHaves() {
        nextLazyFlush = Long.MAX_VALUE;
        for (Map.Entry<NodeId, Peer> e : List.copyOf(active.entrySet())) {
            if (!e.getValue().pendingIHave.isEmpty()) {
                flushIHave(e.getKey(), e.getValue());
            }
        }
    }

    private void flushIHave(NodeId p, Peer peer) {
        send(p, new OverlayMessage.IHave(namespace, peer.pendingIHave));
        peer.pendingIHave.clear();
    }

    private void onIHave(long now, NodeId from, List<OverlayMessage.Announcement> announcements) {
        ihaveIdsReceived += announcements.size();
        if (!active.containsKey(from)) {
            return; // only neighbours answer Grafts, so only their announcements help
        }
        for (OverlayMessage.Announcement a : announcements) {
            MessageId id = a.id();
            if (seen.containsKey(id)) {
                optimize(from, a);
                continue;
            }
            Missing mi = missing.get(id);
            if (mi == null) {
                if (missing.size() >= MAX_MISSING) {
                    continue;
                }
                mi = new Missing();
                mi.deadline = now + config.ihaveTimeoutNanos();
                missing.put(id, mi);
                if (dues.size() >= 2 * MAX_MISSING) {
                    // Timers of messages that arrived meanwhile linger until due: drop them now.
                    dues.clear();
                    missing.forEach((k, v) -> dues.add(new Due(v.deadline, k)));
                } else {
                    dues.add(new Due(mi.deadline, id));
                }
            }
            if (!mi.announcers.contains(from) && mi.announcers.size() < MAX_ANNOUNCERS) {
                mi.announcers.add(from);
            }
        }
    }

    /**
     * Plumtree's tree optimisation: the message came over the tree, but this lazy peer had it
     * at least {@code optimizationHops} hops closer to the origin. Swap the links: graft the
     * announcer (a Graft with no ids) and prune the peer the copy came from.
     */
    private void optimize(NodeId announcer, OverlayMessage.Announcement a) {
        if (config.optimizationHops() == 0) {
            return;
        }
        Cached c = payloads.get(a.id());
        if (c == null || c.from() == null || c.from().equals(announcer)
                || a.hops() + config.optimizationHops() > c.gossip().hops()) {
            return;
        }
        Peer parent = active.get(c.from());
        Peer better = active.get(announcer);
        if (parent == null || better == null || better.eager) {
            return;
        }
        better.eager = true;
        send(announcer, new OverlayMessage.Graft(namespace, List.of()));
        parent.eager = false;
        send(c.from(), new OverlayMessage.Prune(namespace));
        OverlayMessage.Gossip g = c.gossip();
        payloads.put(a.id(), new Cached(g.withHops(a.hops()), c.at(), announcer));
    }

    /** A missing message's timer: graft it from the next announcer, which also repairs the tree. */
    private void graftDue(long now, Due due) {
        Missing mi = missing.get(due.id());
        if (mi == null || mi.deadline != due.at()) {
            return; // received meanwhile, or superseded by a later timer
        }
        NodeId from = mi.announcers.poll();
        if (from == null || mi.grafts >= MAX_GRAFTS) {
            missing.remove(due.id());
            return;
        }
        mi.announcers.add(from); // rotate: if it does not come, ask the next one, then this one again
        mi.grafts++;
        grafts++;
        Peer p = active.get(from);
        if (p != null) {
            p.eager = true;
        }
        send(from, new OverlayMessage.Graft(namespace, List.of(due.id())));
        mi.deadline = now + config.graftRetryNanos();
        dues.add(new Due(mi.deadline, due.id()));
    }

    private void onGraft(long now, NodeId from, List<MessageId> ids) {
        Peer p = active.get(from);
        if (p == null) {
            return; // a non-neighbour may not pull payloads (it would amplify)
        }
        p.eager = true;
        for (MessageId id : ids) {
            Cached c = payloads.get(id);
            if (c != null) {
                OverlayMessage.Gossip g = c.gossip();
                send(from, g.withHops(Math.min(OverlayCodec.MAX_HOPS, g.hops() + 1)));
            }
        }
    }

    private void remember(long now, OverlayMessage.Gossip g, NodeId from) {
        seen.put(g.id(), now);
        payloads.put(g.id(), new Cached(g, now, from));
        expire(now);
    }

    /** Bounds the dedup and payload caches by size and age. */
    private void expire(long now) {
        trim(seen, config.dedupCacheSize(), now - config.dedupAgeNanos(), at -> at);
        trim(payloads, config.payloadCacheSize(), now - config.payloadKeepNanos(), Cached::at);
    }

    private static <V> void trim(LinkedHashMap<MessageId, V> map, int max, long notBefore,
            java.util.function.ToLongFunction<V> at) {
        Iterator<V> it = map.values().iterator();
        while (it.hasNext()) {
            V v = it.next();
            if (map.size() > max || at.applyAsLong(v) < notBefore) {
                it.remove();
            } else {
                break;
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private void send(NodeId to, OverlayMessage m) {
        if (transmits.size() >= config.maxOutbound()) {
            transmits.poll(); // the driver is not draining us: shed the oldest rather than grow
            outputDropped++;
        }
        transmits.add(new Transmit(to, m));
        messagesSent++;
        Peer p = active.get(to);
        if (p != null) {
            p.lastSent = lastNow;
        }
    }

    private void emit(OverlayEvent e) {
        if (events.size() >= config.maxOutbound()) {
            events.poll();
            outputDropped++;
        }
        events.add(e);
    }

    private NodeId randomActiveExcept(NodeId a, NodeId b) {
        List<NodeId> c = new ArrayList<>(active.size());
        for (NodeId p : active.keySet()) {
            if (!p.equals(a) && !p.equals(b)) {
                c.add(p);
            }
        }
        return c.isEmpty() ? null : c.get(rng.nextInt(c.size()));
    }

    private List<NodeId> randomSubset(List<NodeId> from, int n, NodeId exclude) {
        List<NodeId> pool = new ArrayList<>(from);
        if (exclude != null) {
            pool.remove(exclude);
        }
        List<NodeId> out = new ArrayList<>(Math.min(n, pool.size()));
        while (out.size() < n && !pool.isEmpty()) {
            out.add(pool.remove(rng.nextInt(pool.size())));
        }
        return out;
    }

    private long jittered(long period) {
        return period * 3 / 4 + (long) (rng.nextDouble() * period / 2);
    }

    // ---------------------------------------------------------------- accessors

    public String namespace() {
        return namespace;
    }

    public NodeId self() {
        return self;
    }

    public boolean isMember() {
        return member;
    }

    public List<NodeId> activeView() {
        return List.copyOf(active.keySet());
    }

    public List<NodeId> passiveView() {
        return List.copyOf(passive);
    }

    /** Active neighbours messages are pushed to eagerly (the broadcast tree's links from here). */
    public List<NodeId> eagerPeers() {
        return active.entrySet().stream().filter(e -> e.getValue().eager).map(Map.Entry::getKey).toList();
    }

    public List<NodeId> lazyPeers() {
        return active.entrySet().stream().filter(e -> !e.getValue().eager).map(Map.Entry::getKey).toList();
    }

    public int dedupCacheSize() {
        return seen.size();
    }

    public int payloadCacheSize() {
        return payloads.size();
    }

    public int missingCount() {
        return missing.size();
    }

    public int queuedTransmits() {
        return transmits.size();
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long messagesReceived() {
        return messagesReceived;
    }

    /** Gossip messages received, first copies and duplicates. */
    public long gossipReceived() {
        return gossipReceived;
    }

    public long ihaveIdsReceived() {
        return ihaveIdsReceived;
    }

    public long duplicates() {
        return duplicates;
    }

    public long graftsSent() {
        return grafts;
    }

    /** Messages dropped on receipt: wrong namespace, from ourselves, oversize payload. */
    public long ignored() {
        return ignored;
    }

    /** Transmits and events shed because the driver did not poll them. */
    /** Broadcasts the {@link GossipFilter} refused. */
    public long filtered() {
        return filtered;
    }

    public long outputDropped() {
        return outputDropped;
    }
}
