package net.barn.core.dht;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.reputation.Reputation;

/**
 * One iterative lookup: for the contacts closest to a target (FIND_NODE) or for a record
 * (FIND_VALUE). It runs on {@code d} disjoint paths in the S/Kademlia way: the starting
 * contacts are dealt out to the paths, and a node answers on at most one path, so a lookup
 * succeeds as long as one path avoids the attacker's nodes. Each path keeps {@code alpha}
 * requests in flight and ends once its k closest live candidates have all answered.
 *
 * <p>A path counts at most {@code perGroup} candidates of one IPv4 /16 (IPv6 /32) among the
 * k it works through ({@link DhtConfig#lookupPerGroup}, 2 by default): the others of that group are neither asked nor waited for. A node
 * that answers with many contacts near the target from a few address blocks (Sybils) then
 * cannot fill a path's working set and end it; the path goes on to candidates from other
 * blocks. Loopback addresses are exempt, as in the routing table.
 *
 * <p>A wide lookup ({@link DhtConfig#lookupWidth} w > k, 3k by default) does not end at the k
 * nearest: a path also asks every start contact (the k nearest in the table and a couple from
 * every bucket, so one bucket full of an adversary's nodes cannot capture the start), and the w
 * nearest candidates that a responder farther from the target than they are named. An adversary
 * that answers only with its own nodes near the target fills the k nearest, but honest
 * responders' suggestions stay in the window and are asked, and lead to the honest nodes near
 * the target. A contact named only by responders nearer the target than itself (what an
 * adversary answering each request with fresh nodes must do once asked its nearest) is asked
 * only if among the k nearest, so such answers cannot push honest suggestions out of the window.
 *
 * <p>With a local reputation ({@link Reputation}), a path asks, among the fresh candidates
 * of its working set, those in the nearest distance class first (the same shared-prefix length
 * with the target) and within a class the better-scored first; a {@linkplain Reputation#POOR
 * poor} candidate is asked only once no path has anything else to ask or wait for. The working
 * set, and so when a lookup ends, stays the k nearest by XOR distance: reputation only changes
 * the order, and lets a read that reaches its quorum end without ever asking a poor peer.
 *
 * <p>Bound checking ({@link DhtConfig#lookupBound}, D = 8 by default): a contact in an answer
 * that shares more than D bits more of its prefix with the target than the responder does is
 * dropped, since the responder's routing table cannot hold it (see {@link #beyondBound}). An
 * adversary that answers every request with its own nodes nearest the target, wherever it
 * sits, then cannot jump a path to the end from far away; it must come closer a hop at a time.
 */
final class Lookup {
    enum Kind { NODES, VALUE }

    /** An answer naming this many contacts beyond the bound, or more, counts as a wrong answer in local reputation. */
    static final int WRONG_BEYOND = 2;


    enum State { FRESH, WAITING, ANSWERED, FAILED }

    static final class Candidate {
        final Contact contact;
        final int path;
        final int depth;
        State state = State.FRESH;
        /** A start contact, or named by a responder farther from the target than it is. */
        boolean forward;
        long sentAt;
        boolean stallSeen;

        Candidate(Contact contact, int path, int depth) {
            this.contact = contact;
            this.path = path;
            this.depth = depth;
        }
    }

    private static final class Path {
        final ArrayList<Candidate> sorted = new ArrayList<>();
        int inFlight;
    }

    /** A record a responder returned, and how deep in the lookup it was. */
    record Answer(Contact from, Record record, int depth) {}

    final long id;
    final Kind kind;
    final Key target;
    final int recordType;
    final long startedNanos;
    final long deadlineNanos;
    private final NodeId self;
    private final int k;
    private final int alpha;
    private final int quorum;
    private final long stallNanos;
    private final Path[] paths;
    private final Map<NodeId, Candidate> candidates = new HashMap<>();
    private final List<Answer> values = new ArrayList<>();
    /** Requests in the order sent, so the next stall time is at the head (stall time is constant). */
    private final java.util.ArrayDeque<Candidate> sentOrder = new java.util.ArrayDeque<>();
    private int requests;
    private final int perGroup;
    private int quorumDepth;
    private boolean quorumReached;
    /** This node's score of a peer (0..1), or null to ask in distance order only. */
    private final ToDoubleFunction<NodeId> score;
    /** D of the bound check ({@link DhtConfig#lookupBound}); {@link DhtConfig#LOOKUP_BOUND_OFF} or more: none. */
    private final int bound;
    /** Live candidates a path works through before it may end ({@link DhtConfig#lookupWidth}, at least k). */
    private final int window;
    /**
     * Requests in flight per path counting those to candidates past the k nearest: a wide path
     * asks them beside its adaptive search of the k nearest (alpha in flight), not after it, so
     * it takes about as many round trips as a narrow one. A read keeps alpha.
     */
    private final int wideAlpha;

    Lookup(long id, Kind kind, Key target, int recordType, NodeId self, List<Contact> start, int d, int k, int alpha,
            int quorum, long nowNanos, long timeoutNanos, long stallNanos, int perGroup) {
        this(id, kind, target, recordType, self, start, d, k, alpha, quorum, nowNanos, timeoutNanos, stallNanos, perGroup, null);
    }

    Lookup(long id, Kind kind, Key target, int recordType, NodeId self, List<Contact> start, int d, int k, int alpha,
            int quorum, long nowNanos, long timeoutNanos, long stallNanos, int perGroup, ToDoubleFunction<NodeId> score) {
        this(id, kind, target, recordType, self, start, d, k, alpha, quorum, nowNanos, timeoutNanos, stallNanos, perGroup, score,
                DhtConfig.LOOKUP_BOUND_OFF);
    }

    Lookup(long id, Kind kind, Key target, int recordType, NodeId self, List<Contact> start, int d, int k, int alpha,
            int quorum, long nowNanos, long timeoutNanos, long stallNanos, int perGroup, ToDoubleFunction<NodeId> score,
            int bound) {
        this(id, kind, target, recordType, self, start, d, k, alpha, quorum, nowNanos, timeoutNanos, stallNanos, perGroup, score,
                bound, k);
    }

    Lookup(long id, Kind kind, Key target, int recordType, NodeId self, List<Contact> start, int d, int k, int alpha,
            int quorum, long nowNanos, long timeoutNanos, long stallNanos, int perGroup, ToDoubleFunction<NodeId> score,
            int bound, int width) {
        this.window = Math.max(k, width);
        // A read usually ends at its quorum among the nearest: asking the far ones at once would only add requests.
        this.wideAlpha = kind == Kind.VALUE ? alpha : alpha * window / k;
        this.bound = bound;
        this.score = score;
        this.stallNanos = stallNanos;
        this.perGroup = perGroup;
        this.id = id;
        this.kind = kind;
        this.target = target;
        this.recordType = recordType;
        this.self = self;
        this.k = k;
        this.alpha = alpha;
        this.quorum = quorum;
        this.startedNanos = nowNanos;
        this.deadlineNanos = nowNanos + timeoutNanos;
        int pathCount = Math.max(1, Math.min(d, start.size()));
        this.paths = new Path[pathCount];
        for (int i = 0; i < pathCount; i++) {
            paths[i] = new Path();
        }
        List<Contact> ordered = new ArrayList<>(start);
        ordered.sort((a, b) -> target.compareDistance(a.key(), b.key()));
        int next = 0;
        for (Contact c : ordered) {
            if (!c.id().equals(self) && c.isReachable() && !candidates.containsKey(c.id())) {
                Candidate start0 = new Candidate(c, next % pathCount, 1);
                start0.forward = true;
                add(start0);
                next++;
            }
        }
    }

    private void add(Candidate c) {
        candidates.put(c.contact.id(), c);
        ArrayList<Candidate> list = paths[c.path].sorted;
        int lo = 0;
        int hi = list.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (target.compareDistance(list.get(mid).contact.key(), c.contact.key()) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        list.add(lo, c);
        // Far candidates can never matter once a path has three windows of closer ones: bound the memory. A wide
        // lookup keeps its start contacts, which it asks wherever they rank (there are at most k + 2 per bucket).
        if (list.size() > 3 * window) {
            for (int i = list.size() - 1; i >= 0; i--) {
                Candidate far = list.get(i);
                if (far.state == State.FRESH && (window == k || far.depth > 1)) {
                    list.remove(i);
                    candidates.remove(far.contact.id());
                    break;
                }
                if (window == k) {
                    break; // waiting or answered: keep its bookkeeping
                }
            }
        }
    }

    /**
     * Requests to send now: the closest fresh candidates of each path, up to alpha in flight
     * among the k nearest, and in a wide lookup up to alpha · w / k in all.
     * A request unanswered for the stall time stops counting against alpha, so one dead or
     * slow node delays its path by the stall time, not by the full request timeout. With a
     * reputation, the order among fresh candidates is the one the class comment gives.
     */
    List<Candidate> next(long now) {
        List<Candidate> out = new ArrayList<>();
        if (score == null) {
            for (Path p : paths) {
                int live = 0;
                int inFlight = activeInFlight(p, now);
                Map<String, Integer> groups = new HashMap<>();
                for (Candidate c : p.sorted) {
                    if (inFlight >= wideAlpha) {
                        break;
                    }
                    if (!admitted(c, live)) {
                        continue;
                    }
                    if (c.state == State.FAILED || stalled(c, now) || crowded(c, groups)) {
                        continue;
                    }
                    int rank = live++;
                    if (c.state == State.FRESH && inFlight < (rank < k ? alpha : wideAlpha)) {
                        send(c, p, now, out);
                        inFlight++;
                    }
                }
            }
            return out;
        }
        boolean busy = false;
        List<List<Candidate>> poor = new ArrayList<>();
        for (Path p : paths) {
            int inFlight = activeInFlight(p, now);
            busy |= inFlight > 0;
            List<Candidate> fresh = new ArrayList<>();
            Map<Candidate, Integer> ranks = new HashMap<>();
            int live = 0;
            Map<String, Integer> groups = new HashMap<>();
            for (Candidate c : p.sorted) {
                if (!admitted(c, live)) {
                    continue;
                }
                if (c.state == State.FAILED || stalled(c, now) || crowded(c, groups)) {
                    continue;
                }
                int rank = live++;
                if (c.state == State.FRESH) {
                    fresh.add(c);
                    ranks.put(c, rank);
                }
            }
            Map<Candidate, Double> scores = new HashMap<>();
            for (Candidate c : fresh) {
                scores.put(c, score.applyAsDouble(c.contact.id()));
            }
            // Nearest distance class first (a longer prefix shared with the target), better-scored first within one;
            // the sort is stable, so equal scores keep XOR order.
            fresh.sort(Comparator.comparingInt((Candidate c) -> -target.commonPrefixLength(c.contact.key()))
                    .thenComparingDouble(c -> -scores.get(c)));
            List<Candidate> held = new ArrayList<>();
            for (Candidate c : fresh) {
                if (scores.get(c) < Reputation.POOR) {
                    held.add(c);
                } else {
                    busy = true;
                    if (inFlight < (ranks.get(c) < k ? alpha : wideAlpha)) {
                        send(c, p, now, out);
                        inFlight++;
                    }
                }
            }
            poor.add(held);
        }
        if (!busy) { // nothing else to ask or wait for: now the poor candidates
            for (int i = 0; i < paths.length; i++) {
                List<Candidate> held = poor.get(i);
                for (int j = 0; j < Math.min(alpha, held.size()); j++) {
                    send(held.get(j), paths[i], now, out);
                }
            }
        }
        return out;
    }

    /**
     * Whether a path works through {@code c} when {@code live} nearer candidates are live: the k
     * nearest always; in a wide lookup also every start contact, and, up to the window, those
     * some responder farther from the target named.
     */
    private boolean admitted(Candidate c, int live) {
        if (window == k) {
            return live < k;
        }
        if (c.depth == 1) {
            return true;
        }
        return live < (c.forward ? window : k);
    }

    private void send(Candidate c, Path p, long now, List<Candidate> out) {
        c.state = State.WAITING;
        c.sentAt = now;
        sentOrder.add(c);
        p.inFlight++;
        requests++;
        out.add(c);
    }

    /** Whether a path already works through {@code perGroup} candidates of this one's group (and counts it if not). */
    private boolean crowded(Candidate c, Map<String, Integer> groups) {
        if (IpGroups.exempt(c.contact.address())) {
            return false;
        }
        String g = IpGroups.wide(c.contact.address());
        int n = groups.getOrDefault(g, 0);
        if (n >= perGroup) {
            return true;
        }
        groups.put(g, n + 1);
        return false;
    }

    private boolean stalled(Candidate c, long now) {
        return c.state == State.WAITING && now - c.sentAt >= stallNanos;
    }

    private int activeInFlight(Path p, long now) {
        if (p.inFlight == 0) {
            return 0;
        }
        int n = 0;
        for (Candidate c : p.sorted) {
            if (c.state == State.WAITING && !stalled(c, now)) {
                n++;
            }
        }
        return n;
    }

    /** True if a waiting request has become stalled since last asked: the lookup may move on. */
    boolean stallDue(long now) {
        boolean due = false;
        Candidate head;
        while ((head = sentOrder.peek()) != null && (head.state != State.WAITING || head.sentAt + stallNanos <= now)) {
            sentOrder.poll();
            if (head.state == State.WAITING) {
                head.stallSeen = true;
                due = true;
            }
        }
        return due;
    }

    /** When the next waiting request not yet seen stalled will be (Long.MAX_VALUE if none). */
    long nextStall() {
        Candidate head;
        while ((head = sentOrder.peek()) != null && head.state != State.WAITING) {
            sentOrder.poll();
        }
        return head == null ? Long.MAX_VALUE : head.sentAt + stallNanos;
    }

    /**
     * A candidate answered with contacts (and, for VALUE lookups, maybe a record). Of its first
     * k contacts, those {@linkplain #beyondBound beyond the bound} are dropped; the others join
     * its path. Returns how many were dropped.
     */
    int answered(NodeId from, List<Contact> contacts, List<Record> records) {
        Candidate c = candidates.get(from);
        if (c == null || c.state != State.WAITING) {
            return 0;
        }
        c.state = State.ANSWERED;
        paths[c.path].inFlight--;
        int limit = limit(c);
        int taken = 0;
        int dropped = 0;
        for (Contact n : contacts) {
            if (taken >= k) {
                break; // a responder gets to suggest k contacts, no more
            }
            taken++;
            if (target.commonPrefixLength(n.key()) > limit) {
                dropped++; // closer to the target than the responder's own table can reach
                continue;
            }
            boolean forward = target.compareDistance(n.key(), c.contact.key()) < 0;
            Candidate known = candidates.get(n.id());
            if (known != null && forward) {
                known.forward = true;
            }
            if (n.id().equals(self) || !n.isReachable() || known != null) {
                continue; // disjointness: a node claimed by any path is not offered to another
            }
            Candidate fresh = new Candidate(n, c.path, c.depth + 1);
            fresh.forward = forward;
            add(fresh);
        }
        if (kind == Kind.VALUE && !records.isEmpty()) {
            for (Record record : records) {
                values.add(new Answer(c.contact, record, c.depth));
            }
            if (values.size() >= quorum && !quorumReached) {
                quorumReached = true;
                quorumDepth = c.depth;
            }
        }
        return dropped;
    }

    /**
     * How many of the first k contacts an answer from {@code from} (a candidate asked) names
     * beyond the bound: sharing more than D bits more of their prefix with the target than
     * {@code from} does. {@code from}'s closest contacts to the target come from the one bucket
     * of its table that covers the target, and those share c + 1 + G bits with it, where c is
     * what {@code from} shares and G is geometric (P(G >= m) = 2^-m); a contact much closer than
     * that is one it cannot know, only invent or have been handed. 0 for a node not asked.
     */
    int beyondBound(NodeId from, List<Contact> contacts) {
        Candidate c = candidates.get(from);
        if (c == null) {
            return 0;
        }
        int limit = limit(c);
        int n = 0;
        for (int i = 0; i < Math.min(k, contacts.size()); i++) {
            if (target.commonPrefixLength(contacts.get(i).key()) > limit) {
                n++;
            }
        }
        return n;
    }

    /** The longest prefix with the target a contact named by {@code c} may share. */
    private int limit(Candidate c) {
        return bound >= DhtConfig.LOOKUP_BOUND_OFF ? Integer.MAX_VALUE : target.commonPrefixLength(c.contact.key()) + bound;
    }

    /**
     * A candidate answered but may not hold the records sought (a placed record's replica
     * without a valid presence ticket): its contacts join its path as usual, its records are
     * ignored, and it counts as failed, so the path goes on past it to the window's worth of
     * nodes that count. Returns how many contacts were dropped by the bound check.
     */
    int ineligible(NodeId from, List<Contact> contacts) {
        Candidate c = candidates.get(from);
        if (c == null || c.state != State.WAITING) {
            return 0;
        }
        int dropped = answered(from, contacts, List.of());
        c.state = State.FAILED;
        return dropped;
    }

    void failed(NodeId from) {
        Candidate c = candidates.get(from);
        if (c != null && c.state == State.WAITING) {
            c.state = State.FAILED;
            paths[c.path].inFlight--;
        }
    }

    boolean isDone(long nowNanos) {
        if (nowNanos >= deadlineNanos) {
            return true;
        }
        if (kind == Kind.VALUE && values.size() >= quorum && newestHasAgreement()) {
            return true;
        }
        for (Path p : paths) {
            if (activeInFlight(p, nowNanos) > 0) {
                return false;
            }
            int live = 0;
            Map<String, Integer> groups = new HashMap<>();
            for (Candidate c : p.sorted) {
                if (!admitted(c, live)) {
                    continue;
                }
                if (c.state == State.FAILED || stalled(c, nowNanos) || crowded(c, groups)) {
                    continue;
                }
                live++;
                if (c.state == State.FRESH) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A quorum is enough once the newest sequence seen is vouched for by two answers (or the
     * quorum is one): replicas that missed an update while offline then cannot outvote it by
     * answering first.
     */
    private boolean newestHasAgreement() {
        long newest = Long.MIN_VALUE;
        for (Answer a : values) {
            newest = Math.max(newest, a.record().sequence());
        }
        int votes = 0;
        for (Answer a : values) {
            if (a.record().sequence() == newest) {
                votes++;
            }
        }
        return votes >= Math.min(2, quorum);
    }

    /** The k closest candidates that answered, over all paths, closest first. */
    List<Candidate> closestAnswered() {
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            if (c.state == State.ANSWERED) {
                out.add(c);
            }
        }
        out.sort((a, b) -> target.compareDistance(a.contact.key(), b.contact.key()));
        return out.size() > k ? new ArrayList<>(out.subList(0, k)) : out;
    }

    List<Answer> values() {
        return values;
    }

    int requests() {
        return requests;
    }

    /** Hops to the result: the depth of the closest node found, or of the answer that made the quorum. */
    int hops() {
        if (kind == Kind.VALUE && quorumDepth > 0) {
            return quorumDepth;
        }
        if (kind == Kind.VALUE && !values.isEmpty()) {
            return values.stream().mapToInt(Answer::depth).max().orElse(0);
        }
        List<Candidate> closest = closestAnswered();
        return closest.isEmpty() ? 0 : closest.get(0).depth;
    }

    /** Depth of the first record found (0 if none). */
    int hopsToFirstValue() {
        return values.stream().mapToInt(Answer::depth).min().orElse(0);
    }

    boolean hasWaiting(NodeId id) {
        Candidate c = candidates.get(id);
        return c != null && c.state == State.WAITING;
    }
}
