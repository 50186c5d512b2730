package net.barn.core.dht;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import net.barn.core.identity.NodeId;

/**
 * The Kademlia routing table: 256 buckets by shared prefix with this node, k entries each,
 * least recently seen first, with a replacement cache. Its admission rules are what keep an
 * attacker from filling it:
 *
 * <ul>
 *   <li>only contacts with an address that answered a request of ours, or whose address was
 *       verified by dialing back, are admitted at all;
 *   <li>contacts we learned because they contacted us ("inbound") enter only a bucket with
 *       room and only once our own lookups have filled the table; they never push anyone out;
 *   <li>anchored ({@link DhtConfig#anchoredBuckets}, the default): a full bucket keeps the k
 *       contacts nearest its secret {@link #anchor}, so however many of its nodes an adversary
 *       names, they hold about its share of ids once the bucket has met the nodes truly nearest;
 *   <li>otherwise (plain Kademlia) a full bucket keeps its long-lived entries;
 *   <li>either way a newcomer that does not get in waits in the replacement cache, and takes
 *       the place of an entry that fails a liveness check;
 *   <li>at most a few entries per /24 in a bucket and per /16 in the table;
 *   <li>never a node the injected exclusion predicate names (proven misbehaving).
 * </ul>
 *
 * <p>With a local reputation ({@link #preferWith}), the entry a full bucket checks is its
 * worst-scored one among those due a check, not merely the least recently seen: a newcomer can
 * take the place of a poorly-serving entry that fails the check, never of a well-serving one
 * that answers it.
 */
public final class RoutingTable {
    /** How a contact came to be offered. */
    public enum Source { ANSWERED_US, VERIFIED_INBOUND }

    /** What happened to an offered contact. */
    public sealed interface Offer {
        record Added() implements Offer {}

        record Updated() implements Offer {}

        /** The bucket is full: ping this entry; if it fails, the newcomer takes its place. */
        record CheckLiveness(Contact stale) implements Offer {}

        record Cached() implements Offer {}

        record Rejected(String why) implements Offer {}
    }

    static final class Entry {
        final Contact contact;
        final String narrowGroup; // null when exempt from diversity limits
        final long firstSeen;
        long lastSeen;
        int failures;
        boolean livenessCheckPending;

        Entry(Contact contact, long now) {
            this.contact = contact;
            this.narrowGroup = IpGroups.exempt(contact.address()) ? null : IpGroups.narrow(contact.address());
            this.firstSeen = now;
            this.lastSeen = now;
        }
    }

    private static final class Bucket {
        final ArrayList<Entry> entries = new ArrayList<>(4);
        final ArrayDeque<Entry> replacements = new ArrayDeque<>(4);
        final Key anchor; // null: not anchored (plain Kademlia)

        Bucket(Key anchor) {
            this.anchor = anchor;
        }
    }

    private static final Bucket EMPTY = new Bucket(null);

    private final Key self;
    private final DhtConfig config;
    // Most of the 256 buckets stay empty (a network of N nodes fills about log2(N/k) of them):
    // they are made on first use, and their lookup times kept in one array.
    private final Bucket[] buckets = new Bucket[Key.BITS];
    private final long[] lastLookup = new long[Key.BITS];
    private final Map<NodeId, Entry> byId = new HashMap<>();
    private final Map<String, Integer> per16 = new HashMap<>();
    private boolean acceptingInbound;
    private int deepestBucket = -1;
    private Predicate<NodeId> excluded = id -> false;
    private ToDoubleFunction<NodeId> score;
    private final byte[] anchorSecret;

    /** A table whose anchors (if {@link DhtConfig#anchoredBuckets}) come from a public all-zero secret: for tests. */
    public RoutingTable(Key self, DhtConfig config, long nowNanos) {
        this(self, config, nowNanos, new byte[16]);
    }

    /**
     * @param anchorSecret known to this node only: the points its full buckets keep the nearest
     *     contacts of are derived from it, so no one can make ids to match them
     */
    public RoutingTable(Key self, DhtConfig config, long nowNanos, byte[] anchorSecret) {
        this.self = self;
        this.config = config;
        this.anchorSecret = anchorSecret.clone();
        java.util.Arrays.fill(lastLookup, nowNanos);
    }

    /**
     * The anchor of bucket {@code i}: a point sharing exactly {@code i} leading bits with this
     * node, the rest SHA-256(secret || i). A full bucket keeps the k contacts nearest it
     * (Castro et al.'s constrained routing table): the nearest nodes to a point no one else
     * knows are adversarial in the adversary's share of ids, however many of its nodes it names.
     */
    public Key anchor(int i) {
        Bucket b = buckets[i];
        if (b != null && b.anchor != null) {
            return b.anchor;
        }
        byte[] h = net.barn.core.crypto.Sha256.hash(anchorSecret, new byte[] {(byte) i});
        return self.withCommonPrefix(i, h);
    }

    /** Our own lookups have run: from now on verified inbound contacts may fill free slots. */
    public void acceptInbound() {
        acceptingInbound = true;
    }

    public boolean isAcceptingInbound() {
        return acceptingInbound;
    }

    /**
     * Nodes never to admit again nor return from {@link #closest} (evidence proved them
     * misbehaving); those in the table now are removed. Returns the removed ids.
     */
    public List<NodeId> excludeWith(Predicate<NodeId> excluded) {
        this.excluded = excluded;
        List<NodeId> gone = byId.keySet().stream().filter(excluded).sorted().toList();
        gone.forEach(this::remove);
        return gone;
    }

    /** This node's score of each peer (0..1), to choose which entry of a full bucket to check; null: the least recently seen. */
    public void preferWith(ToDoubleFunction<NodeId> score) {
        this.score = score;
    }

    private int index(Key k) {
        return Math.min(self.commonPrefixLength(k), Key.BITS - 1);
    }

    /** The bucket for writing: created if need be. */
    private Bucket bucketAt(int i) {
        Bucket b = buckets[i];
        if (b == null) {
            b = new Bucket(config.anchoredBuckets() ? anchor(i) : null);
            buckets[i] = b;
        }
        return b;
    }

    /** The bucket for reading: an empty stand-in if it was never used. */
    private Bucket peek(int i) {
        Bucket b = buckets[i];
        return b == null ? EMPTY : b;
    }

    public Offer offer(Contact c, Source source, long now) {
        if (c.key().equals(self)) {
            return new Offer.Rejected("that is this node");
        }
        if (!c.isReachable()) {
            return new Offer.Rejected("a client (no address) cannot serve in a routing table");
        }
        if (excluded.test(c.id())) {
            remove(c.id());
            return new Offer.Rejected("excluded for proven misbehaviour");
        }
        Entry known = byId.get(c.id());
        if (known != null) {
            known.lastSeen = now;
            known.failures = 0;
            if (source == Source.ANSWERED_US && !known.contact.address().equals(c.address())) {
                replace(known, new Entry(c, known.firstSeen)); // it answered at this address: believe it
            } else {
                moveToTail(known);
            }
            return new Offer.Updated();
        }
        Bucket b = bucketAt(index(c.key()));
        String why = diversityProblem(b, c);
        if (why != null) {
            return new Offer.Rejected(why);
        }
        if (source == Source.VERIFIED_INBOUND && !acceptingInbound) {
            cache(b, new Entry(c, now));
            return new Offer.Cached();
        }
        if (b.entries.size() < config.k()) {
            add(b, new Entry(c, now));
            return new Offer.Added();
        }
        if (b.anchor != null && source == Source.ANSWERED_US) {
            Entry far = farthestFromAnchor(b);
            if (b.anchor.compareDistance(c.key(), far.contact.key()) < 0) {
                removeEntry(b, far);
                cache(b, far);
                add(b, new Entry(c, now));
                return new Offer.Added();
            }
        }
        cache(b, new Entry(c, now));
        if (source == Source.ANSWERED_US) {
            Entry check = score == null ? b.entries.get(0) : worstDue(b, now);
            if (check != null && !check.livenessCheckPending && now - check.lastSeen >= config.livenessIntervalNanos()) {
                check.livenessCheckPending = true;
                return new Offer.CheckLiveness(check.contact);
            }
        }
        return new Offer.Cached();
    }

    private static Entry farthestFromAnchor(Bucket b) {
        Entry far = b.entries.get(0);
        for (Entry e : b.entries) {
            if (b.anchor.compareDistance(e.contact.key(), far.contact.key()) > 0) {
                far = e;
            }
        }
        return far;
    }

    /** The worst-scored entry due a liveness check (least recently seen on a tie), or null. */
    private Entry worstDue(Bucket b, long now) {
        Entry worst = null;
        double lowest = Double.MAX_VALUE;
        for (Entry e : b.entries) { // least recently seen first
            if (!e.livenessCheckPending && now - e.lastSeen >= config.livenessIntervalNanos()) {
                double s = score.applyAsDouble(e.contact.id());
                if (s < lowest) {
                    worst = e;
                    lowest = s;
                }
            }
        }
        return worst;
    }

    private String diversityProblem(Bucket b, Contact c) {
        if (IpGroups.exempt(c.address())) {
            return null;
        }
        String narrow = IpGroups.narrow(c.address());
        int same = 0;
        for (Entry e : b.entries) {
            if (narrow.equals(e.narrowGroup)) {
                same++;
            }
        }
        if (same >= config.perBucketPer24()) {
            return "already " + same + " contacts from " + narrow + " in this bucket";
        }
        if (per16.getOrDefault(IpGroups.wide(c.address()), 0) >= config.perTablePer16()) {
            return "already " + config.perTablePer16() + " contacts from " + IpGroups.wide(c.address()) + " in the table";
        }
        return null;
    }

    private void add(Bucket b, Entry e) {
        b.entries.add(e);
        byId.put(e.contact.id(), e);
        if (!IpGroups.exempt(e.contact.address())) {
            per16.merge(IpGroups.wide(e.contact.address()), 1, Integer::sum);
        }
        deepestBucket = Math.max(deepestBucket, index(e.contact.key()));
    }

    private void removeEntry(Bucket b, Entry e) {
        b.entries.remove(e);
        byId.remove(e.contact.id());
        if (!IpGroups.exempt(e.contact.address())) {
            per16.computeIfPresent(IpGroups.wide(e.contact.address()), (k, v) -> v <= 1 ? null : v - 1);
        }
    }

    private void replace(Entry old, Entry fresh) {
        Bucket b = bucketAt(index(old.contact.key()));
        removeEntry(b, old);
        fresh.lastSeen = old.lastSeen;
        add(b, fresh);
    }

    private void cache(Bucket b, Entry e) {
        b.replacements.removeIf(x -> x.contact.id().equals(e.contact.id()));
        b.replacements.addLast(e);
        while (b.replacements.size() > config.replacementCacheSize()) {
            b.replacements.removeFirst();
        }
    }

    private void moveToTail(Entry e) {
        Bucket b = bucketAt(index(e.contact.key()));
        b.entries.remove(e);
        b.entries.add(e);
    }

    /** The contact answered a request: it is alive and stays. */
    public void answered(NodeId id, long now) {
        Entry e = byId.get(id);
        if (e != null) {
            e.lastSeen = now;
            e.failures = 0;
            e.livenessCheckPending = false;
            moveToTail(e);
        }
    }

    /** A request to the contact failed; after enough failures it leaves. Returns true if it left. */
    public boolean failed(NodeId id) {
        Entry e = byId.get(id);
        if (e == null) {
            return false;
        }
        e.failures++;
        boolean stale = e.livenessCheckPending;
        e.livenessCheckPending = false;
        if (e.failures < config.maxFailures() && !stale) {
            return false;
        }
        Bucket b = bucketAt(index(e.contact.key()));
        removeEntry(b, e);
        promote(b);
        return true;
    }

    private void promote(Bucket b) {
        if (b.anchor != null) {
            // The candidate nearest the anchor, as an offer would have ranked it.
            List<Entry> ranked = new ArrayList<>(b.replacements);
            ranked.sort((x, y) -> b.anchor.compareDistance(x.contact.key(), y.contact.key()));
            b.replacements.clear();
            b.replacements.addAll(ranked.reversed()); // nearest last: taken first below
        }
        Iterator<Entry> it = b.replacements.descendingIterator(); // newest (or nearest the anchor) first
        while (it.hasNext() && b.entries.size() < config.k()) {
            Entry candidate = it.next();
            it.remove();
            if (diversityProblem(b, candidate.contact) == null && !byId.containsKey(candidate.contact.id())
                    && !excluded.test(candidate.contact.id())) {
                add(b, candidate);
                return;
            }
        }
    }

    /** Removes a contact outright (for example, proven misbehaving). */
    public void remove(NodeId id) {
        Entry e = byId.get(id);
        if (e != null) {
            Bucket b = bucketAt(index(e.contact.key()));
            removeEntry(b, e);
            promote(b);
        }
    }

    public boolean contains(NodeId id) {
        return byId.containsKey(id);
    }

    public int size() {
        return byId.size();
    }

    /**
     * The {@code n} known contacts closest to {@code target}, closest first. XOR order lets
     * the buckets be visited nearest first: the target's own bucket, then the deeper ones
     * (together one distance class, just past it: XOR orders them by bits below their bucket),
     * then the shallower ones from deep to shallow; each class is taken only while fewer than
     * {@code n} are picked, so only what they yield needs sorting.
     */
    public List<Contact> closest(Key target, int n) {
        int i = index(target);
        List<Entry> picked = new ArrayList<>(n + config.k());
        addAll(picked, i);
        if (picked.size() < n) {
            for (int j = i + 1; j < Key.BITS && j <= deepestBucket; j++) {
                addAll(picked, j); // the deeper buckets are one class: take all of them or none
            }
        }
        for (int j = i - 1; j >= 0 && picked.size() < n; j--) {
            addAll(picked, j);
        }
        picked.sort((a, b) -> target.compareDistance(a.contact.key(), b.contact.key()));
        List<Contact> out = new ArrayList<>(Math.min(n, picked.size()));
        for (int x = 0; x < picked.size() && out.size() < n; x++) {
            // Excluded after admission and not yet removed: never hand it out.
            if (!excluded.test(picked.get(x).contact.id())) {
                out.add(picked.get(x).contact);
            }
        }
        return out;
    }

    /**
     * Up to {@code perBucket} contacts from each bucket, those closest to {@code target} first,
     * and none of {@code skip}: a lookup that starts from these as well as from the contacts
     * closest to the target is not lost when the one bucket covering the target holds only an
     * adversary's nodes (PROTOCOL.md 9.2).
     */
    public List<Contact> spread(Key target, int perBucket, java.util.Collection<Contact> skip) {
        java.util.Set<NodeId> skipped = new java.util.HashSet<>();
        for (Contact c : skip) {
            skipped.add(c.id());
        }
        List<Contact> out = new ArrayList<>();
        for (Bucket b : buckets) {
            if (b == null || b.entries.isEmpty()) {
                continue;
            }
            List<Contact> mine = new ArrayList<>();
            for (Entry e : b.entries) {
                if (!skipped.contains(e.contact.id()) && !excluded.test(e.contact.id())) {
                    mine.add(e.contact);
                }
            }
            mine.sort((a, c) -> target.compareDistance(a.key(), c.key()));
            out.addAll(mine.subList(0, Math.min(perBucket, mine.size())));
        }
        return out;
    }

    private void addAll(List<Entry> into, int bucket) {
        Bucket b = buckets[bucket];
        if (b != null) {
            into.addAll(b.entries);
        }
    }

    /** How many known contacts are closer to {@code target} than this node is. */
    public int closerThanSelf(Key target) {
        int n = 0;
        for (Entry e : byId.values()) {
            if (target.compareDistance(e.contact.key(), self) < 0) {
                n++;
            }
        }
        return n;
    }

    public List<Contact> contacts() {
        return byId.values().stream().map(e -> e.contact).toList();
    }

    /** Notes that a lookup went through the bucket covering {@code target}. */
    public void touched(Key target, long now) {
        lastLookup[index(target)] = now;
    }

    /** Buckets worth refreshing: those up to the deepest occupied one not looked up lately. */
    public List<Integer> staleBuckets(long now, long interval) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i <= Math.min(deepestBucket + 1, Key.BITS - 1); i++) {
            if (now - lastLookup[i] >= interval) {
                out.add(i);
            }
        }
        return out;
    }

    /** The bucket index a key falls in. */
    public int bucketOf(Key key) {
        return index(key);
    }

    /** Entries per bucket, for status and tests. */
    public int bucketSize(int index) {
        return peek(index).entries.size();
    }

    public int replacementSize(int index) {
        return peek(index).replacements.size();
    }

    /** The long-lived order of a bucket, least recently seen first (tests, status). */
    public List<Contact> bucket(int index) {
        return peek(index).entries.stream().map(e -> e.contact).toList();
    }
}
