package net.barn.core.dht;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.reputation.Reputation;

/**
 * The root network, as a sans-IO state machine: a Kademlia node with S/Kademlia disjoint
 * lookups, signed records with quorum reads and read repair, replication under churn, and
 * the routing-table admission rules of {@link RoutingTable}.
 *
 * <p>Inputs are {@code handle…(nowNanos, …)} calls and the query starters; outputs are
 * {@link #pollTransmit()} (a message for a contact), {@link #pollEvent()} and
 * {@link #pollTimeout()}. Time is a monotonic nanosecond clock plus a fixed offset to the
 * Unix epoch (for record expiry); randomness is an injected generator. The daemon and the
 * simulator drive the same class. Not thread-safe: one driver owns it.
 */
public final class Dht {
    /** A message to send to a contact. */
    public record Transmit(Contact to, DhtMessage message) {}

    private enum Purpose { QUERY, LIVENESS, BOOTSTRAP_PING, STORE, REPAIR, COMMIT }

    private static final class Pending {
        final long messageId;
        final Contact to;
        final Purpose purpose;
        final long query;
        final long deadline;
        final long sentAt;
        boolean done;

        Pending(long messageId, Contact to, Purpose purpose, long query, long sentAt, long deadline) {
            this.sentAt = sentAt;
            this.messageId = messageId;
            this.to = to;
            this.purpose = purpose;
            this.query = query;
            this.deadline = deadline;
        }
    }

    /** What a lookup was started for, and what to do when it ends. */
    private enum Goal { FIND, GET, PUT, REFRESH, SETTLE, BOOTSTRAP, REPLICATE, CATCH_UP, COMMIT }

    /**
     * Lookups the node makes for upkeep (refreshing buckets, replicating, catching up) stay
     * narrow: they run on every node all the time, and a wide one costs about three times the
     * requests and, under churn, the stalls of the dead candidates it also asks. Joining is wide:
     * it happens once per start, and the table it builds decides every later lookup; so are the
     * bucket refreshes that end it (SETTLE).
     */
    private static boolean maintenance(Goal goal) {
        return switch (goal) {
            case REFRESH, REPLICATE, CATCH_UP -> true;
            case FIND, GET, PUT, COMMIT, BOOTSTRAP, SETTLE -> false;
        };
    }

    private static final class Query {
        final Goal goal;
        Lookup lookup; // replaced once when a read of a placed record goes on to the previous period's point
        final Record record; // PUT and REPLICATE: what to store
        byte[] commitment; // COMMIT: what to have countersigned
        Slot asking; // CATCH_UP started by askNeighbours
        Key recordKey; // VALUE lookups and commits: the key asked for (the lookup's target is where it sits)
        boolean atPrevious; // a read at the previous placement period's point
        final List<DhtMessage.Countersigned> countersigned = new ArrayList<>();
        int storesOutstanding;
        int stored;
        boolean catchingUp;
        final List<String> refused = new ArrayList<>();
        QueryResultSeed seed;

        Query(Goal goal, Lookup lookup, Record record) {
            this.goal = goal;
            this.lookup = lookup;
            this.record = record;
        }
    }

    /** What a lookup knew when it ended, kept until the stores it triggered come back. */
    private record QueryResultSeed(int hops, int requests) {}

    /** Where a record is held: its key and type, and its publisher for types with a record per publisher. */
    private record Slot(Key key, int type, NodeId publisher) {
        Slot(Key key, int type) {
            this(key, type, null);
        }
    }

    private Slot slotOf(Record r) {
        return rules.multiValued(r.type()) ? new Slot(r.key(), r.type(), NodeId.ofPublicKey(r.publisherKey()))
                : new Slot(r.key(), r.type());
    }

    /** Records per publisher a node keeps under one key: the newest-expiring, the rest make room. */
    private static final int MAX_PER_KEY = 64;
    /** Contacts per bucket a lookup starts from besides the nearest ones. */
    private static final int SPREAD_PER_BUCKET = 2;

    private static final class Held {
        Record record;
        long replicatedNanos;
        boolean own;

        Held(Record record, long now, boolean own) {
            this.record = record;
            this.replicatedNanos = now;
            this.own = own;
        }
    }

    private final DhtConfig config;
    private final RecordRules rules;
    private final Countersigner countersigner;
    private final Contact self;
    private final RandomGenerator rng;
    private final SignatureVerifier verifier;
    private final long epochOffsetNanos;
    private final RoutingTable table;
    private final Map<Long, Pending> pending = new HashMap<>();
    private final PriorityQueue<Pending> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
    private final Map<Long, Query> queries = new HashMap<>();
    private final Map<Slot, Held> records = new HashMap<>();
    private final Set<Slot> askingNeighbours = new HashSet<>();
    /** For types with a record per publisher: whose records are held under (key, type). */
    private final Map<Slot, Set<NodeId>> publishers = new HashMap<>();
    /** Commitments this node countersigned, and when it first saw each: bounded, oldest go first. */
    private final Map<String, Long> commitments = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_COMMITMENTS;
        }
    };
    private static final int MAX_COMMITMENTS = 4096;
    private static final long COMMITMENT_MEMORY_MILLIS = 24 * 3600 * 1000L;
    private static final int MAX_SILENT_SEEDS = 64;
    private static final long SEED_RETRY_FIRST_NANOS = 30_000_000_000L;
    private static final long SEED_GIVE_UP_NANOS = 24 * 3600 * 1_000_000_000L;

    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<DhtEvent> events = new ArrayDeque<>();
    private final Set<NodeId> verifying = new HashSet<>();
    /**
     * Bootstrap contacts that have not answered yet. A node that joined while cut off (a
     * partition, a dead seed) keeps asking them, backing off from 30 s to the maintenance
     * period for up to a day; the first answer merges it back with a fresh self-lookup.
     */
    private final Map<NodeId, Contact> silentSeeds = new LinkedHashMap<>();
    private long nextSeedRetry = Long.MAX_VALUE;
    private long seedRetryDelay;
    private long seedsGiveUpAt;
    private final Map<NodeId, Long> recentlyVerified = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, Long> eldest) {
            return size() > 512;
        }
    };
    private final Map<NodeId, double[]> requestBuckets = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, double[]> eldest) {
            return size() > 1024;
        }
    };
    private long nextMessageId;
    private long nextQueryId = 1;
    private long nextMaintenance;
    private long lastMaintenance;
    private boolean bootstrapped;
    private boolean rejoining;
    /** Where placed types' records sit this period, and whose tickets count; null: at their keys. */
    private Placement placement;
    /** What an answer showed of its responder's ticket for a period, and until when that is believed. */
    private record TicketSeen(boolean valid, long untilNanos) {}

    /**
     * A node that showed no ticket for a period is believed for a minute only: around a period's
     * start nodes learn its salt seconds apart, and one still in the last period shows none.
     */
    private static final long NO_TICKET_BELIEVED_NANOS = 60_000_000_000L;
    /** Presence tickets checked: (period, id) to what was seen; bounded, oldest go first. */
    private final Map<String, TicketSeen> ticketBook = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TicketSeen> eldest) {
            return size() > 8192;
        }
    };
    /**
     * Names whose history this node has read this placement period (as a replica at a new
     * point it reads it before it takes or countersigns anything for them); bounded.
     */
    private final Set<Key> historyRead = java.util.Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
            return size() > 8192;
        }
    });
    /** Commit requests waiting for such a read, by name: answered when it ends. */
    private final Map<Key, List<DhtMessage.Commit>> parkedCommits = new LinkedHashMap<>();
    private static final int MAX_PARKED_KEYS = 64;
    private static final int MAX_PARKED_PER_KEY = 16;
    /** Nodes proven misbehaving: not routed through, not asked, their answers not counted. */
    private Predicate<NodeId> excluded = id -> false;
    /** This node's own scores of its peers, fed by the answers it gets; null: none kept. */
    private Reputation reputation;

    // Counters for status and the simulator.
    private long messagesSent;
    private long messagesReceived;
    private long requestsRefused;
    private long unsolicited;
    private long lookupAnswers;
    private long lookupAnswersTrimmed;
    private long lookupContactsDropped;

    public Dht(DhtConfig config, Contact self, RandomGenerator rng, SignatureVerifier verifier, long nowNanos,
            long epochOffsetNanos) {
        this(config, RecordRules.OWNED_ONLY, null, self, rng, verifier, nowNanos, epochOffsetNanos);
    }

    /**
     * @param rules what records this node accepts (beyond sequence order)
     * @param countersigner this node's key, to countersign claim commitments as a replica; null: refuse them
     */
    public Dht(DhtConfig config, RecordRules rules, Countersigner countersigner, Contact self, RandomGenerator rng,
            SignatureVerifier verifier, long nowNanos, long epochOffsetNanos) {
        this.config = config;
        this.rules = rules;
        this.countersigner = countersigner;
        this.self = self;
        this.rng = rng;
        this.verifier = verifier;
        this.epochOffsetNanos = epochOffsetNanos;
        this.nextMessageId = rng.nextLong();
        byte[] anchorSecret = new byte[16];
        rng.nextBytes(anchorSecret);
        this.table = new RoutingTable(self.key(), config, nowNanos, anchorSecret);
        this.nextMaintenance = nowNanos + maintenancePeriod();
        this.lastMaintenance = nowNanos;
    }

    private long maintenancePeriod() {
        return Math.min(config.refreshIntervalNanos(), config.replicationIntervalNanos()) / 4;
    }

    private long nowMillis(long nowNanos) {
        return Math.floorDiv(nowNanos + epochOffsetNanos, 1_000_000L);
    }

    // ---------------------------------------------------------------- queries

    /**
     * Joins the network through {@code seeds} (invites, the peer cache, LAN neighbours, any
     * address): pings them, looks up this node's own id over the disjoint paths, then refreshes
     * the buckets. Inbound contacts are admitted to the table only after this.
     *
     * <p>The seeds are dealt out to separate paths: a seed that answers every request with fresh
     * nodes of its own nearer this id fills any one path's window, and on a path of its own it
     * cannot keep the honest seeds' paths from the honest nodes near this id, which is how a
     * newcomer and its neighbours come to know each other.
     */
    public long bootstrap(long now, List<Contact> seeds) {
        for (Contact s : seeds) {
            if (!s.id().equals(self.id()) && s.isReachable() && !excluded.test(s.id())) {
                request(now, s, new DhtMessage.Ping(messageId(), self), Purpose.BOOTSTRAP_PING, 0);
                if (silentSeeds.size() < MAX_SILENT_SEEDS) {
                    silentSeeds.put(s.id(), s);
                }
            }
        }
        if (!silentSeeds.isEmpty()) {
            seedRetryDelay = Math.min(SEED_RETRY_FIRST_NANOS, maintenancePeriod());
            nextSeedRetry = now + seedRetryDelay;
            seedsGiveUpAt = now + SEED_GIVE_UP_NANOS;
        }
        List<Contact> start = new ArrayList<>(seeds);
        start.addAll(table.closest(self.key(), config.k()));
        return startQuery(now, Goal.BOOTSTRAP, Lookup.Kind.NODES, self.key(), 0, start, config.disjointPaths(), null);
    }

    /** Finds the k nodes closest to {@code target}. */
    public long findNode(long now, Key target) {
        return startQuery(now, Goal.FIND, Lookup.Kind.NODES, target, 0, table.closest(target, config.k()),
                config.disjointPaths(), null);
    }

    /**
     * Reads the newest valid record of a type under a key, from a quorum of the replicas, over
     * disjoint paths; replicas found holding an older record (or none) get the newest one.
     */
    public long get(long now, Key key, int type) {
        // Where competing records can exist (claims of one name), hear every replica, not a quorum:
        // a few liars answering first must not decide the read.
        int width = replicas(type);
        int quorum = rules.readsAllReplicas(type) ? width : config.quorum();
        Key point = pointOf(key, type);
        return startQuery(now, Goal.GET, Lookup.Kind.VALUE, point, type, table.closest(point, width),
                config.disjointPaths(), null, null, quorum, width, key);
    }

    /** Stores a record on the k nodes closest to its key (and keeps it here, to republish). */
    public long put(long now, Record record) {
        String problem = rules.problem(record, nowMillis(now), config, verifier);
        if (problem != null) {
            long id = nextQueryId++;
            events.add(new DhtEvent.QueryDone(id, new DhtEvent.PutResult(0, List.of("refused locally: " + problem), 0, 0, 0)));
            return id;
        }
        keep(record, now, true);
        return push(now, Goal.PUT, record, config.disjointPaths());
    }

    /**
     * Finds a record's replicas and stores it with them. A placed record's are found by reading
     * its point, so that each answer shows the responder's presence ticket and those without
     * one are passed over; the lookup hears all of them (no quorum ends it).
     */
    private long push(long now, Goal goal, Record record, int paths) {
        int width = replicas(record.type());
        if (placedType(record.type())) {
            Key point = placement.point(record.key());
            return startQuery(now, goal, Lookup.Kind.VALUE, point, record.type(), table.closest(point, width), paths, record,
                    null, Integer.MAX_VALUE, width, record.key());
        }
        return startQuery(now, goal, Lookup.Kind.NODES, record.key(), 0, table.closest(record.key(), width),
                paths, record, null, config.quorum(), width);
    }

    /**
     * Loads a record this node held before a restart; it is checked like any other, and is
     * pushed to the current k closest at the next maintenance, which also finds out whether
     * it changed while this node was away.
     */
    public boolean load(long now, Record record, boolean own) {
        if (rules.problem(record, nowMillis(now), config, verifier) != null) {
            return false;
        }
        keep(record, now, own);
        Held h = records.get(slotOf(record));
        h.replicatedNanos = now - config.replicationIntervalNanos();
        return true;
    }

    /**
     * Asks the k nodes closest to {@code key} to countersign a claim commitment; the result
     * lists the countersignatures (each checked) and the refusals.
     */
    public long commit(long now, Key key, byte[] commitment) {
        if (commitment.length != Countersigning.COMMITMENT_BYTES) {
            throw new IllegalArgumentException("a commitment is 32 bytes");
        }
        int type = rules.commitType();
        int width = replicas(type);
        if (placedType(type)) {
            Key point = placement.point(key);
            return startQuery(now, Goal.COMMIT, Lookup.Kind.VALUE, point, type, table.closest(point, width),
                    config.disjointPaths(), null, commitment.clone(), Integer.MAX_VALUE, width, key);
        }
        return startQuery(now, Goal.COMMIT, Lookup.Kind.NODES, key, 0, table.closest(key, width),
                config.disjointPaths(), null, commitment.clone(), config.quorum(), width, key);
    }

    private long startQuery(long now, Goal goal, Lookup.Kind kind, Key target, int type, List<Contact> start, int paths,
            Record record) {
        return startQuery(now, goal, kind, target, type, start, paths, record, null, config.quorum(), config.k());
    }

    private long startQuery(long now, Goal goal, Lookup.Kind kind, Key target, int type, List<Contact> start, int paths,
            Record record, byte[] commitment, int quorum, int width) {
        return startQuery(now, goal, kind, target, type, start, paths, record, commitment, quorum, width, target);
    }

    private long startQuery(long now, Goal goal, Lookup.Kind kind, Key target, int type, List<Contact> start, int paths,
            Record record, byte[] commitment, int quorum, int width, Key recordKey) {
        long id = nextQueryId++;
        table.touched(target, now);
        // Beside the nearest contacts, a couple from every bucket: the one bucket covering the target may hold only an
        // adversary's nodes, and a wide lookup then still has honest ones to start from.
        Query query = new Query(goal, newLookup(now, id, goal, kind, target, type, start, paths, quorum, width), record);
        query.commitment = commitment;
        query.recordKey = recordKey;
        queries.put(id, query);
        advance(now, id);
        return id;
    }

    private Lookup newLookup(long now, long id, Goal goal, Lookup.Kind kind, Key target, int type, List<Contact> start,
            int paths, int quorum, int width) {
        List<Contact> begin = new ArrayList<>(allowed(start));
        begin.addAll(table.spread(target, SPREAD_PER_BUCKET, begin));
        return new Lookup(id, kind, target, type, self.id(), begin, paths, width, config.alpha(),
                quorum, now, config.lookupTimeoutNanos(), config.stallNanos(), config.lookupPerGroup(),
                reputation == null ? null : reputation::score, config.lookupBound(),
                maintenance(goal) ? width : config.lookupWidth() * width / config.k());
    }

    /**
     * A read of a placed record that found nothing at this period's point goes on, once, to
     * the previous period's (early in a period, or for a claim too recent to have been handed
     * over): the same query, a new lookup. False if there is no such point to read.
     */
    private boolean readPreviousPoint(long now, long id, Query q) {
        Lookup l = q.lookup;
        if (q.atPrevious || !placedType(l.recordType) || !l.target.equals(placement.point(q.recordKey))) {
            return false;
        }
        Key previous = placement.previousPoint(q.recordKey);
        if (previous == null) {
            return false;
        }
        int width = replicas(l.recordType);
        int quorum = rules.readsAllReplicas(l.recordType) || q.goal == Goal.CATCH_UP ? width : config.quorum();
        q.lookup = newLookup(now, id, q.goal, Lookup.Kind.VALUE, previous, l.recordType, table.closest(previous, width),
                config.disjointPaths(), quorum, width);
        q.atPrevious = true;
        q.seed = null;
        advance(now, id);
        return true;
    }

    /** Sends what a lookup wants next, or finishes it. */
    private void advance(long now, long queryId) {
        Query q = queries.get(queryId);
        if (q == null || q.seed != null) {
            return;
        }
        if (!q.lookup.isDone(now)) {
            for (Lookup.Candidate c : q.lookup.next(now)) {
                DhtMessage m = q.lookup.kind == Lookup.Kind.VALUE
                        ? new DhtMessage.FindValue(messageId(), self, q.recordKey, q.lookup.recordType, q.lookup.target)
                        : new DhtMessage.FindNode(messageId(), self, q.lookup.target);
                request(now, c.contact, m, Purpose.QUERY, queryId);
            }
            if (!q.lookup.isDone(now)) {
                return;
            }
        }
        finishLookup(now, queryId, q);
    }

    private void finishLookup(long now, long id, Query q) {
        Lookup l = q.lookup;
        q.seed = new QueryResultSeed(l.hops(), l.requests());
        List<Contact> closest = l.closestAnswered().stream().map(c -> c.contact).toList();
        switch (q.goal) {
            case FIND -> done(id, new DhtEvent.FindNodeResult(closest, l.hops(), now - l.startedNanos, l.requests()));
            case REFRESH, SETTLE -> queries.remove(id);
            case BOOTSTRAP -> {
                bootstrapped = true;
                rejoining = false;
                table.acceptInbound();
                done(id, new DhtEvent.BootstrapResult(table.size(), l.hops(), now - l.startedNanos, l.requests()));
                refreshStaleBuckets(now, 0, Goal.SETTLE);
            }
            case GET, CATCH_UP -> finishGet(now, id, q, closest);
            case COMMIT -> {
                for (Contact c : closest) {
                    request(now, c, new DhtMessage.Commit(messageId(), self, q.recordKey, q.commitment), Purpose.COMMIT, id);
                    q.storesOutstanding++;
                }
                if (q.storesOutstanding == 0) {
                    finishPut(now, id, q);
                }
            }
            case PUT, REPLICATE -> {
                for (Contact c : closest) {
                    request(now, c, new DhtMessage.Store(messageId(), self, q.record), Purpose.STORE, id);
                    q.storesOutstanding++;
                }
                if (q.storesOutstanding == 0) {
                    finishPut(now, id, q);
                }
            }
        }
    }

    private void finishGet(long now, long id, Query q, List<Contact> closest) {
        if (rules.multiValued(q.lookup.recordType)) {
            finishGetMany(now, id, q);
            return;
        }
        Lookup l = q.lookup;
        long nowMs = nowMillis(now);
        Key key = q.recordKey;
        Held local = records.get(new Slot(key, l.recordType));
        Record mine = local != null && local.record.expiresAtMillis() > nowMs ? local.record : null;
        List<Lookup.Answer> valid = new ArrayList<>();
        // Where a read hears every replica, only the replica set votes (the nearest that answered, counted): a wide
        // lookup also asks nodes farther out, and liars among them must not add their records to the count.
        Set<NodeId> replicaSet = null;
        if (rules.readsAllReplicas(l.recordType)) {
            replicaSet = new HashSet<>();
            for (Lookup.Candidate c : l.closestAnswered()) {
                replicaSet.add(c.contact.id());
            }
        }
        for (Lookup.Answer a : l.values()) {
            Record r = a.record();
            if (r.type() != l.recordType || !r.key().equals(key)
                    || rules.problem(r, nowMs, config, verifier) != null
                    || replicaSet != null && !replicaSet.contains(a.from().id())) {
                continue; // a liar's, a stale or a far answer; it cannot win
            }
            valid.add(a);
        }
        // Records of competing lineages (two claims of one name) are judged by how many
        // replicas hold each: the one most replicas hold wins; within it the highest sequence.
        Map<Object, Integer> votes = new LinkedHashMap<>();
        if (mine != null) {
            votes.merge(rules.lineage(mine), 1, Integer::sum);
        }
        for (Lookup.Answer a : valid) {
            votes.merge(rules.lineage(a.record()), 1, Integer::sum);
        }
        Object winner = null;
        int most = 0;
        for (Map.Entry<Object, Integer> e : votes.entrySet()) {
            if (e.getValue() > most) {
                winner = e.getKey();
                most = e.getValue();
            }
        }
        boolean placed = placedType(l.recordType);
        int heard = l.closestAnswered().size() + (mine != null ? 1 : 0);
        if (placed && rules.readsAllReplicas(l.recordType) && !q.atPrevious && placement.previousSalt() != null
                && (2 * most <= heard || heard < Math.min(replicas(l.recordType), table.size()) / 2)) {
            // At this period's point, no lineage is held by a majority of the ticketed replicas heard (new replicas early
            // in a period hold nothing, and a few liars' record must not win over their silence), or too few were heard to
            // tell: read where the record sat last period, whose replicas had the period to agree; there the lineage most
            // of them hold wins, as at a fixed placement.
            if (readPreviousPoint(now, id, q)) {
                return;
            }
            winner = null; // the placement moved on during the read: nothing settled
        }
        Record best = mine != null && rules.lineage(mine).equals(winner) ? mine : null;
        for (Lookup.Answer a : valid) {
            Record r = a.record();
            if (rules.lineage(r).equals(winner) && (best == null || r.sequence() > best.sequence())) {
                best = r;
            }
        }
        int agreeing = mine != null && mine.sameAs(best) ? 1 : 0;
        int conflicting = 0;
        Set<NodeId> upToDate = new HashSet<>();
        Set<NodeId> nearTarget = valid.isEmpty() ? Set.of() : neighbourhood(key, l.recordType);
        for (Lookup.Answer a : valid) {
            if (best == null) {
                conflicting++; // records heard, none held by a majority
            } else if (a.record().sameAs(best)) {
                agreeing++;
                upToDate.add(a.from().id());
            } else if (rules.replaces(a.record(), best, nowMs, nearTarget) != null) {
                conflicting++; // not merely stale: another record the newest cannot replace
                upToDate.add(a.from().id()); // a conflicting replica will not take ours either
            }
        }
        int repaired = 0;
        if (best != null) {
            if (local != null && !local.record.sameAs(best)
                    && rules.replaces(local.record, best, nowMs, neighbourhood(best.key(), best.type())) == null) {
                keep(best, now, local.own, true); // we hold this key: move our copy forward
            } else if (local == null) {
                keepIfResponsible(best, now, placed);
            }
            // Replicas of another period's point are not this period's: they would refuse the repair.
            for (Contact c : l.target.equals(pointOf(key, l.recordType)) ? closest : List.<Contact>of()) {
                if (!upToDate.contains(c.id()) && repaired < replicas(best.type())) {
                    request(now, c, new DhtMessage.Store(messageId(), self, best), Purpose.REPAIR, 0);
                    repaired++;
                }
            }
        }
        DhtEvent.GetResult result = new DhtEvent.GetResult(best, agreeing, conflicting, repaired, l.hops(), l.hopsToFirstValue(),
                now - l.startedNanos, l.requests());
        if (q.goal == Goal.CATCH_UP) {
            queries.remove(id); // internal: the newest record is kept above, nobody waits for the answer
            if (q.asking != null) {
                askingNeighbours.remove(q.asking);
                if (placed) {
                    historyReadDone(now, key);
                }
            }
        } else {
            done(id, result);
        }
    }

    /** A read of a type with a record per publisher: the newest valid record of each publisher found. */
    private void finishGetMany(long now, long id, Query q) {
        Lookup l = q.lookup;
        long nowMs = nowMillis(now);
        Map<NodeId, Record> newest = new LinkedHashMap<>();
        List<Record> seen = new ArrayList<>(localRecords(now, q.recordKey, l.recordType));
        for (Lookup.Answer a : l.values()) {
            seen.add(a.record());
        }
        for (Record r : seen) {
            if (r.expiresAtMillis() > nowMs) {
                newest.merge(NodeId.ofPublicKey(r.publisherKey()), r, (x, y) -> y.sequence() > x.sequence() ? y : x);
            }
        }
        List<Record> all = new ArrayList<>(newest.values());
        if (all.isEmpty() && readPreviousPoint(now, id, q)) {
            return; // early in a period the members may not have republished at the new point yet
        }
        done(id, new DhtEvent.GetResult(all.isEmpty() ? null : all.get(0), all.size(), 0, 0, l.hops(), l.hopsToFirstValue(),
                now - l.startedNanos, l.requests(), all));
    }

    private void finishPut(long now, long id, Query q) {
        if (q.goal == Goal.COMMIT) {
            done(id, new DhtEvent.CommitResult(q.countersigned, q.refused, q.seed.hops(), now - q.lookup.startedNanos,
                    q.seed.requests() + q.countersigned.size() + q.refused.size()));
        } else if (q.goal == Goal.PUT) {
            done(id, new DhtEvent.PutResult(q.stored, List.copyOf(q.refused), q.seed.hops(), now - q.lookup.startedNanos,
                    q.seed.requests() + q.stored + q.refused.size()));
        } else {
            queries.remove(id);
        }
    }

    private void done(long id, DhtEvent.QueryResult result) {
        queries.remove(id);
        events.add(new DhtEvent.QueryDone(id, result));
    }

    // ---------------------------------------------------------------- input

    /**
     * A message from {@code from}, whose identity the transport authenticated. A message
     * claiming another sender is dropped.
     */
    public void handleMessage(long now, NodeId from, DhtMessage m) {
        messagesReceived++;
        if (!m.sender().id().equals(from) || from.equals(self.id())) {
            unsolicited++;
            return;
        }
        if (m.isResponse()) {
            onResponse(now, from, m);
        } else {
            onRequest(now, from, m);
        }
    }

    private void onRequest(long now, NodeId from, DhtMessage m) {
        if (!allowRequest(from, now)) {
            requestsRefused++;
            return; // over its rate: no answer, which costs the peer a timeout
        }
        noticeInbound(now, m.sender());
        DhtMessage reply = switch (m) {
            case DhtMessage.Ping p -> new DhtMessage.Pong(p.id(), self, null);
            case DhtMessage.FindNode f -> new DhtMessage.Nodes(f.id(), self, closestExcept(f.target(), from));
            case DhtMessage.FindValue f -> {
                if (rules.multiValued(f.type())) {
                    List<Record> held = localRecords(now, f.key(), f.type());
                    held.sort((a, b) -> Long.compare(b.expiresAtMillis(), a.expiresAtMillis())); // freshest first
                    List<Record> sent = new ArrayList<>();
                    int bytes = 0;
                    for (Record r : held) { // as many as fit in a message, with room for the contacts
                        if (sent.size() > DhtCodec.MAX_MORE || bytes + r.size() > DhtCodec.MAX_MESSAGE / 2) {
                            break;
                        }
                        sent.add(r);
                        bytes += r.size();
                    }
                    yield new DhtMessage.Value(f.id(), self, sent.isEmpty() ? null : sent.get(0), suggestions(now, f, from),
                            sent.isEmpty() ? List.of() : sent.subList(1, sent.size()), ticketFor(f));
                }
                Held h = records.get(new Slot(f.key(), f.type()));
                Record r = h != null && h.record.expiresAtMillis() > nowMillis(now) ? h.record : null;
                yield new DhtMessage.Value(f.id(), self, r, suggestions(now, f, from), List.of(), ticketFor(f));
            }
            case DhtMessage.Store s -> store(now, s);
            case DhtMessage.Commit c -> historyUnread(c.key(), rules.commitType()) ? parkUntilHistoryRead(now, c) : countersign(now, c);
            default -> null;
        };
        if (reply != null) {
            send(m.sender(), reply);
        }
    }

    /**
     * The presence ticket a placed type's reader needs to count this node's answer: the one
     * for the period whose point it asks about (this period's or the one before), else none.
     */
    private byte[] ticketFor(DhtMessage.FindValue f) {
        long period = placedType(f.type()) ? periodOf(f.key(), f.target()) : Long.MIN_VALUE;
        if (period == Long.MIN_VALUE) {
            return new byte[0];
        }
        return period == placement.period() ? placement.ownTicket() : placement.ownPreviousTicket();
    }

    /**
     * The contacts a read is pointed to: the nearest its target, but for a placed type's point
     * not those this node found without a ticket for that point's period. Ids ground next to
     * a point would otherwise fill every answer near it and hide the ticketed replicas beyond.
     */
    private List<Contact> suggestions(long now, DhtMessage.FindValue f, NodeId requester) {
        long period = placedType(f.type()) ? periodOf(f.key(), f.target()) : Long.MIN_VALUE;
        if (period == Long.MIN_VALUE) {
            return closestExcept(f.target(), requester);
        }
        List<Contact> out = new ArrayList<>(config.k());
        for (Contact c : table.closest(f.target(), 4 * config.k())) {
            if (out.size() >= config.k()) {
                break;
            }
            TicketSeen seen = ticketBook.get(period + "/" + c.id());
            if (!c.id().equals(requester) && (seen == null || seen.valid() || now >= seen.untilNanos())) {
                out.add(c);
            }
        }
        return out;
    }

    /** The placement period whose point of {@code key} {@code target} is (this one or the last), or Long.MIN_VALUE. */
    private long periodOf(Key key, Key target) {
        if (target.equals(placement.point(key))) {
            return placement.period();
        }
        return target.equals(placement.previousPoint(key)) ? placement.period() - 1 : Long.MIN_VALUE;
    }

    private List<Contact> closestExcept(Key target, NodeId requester) {
        List<Contact> out = new ArrayList<>(config.k());
        for (Contact c : table.closest(target, config.k() + 1)) {
            if (!c.id().equals(requester) && out.size() < config.k()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Token bucket per requester: {@code requestsPerSecond}, bursts of twice that. */
    private boolean allowRequest(NodeId from, long now) {
        double rate = config.requestsPerSecond();
        // Forget peers idle long enough for their bucket to be full again: the map holds the active only.
        var eldest = requestBuckets.entrySet().iterator();
        while (eldest.hasNext()) {
            double[] e = eldest.next().getValue();
            if (now - (long) e[1] < 2_000_000_000L) {
                break;
            }
            eldest.remove();
        }
        double[] b = requestBuckets.computeIfAbsent(from, x -> new double[] {2 * rate, now});
        b[0] = Math.min(2 * rate, b[0] + rate * (now - (long) b[1]) / 1e9);
        b[1] = now;
        if (b[0] < 1) {
            return false;
        }
        b[0] -= 1;
        return true;
    }

    /** A node asked us something: if it says it is reachable and we lack it, have it verified. */
    private void noticeInbound(long now, Contact sender) {
        if (!sender.isReachable() || table.contains(sender.id()) || !table.isAcceptingInbound()
                || verifying.contains(sender.id()) || verifying.size() >= 64) {
            return;
        }
        Long last = recentlyVerified.get(sender.id());
        if (last != null && now - last < config.refreshIntervalNanos()) {
            return;
        }
        recentlyVerified.put(sender.id(), now);
        verifying.add(sender.id());
        events.add(new DhtEvent.VerifyReachability(sender));
    }

    private DhtMessage.Stored store(long now, DhtMessage.Store s) {
        Record r = s.record();
        String problem = rules.problem(r, nowMillis(now), config, verifier);
        if (problem != null) {
            return new DhtMessage.Stored(s.id(), self, false, problem, 0);
        }
        if (r.type() != rules.commitType()) {
            Held claim = records.get(new Slot(r.key(), rules.commitType()));
            String why = rules.policyProblem(r, nowMillis(now), claim == null ? null : claim.record);
            if (why != null) {
                if (claim == null && rules.commitType() >= 0) {
                    askNeighbours(now, r.key(), rules.commitType()); // the claim may exist and not have reached us
                }
                return new DhtMessage.Stored(s.id(), self, false, why, 0);
            }
        }
        Held held = records.get(slotOf(r));
        if (held != null) {
            if (held.record.sameAs(r)) {
                // Kademlia's rule: whoever stored it here stored it at the other replicas
                // too, so this node need not push it again for another interval.
                held.replicatedNanos = now;
                return new DhtMessage.Stored(s.id(), self, true, "", held.record.sequence());
            }
            if (held.record.sequence() == r.sequence() && rules.lineage(held.record).equals(rules.lineage(r))) {
                events.add(new DhtEvent.Conflict(held.record, r));
                return new DhtMessage.Stored(s.id(), self, false, "holding another record with this sequence",
                        held.record.sequence());
            }
            String why = rules.replaces(held.record, r, nowMillis(now), neighbourhood(r.key(), r.type()));
            if (why != null) {
                return new DhtMessage.Stored(s.id(), self, false, why, held.record.sequence());
            }
        } else {
            String notHere = notReplica(r.key(), r.type());
            if (notHere != null) {
                return new DhtMessage.Stored(s.id(), self, false, notHere, 0);
            }
            if (records.size() >= config.maxRecords()) {
                return new DhtMessage.Stored(s.id(), self, false, "store full", 0);
            }
            if (rules.multiValued(r.type()) && !makeRoom(r, now)) {
                return new DhtMessage.Stored(s.id(), self, false, "holding " + MAX_PER_KEY
                        + " fresher records under this key", 0);
            }
            if (historyUnread(r.key(), r.type())) {
                askNeighbours(now, r.key(), r.type());
                return new DhtMessage.Stored(s.id(), self, false, "reading the name's history first (new replica this period)", 0);
            }
            String why = rules.admits(r, nowMillis(now), neighbourhood(r.key(), r.type()));
            if (why != null && placedType(r.type()) && placement.previousSalt() != null
                    && rules.admits(r, nowMillis(now), previousNeighbourhood(r.key(), r.type())) == null) {
                why = null; // committed last period, revealed in this one: countersigned by last period's replicas
            }
            if (why != null && placedType(r.type()) && placement.previousSalt() != null) {
                // A claim countersigned near last period's point, handed on: this node's neighbourhood at the new point
                // cannot judge it, the replicas that held it can.
                askNeighbours(now, r.key(), r.type());
                return new DhtMessage.Stored(s.id(), self, false, why + "; reading the other replicas", 0);
            }
            if (why != null) {
                return new DhtMessage.Stored(s.id(), self, false, why, 0);
            }
            if (rules.asksNeighbours(r, nowMillis(now))) {
                askNeighbours(now, r.key(), r.type());
                return new DhtMessage.Stored(s.id(), self, false,
                        "holding nothing under this key yet: reading the other replicas first", 0);
            }
        }
        keep(r, now, false, true);
        return new DhtMessage.Stored(s.id(), self, true, "", r.sequence());
    }

    /** Null if this node is among the replicas of records of this key and type, else why not. */
    private String notReplica(Key key, int type) {
        if (!placedType(type)) {
            return table.closerThanSelf(key) >= replicas(type) ? "not among the " + replicas(type) + " closest to this key" : null;
        }
        if (!placement.holdsTicket()) {
            return "no presence ticket for placement period " + placement.period();
        }
        // Only nodes known to hold a ticket count as nearer: ids ground next to the point after the salt came out do not.
        Key point = placement.point(key);
        int nearer = 0;
        for (Contact c : table.contacts()) {
            if (point.compareDistance(c.key(), self.key()) < 0 && knownTicketed(placement.period(), c.id())) {
                nearer++;
            }
        }
        return nearer >= replicas(type) ? "not among the " + replicas(type) + " ticketed nodes closest to this key's point in period "
                + placement.period() : null;
    }

    /** Where records of this key and type sit now: the key, or for placed types its point this period. */
    private Key pointOf(Key key, int type) {
        return placedType(type) ? placement.point(key) : key;
    }

    /**
     * Whether this node may have been among a placed record's replicas last period (nearer its
     * old point than the replica set and half a bucket more, by this node's table): those
     * keep it a period longer, so that the next period's replicas can read its history there.
     */
    private boolean heldLastPeriod(Record r) {
        Key previous = placement.previousPoint(r.key());
        return previous != null && placement.ownPreviousTicket().length > 0
                && table.closerThanSelf(previous) < replicas(r.type()) + config.k() / 2;
    }

    private boolean placedType(int type) {
        return placement != null && rules.placed(type);
    }

    private int replicas(int type) {
        return Math.max(config.k(), Math.min(64, rules.replicas(type, config.k())));
    }

    /**
     * The ids this node knows closest to a key: the replica set of a record type and half a
     * bucket more, for views that differ a little; itself included.
     */
    private Set<NodeId> neighbourhood(Key key, int type) {
        Set<NodeId> ids = new HashSet<>();
        ids.add(self.id());
        int size = replicas(type) + config.k() / 2;
        if (!placedType(type)) {
            for (Contact c : table.closest(key, size)) {
                ids.add(c.id());
            }
            return ids;
        }
        return ticketedAround(placement.point(key), placement.period(), size);
    }

    /** The neighbourhood of a placed record at last period's point: this node and those it found with a ticket for that period. */
    private Set<NodeId> previousNeighbourhood(Key key, int type) {
        return ticketedAround(placement.previousPoint(key), placement.period() - 1, replicas(type) + config.k() / 2);
    }

    /** This node and the nodes nearest {@code point} it knows hold a ticket for {@code period}: {@code size} and one more at most. */
    private Set<NodeId> ticketedAround(Key point, long period, int size) {
        Set<NodeId> ids = new HashSet<>();
        ids.add(self.id());
        for (Contact c : table.closest(point, table.size())) {
            if (ids.size() > size) {
                break;
            }
            if (knownTicketed(period, c.id())) {
                ids.add(c.id());
            }
        }
        return ids;
    }

    /** Reads a key from its replicas and keeps the majority's record (at most 16 such reads at once, one per key). */
    private void askNeighbours(long now, Key key, int type) {
        Slot slot = new Slot(key, type);
        if (askingNeighbours.size() >= 16 || !askingNeighbours.add(slot)) {
            return;
        }
        int width = replicas(type);
        // A placed record is read at this period's point, and where it sat last period if no majority holds it here yet.
        Key at = pointOf(key, type);
        long id = startQuery(now, Goal.CATCH_UP, Lookup.Kind.VALUE, at, type, table.closest(at, width), config.disjointPaths(),
                null, null, width, width, key);
        Query q = queries.get(id);
        if (q != null) {
            q.asking = slot;
        } else {
            askingNeighbours.remove(slot);
        }
    }

    /** A replica's answer to a claim commitment: countersigned, with when it first saw it, or refused. */
    private DhtMessage.Countersigned countersign(long now, DhtMessage.Commit c) {
        long nowMs = nowMillis(now);
        String why = countersigner == null ? "this node does not countersign" : notReplica(c.key(), rules.commitType());
        if (why == null) {
            Held h = records.get(new Slot(c.key(), rules.commitType()));
            Record held = h != null && h.record.expiresAtMillis() > nowMs ? h.record : null;
            why = rules.commitProblem(c.key(), held, nowMs);
        }
        if (why != null) {
            return new DhtMessage.Countersigned(c.id(), self, false, why, 0, new byte[0], 0, new byte[0]);
        }
        String slot = c.key() + "/" + java.util.HexFormat.of().formatHex(c.commitment());
        Long first = commitments.get(slot);
        if (first == null || nowMs - first > COMMITMENT_MEMORY_MILLIS) {
            commitments.remove(slot);
            commitments.put(slot, nowMs);
            first = nowMs;
        }
        byte[] signature = countersigner.sign(Countersigning.signedBytes(c.key(), c.commitment(), first));
        return new DhtMessage.Countersigned(c.id(), self, true, "", first, countersigner.publicKey(),
                countersigner.powNonce(), signature);
    }

    /**
     * True if this node, a replica of a placed name at this period's point, has not yet read the
     * name's history (this period's replicas, then the last period's): until it has, it neither
     * takes a claim nor countersigns one, since a squatter reaching it before the holders hand
     * the name on would otherwise find it empty-handed.
     */
    private boolean historyUnread(Key key, int type) {
        return type == rules.commitType() && placedType(type) && placement.previousSalt() != null
                && !historyRead.contains(key) && !records.containsKey(new Slot(key, type));
    }

    /** Holds a commit until the name's history is read (null: no answer yet), or refuses it if no read can start now. */
    private DhtMessage.Countersigned parkUntilHistoryRead(long now, DhtMessage.Commit c) {
        List<DhtMessage.Commit> waiting = parkedCommits.get(c.key());
        if (waiting == null && parkedCommits.size() >= MAX_PARKED_KEYS || waiting != null && waiting.size() >= MAX_PARKED_PER_KEY) {
            return new DhtMessage.Countersigned(c.id(), self, false, "busy reading names' histories; ask again", 0, new byte[0], 0,
                    new byte[0]);
        }
        askNeighbours(now, c.key(), rules.commitType());
        if (!askingNeighbours.contains(new Slot(c.key(), rules.commitType()))) {
            return new DhtMessage.Countersigned(c.id(), self, false, "busy reading names' histories; ask again", 0, new byte[0], 0,
                    new byte[0]);
        }
        parkedCommits.computeIfAbsent(c.key(), k -> new ArrayList<>()).add(c);
        return null;
    }

    /** The read of a name's history ended: answer the commits that waited for it. */
    private void historyReadDone(long now, Key key) {
        historyRead.add(key);
        List<DhtMessage.Commit> waiting = parkedCommits.remove(key);
        if (waiting != null) {
            for (DhtMessage.Commit c : waiting) {
                send(c.sender(), countersign(now, c));
            }
        }
    }

    /** Room under a key for one more publisher's record: the one expiring first goes, if it expires before {@code r}. */
    private boolean makeRoom(Record r, long now) {
        Set<NodeId> who = publishers.get(new Slot(r.key(), r.type()));
        if (who == null || who.size() < MAX_PER_KEY) {
            return true;
        }
        Slot first = null;
        long earliest = Long.MAX_VALUE;
        for (NodeId id : who) {
            Held h = records.get(new Slot(r.key(), r.type(), id));
            if (h != null && h.record.expiresAtMillis() < earliest) {
                earliest = h.record.expiresAtMillis();
                first = new Slot(r.key(), r.type(), id);
            }
        }
        if (first == null || earliest >= r.expiresAtMillis()) {
            return false;
        }
        forget(first);
        return true;
    }

    private void forget(Slot slot) {
        records.remove(slot);
        if (slot.publisher() != null) {
            Slot group = new Slot(slot.key(), slot.type());
            Set<NodeId> who = publishers.get(group);
            if (who != null && who.remove(slot.publisher()) && who.isEmpty()) {
                publishers.remove(group);
            }
        }
    }

    /** Every unexpired record of a type with a record per publisher held under a key. */
    public List<Record> localRecords(long now, Key key, int type) {
        List<Record> out = new ArrayList<>();
        Set<NodeId> who = publishers.get(new Slot(key, type));
        if (who != null) {
            long nowMs = nowMillis(now);
            for (NodeId id : who) {
                Held h = records.get(new Slot(key, type, id));
                if (h != null && h.record.expiresAtMillis() > nowMs) {
                    out.add(h.record);
                }
            }
        }
        return out;
    }

    /** {@code byMajority}: a majority of the ticketed replicas of a placed record holds it, which settles it for a new replica. */
    private void keepIfResponsible(Record r, long now, boolean byMajority) {
        if (notReplica(r.key(), r.type()) == null && records.size() < config.maxRecords()
                && (byMajority || rules.admits(r, nowMillis(now), neighbourhood(r.key(), r.type())) == null)) {
            keep(r, now, false);
        }
    }

    private void keep(Record r, long now, boolean own) {
        keep(r, now, own, false);
    }

    /** {@code replace}: the rules already allowed {@code r} to take the place of what is held. */
    private void keep(Record r, long now, boolean own, boolean replace) {
        Slot slot = slotOf(r);
        Held held = records.get(slot);
        if (held == null) {
            records.put(slot, new Held(r, now, own));
            if (slot.publisher() != null) {
                publishers.computeIfAbsent(new Slot(r.key(), r.type()), x -> new java.util.LinkedHashSet<>()).add(slot.publisher());
            }
        } else if (replace ? !held.record.sameAs(r) : r.sequence() > held.record.sequence()) {
            held.record = r;
            held.replicatedNanos = now;
            held.own |= own;
        } else {
            held.own |= own && held.record.sameAs(r);
            return; // a copy never moves back, not even for its publisher
        }
        if (slot.publisher() == null) {
            events.add(new DhtEvent.RecordStored(r)); // per-publisher records live in memory only
        }
    }

    private void onResponse(long now, NodeId from, DhtMessage m) {
        Pending p = pending.remove(m.id());
        if (p == null || !p.to.id().equals(from)) {
            if (p != null) {
                pending.put(p.messageId, p);
            }
            unsolicited++;
            return;
        }
        p.done = true;
        table.answered(from, now);
        offer(now, p.to, RoutingTable.Source.ANSWERED_US);
        if (reputation != null && !excluded.test(from)) {
            judge(now, p, m);
        }
        switch (p.purpose) {
            case QUERY -> {
                Query q = queries.get(p.query);
                if (q != null) {
                    switch (m) {
                        case DhtMessage.Nodes n when excluded.test(from) -> q.lookup.failed(from);
                        case DhtMessage.Value v when excluded.test(from) -> q.lookup.failed(from);
                        case DhtMessage.Nodes n -> counted(q.lookup.answered(from, allowed(n.contacts()), List.of()));
                        case DhtMessage.Value v when !counts(now, q, from, v) ->
                                counted(q.lookup.ineligible(from, allowed(v.contacts())));
                        case DhtMessage.Value v -> {
                            // Only a valid answer counts towards the quorum: forged ones cannot end a read early.
                            List<Record> valid = new ArrayList<>();
                            boolean many = rules.multiValued(q.lookup.recordType);
                            for (Record r : many ? v.records() : v.record() == null ? List.<Record>of() : List.of(v.record())) {
                                if (r.type() == q.lookup.recordType && r.key().equals(q.recordKey)
                                        && rules.problem(r, nowMillis(now), config, verifier) == null) {
                                    valid.add(r);
                                }
                            }
                            counted(q.lookup.answered(from, allowed(v.contacts()), valid));
                        }
                        default -> q.lookup.failed(from);
                    }
                    advance(now, p.query);
                }
            }
            case STORE -> {
                if (m instanceof DhtMessage.Stored s && !s.accepted()) {
                    catchUpIfOutdated(now, p.query, s.heldSequence());
                }
                storeAnswered(now, p.query, m instanceof DhtMessage.Stored s && s.accepted() && !excluded.test(from),
                        m instanceof DhtMessage.Stored s ? from.shortForm() + ": " + s.reason() : from.shortForm() + ": no answer");
            }
            case BOOTSTRAP_PING -> {
                if (silentSeeds.remove(from) != null && bootstrapped && !rejoining) {
                    // A seed that was silent when we joined answers now: we may have joined a
                    // fragment of the network. Look ourselves up again through it.
                    rejoining = true;
                    List<Contact> start = new ArrayList<>(List.of(p.to));
                    start.addAll(table.closest(self.key(), config.k()));
                    startQuery(now, Goal.BOOTSTRAP, Lookup.Kind.NODES, self.key(), 0, start, config.disjointPaths(), null);
                }
            }
            case COMMIT -> commitAnswered(now, p.query, from, m);
            case LIVENESS, REPAIR -> { }
        }
    }

    /**
     * Feeds the reputation with an answer: a correct one (of the kind asked, on time) counts by
     * its latency; the wrong kind of answer counts as wrong; a record that fails validation for
     * the key and type asked, or a countersignature that does not verify, as invalid.
     */
    private void judge(long now, Pending p, DhtMessage m) {
        NodeId from = p.to.id();
        long latency = now - p.sentAt;
        boolean invalid = false;
        boolean fitting;
        switch (m) {
            case DhtMessage.Value v -> {
                fitting = p.purpose == Purpose.QUERY && plausible(p, v.contacts());
                Query q = queries.get(p.query);
                if (fitting && q != null) {
                    boolean many = rules.multiValued(q.lookup.recordType);
                    for (Record r : many ? v.records() : v.record() == null ? List.<Record>of() : List.of(v.record())) {
                        invalid |= r.type() != q.lookup.recordType || !r.key().equals(q.recordKey)
                                || rules.problem(r, nowMillis(now), config, verifier) != null;
                    }
                }
            }
            case DhtMessage.Countersigned c -> {
                fitting = p.purpose == Purpose.COMMIT;
                Query q = queries.get(p.query);
                if (fitting && q != null && c.accepted()) {
                    invalid = !NodeId.ofPublicKey(c.signerKey()).equals(from) || !verifier.verify(c.signerKey(),
                            Countersigning.signedBytes(q.recordKey, q.commitment, c.atMillis()), c.signature());
                }
            }
            case DhtMessage.Nodes n -> fitting = p.purpose == Purpose.QUERY && plausible(p, n.contacts());
            case DhtMessage.Stored st -> fitting = p.purpose == Purpose.STORE || p.purpose == Purpose.REPAIR;
            case DhtMessage.Pong pong -> fitting = p.purpose == Purpose.LIVENESS || p.purpose == Purpose.BOOTSTRAP_PING;
            default -> fitting = false;
        }
        if (invalid) {
            reputation.handleInvalid(now, from);
        } else {
            reputation.handleAnswer(now, from, fitting, latency);
        }
    }

    /**
     * False if a lookup answer names {@link Lookup#WRONG_BEYOND} or more contacts beyond the
     * bound (PROTOCOL §9.2): it then counts as a wrong answer, whatever else it holds.
     */
    private boolean plausible(Pending p, List<Contact> contacts) {
        Query q = queries.get(p.query);
        return q == null || q.lookup.beyondBound(p.to.id(), contacts) < Lookup.WRONG_BEYOND;
    }

    /**
     * Whether an answer to a lookup of a placed type's point counts: its responder showed a
     * presence ticket valid for that point's period. Lookups of other types count every answer.
     */
    private boolean counts(long now, Query q, NodeId from, DhtMessage.Value v) {
        if (!placedType(q.lookup.recordType) || q.lookup.kind != Lookup.Kind.VALUE) {
            return true;
        }
        long period = periodOf(q.recordKey, q.lookup.target);
        return period != Long.MIN_VALUE && ticketed(now, period, from, v.ticket());
    }

    /**
     * Whether {@code id}'s ticket is valid for {@code period}. A ticket, valid or not, is checked
     * once per (period, id) while remembered; the lack of one is believed for a minute.
     */
    private boolean ticketed(long now, long period, NodeId id, byte[] ticket) {
        String slot = period + "/" + id;
        TicketSeen seen = ticketBook.get(slot);
        if (seen != null && (ticket.length == 0 || seen.untilNanos() == Long.MAX_VALUE) && now < seen.untilNanos()) {
            return seen.valid();
        }
        if (ticket.length == 0) {
            ticketBook.put(slot, new TicketSeen(false, now + NO_TICKET_BELIEVED_NANOS));
            return false;
        }
        boolean valid = placement.check().refuse(period, id, ticket) == null;
        ticketBook.put(slot, new TicketSeen(valid, Long.MAX_VALUE));
        return valid;
    }

    /** Whether this node knows {@code id} to hold a ticket for {@code period} (from an answer it checked). */
    private boolean knownTicketed(long period, NodeId id) {
        TicketSeen seen = ticketBook.get(period + "/" + id);
        return seen != null && seen.valid();
    }

    private void counted(int dropped) {
        lookupAnswers++;
        if (dropped > 0) {
            lookupAnswersTrimmed++;
            lookupContactsDropped += dropped;
        }
    }

    private void commitAnswered(long now, long queryId, NodeId from, DhtMessage m) {
        Query q = queries.get(queryId);
        if (q == null) {
            return;
        }
        if (m instanceof DhtMessage.Countersigned c && c.accepted()) {
            boolean genuine = NodeId.ofPublicKey(c.signerKey()).equals(from) && verifier.verify(c.signerKey(),
                    Countersigning.signedBytes(q.recordKey, q.commitment, c.atMillis()), c.signature());
            if (genuine) {
                q.countersigned.add(c);
            } else {
                q.refused.add(from.shortForm() + ": countersignature does not verify");
            }
        } else {
            q.refused.add(from.shortForm() + ": " + (m instanceof DhtMessage.Countersigned c ? c.reason() : "no answer"));
        }
        if (--q.storesOutstanding == 0) {
            finishPut(now, queryId, q);
        }
    }

    /**
     * A replica we pushed a record to holds a newer one: ours is outdated (we were probably
     * away when it changed). Read the key so that our copy moves forward to the newest; a
     * copy never moves back, and meanwhile reads by others outvote the stale one.
     */
    private void catchUpIfOutdated(long now, long queryId, long heldSequence) {
        Query q = queries.get(queryId);
        if (q == null || q.goal != Goal.REPLICATE || heldSequence <= q.record.sequence() || q.catchingUp) {
            return;
        }
        q.catchingUp = true;
        int width = replicas(q.record.type());
        Key point = pointOf(q.record.key(), q.record.type());
        startQuery(now, Goal.CATCH_UP, Lookup.Kind.VALUE, point, q.record.type(),
                table.closest(point, width), 1, null, null,
                rules.readsAllReplicas(q.record.type()) ? width : config.quorum(), width, q.record.key());
    }

    private void storeAnswered(long now, long queryId, boolean accepted, String why) {
        Query q = queries.get(queryId);
        if (q == null) {
            return;
        }
        if (accepted) {
            q.stored++;
        } else {
            q.refused.add(why);
        }
        if (--q.storesOutstanding == 0) {
            finishPut(now, queryId, q);
        }
    }

    /** The result of a dial-back a {@link DhtEvent.VerifyReachability} asked for. */
    public void handleReachability(long now, Contact contact, boolean reachable) {
        if (verifying.remove(contact.id()) && reachable) {
            offer(now, contact, RoutingTable.Source.VERIFIED_INBOUND);
        }
    }

    private void offer(long now, Contact c, RoutingTable.Source source) {
        boolean known = table.contains(c.id());
        RoutingTable.Offer o = table.offer(c, source, now);
        switch (o) {
            case RoutingTable.Offer.Added a -> events.add(new DhtEvent.PeerAdded(c));
            case RoutingTable.Offer.CheckLiveness check ->
                    request(now, check.stale(), new DhtMessage.Ping(messageId(), self), Purpose.LIVENESS, 0);
            case RoutingTable.Offer.Updated u -> {
                if (!known) {
                    events.add(new DhtEvent.PeerAdded(c));
                }
            }
            case RoutingTable.Offer.Cached cached -> { }
            case RoutingTable.Offer.Rejected r -> { }
        }
    }

    // ---------------------------------------------------------------- output and timers

    private long messageId() {
        return nextMessageId++;
    }

    private void request(long now, Contact to, DhtMessage m, Purpose purpose, long query) {
        // Checking a name claim costs a replica milliseconds of work and dozens of signatures, and
        // all of a name's replicas check it at once: such stores get three times the usual wait.
        // So does a commit: it may wait at a new replica of a placed name while it reads the name's history first.
        long timeout = m instanceof DhtMessage.Store st && rules.readsAllReplicas(st.record().type())
                || m instanceof DhtMessage.Commit ? 3 * config.rpcTimeoutNanos() : config.rpcTimeoutNanos();
        Pending p = new Pending(m.id(), to, purpose, query, now, now + timeout);
        pending.put(m.id(), p);
        deadlines.add(p);
        send(to, m);
    }

    private void send(Contact to, DhtMessage m) {
        messagesSent++;
        transmits.add(new Transmit(to, m));
    }

    /** Runs due timers: request timeouts, lookup deadlines, refresh, replication, expiry. */
    public void handleTimeout(long now) {
        while (!deadlines.isEmpty() && deadlines.peek().deadline <= now) {
            Pending p = deadlines.poll();
            if (p.done || pending.remove(p.messageId) == null) {
                continue;
            }
            if (reputation != null) {
                reputation.handleTimeout(now, p.to.id());
            }
            if (table.failed(p.to.id())) {
                events.add(new DhtEvent.PeerRemoved(p.to.id()));
            }
            switch (p.purpose) {
                case QUERY -> {
                    Query q = queries.get(p.query);
                    if (q != null) {
                        q.lookup.failed(p.to.id());
                        advance(now, p.query);
                    }
                }
                case STORE -> storeAnswered(now, p.query, false, p.to.id().shortForm() + ": no answer");
                case COMMIT -> {
                    Query q = queries.get(p.query);
                    if (q != null) {
                        q.refused.add(p.to.id().shortForm() + ": no answer");
                        if (--q.storesOutstanding == 0) {
                            finishPut(now, p.query, q);
                        }
                    }
                }
                case LIVENESS, BOOTSTRAP_PING, REPAIR -> { }
            }
        }
        for (Long id : new ArrayList<>(queries.keySet())) {
            Query q = queries.get(id);
            if (q != null && q.seed == null && (now >= q.lookup.deadlineNanos || q.lookup.stallDue(now))) {
                advance(now, id);
            }
        }
        if (now >= nextSeedRetry) {
            retrySilentSeeds(now);
        }
        if (now >= nextMaintenance) {
            maintain(now);
        }
    }

    private void retrySilentSeeds(long now) {
        if (now >= seedsGiveUpAt) {
            silentSeeds.clear();
        }
        for (Contact seed : silentSeeds.values()) {
            request(now, seed, new DhtMessage.Ping(messageId(), self), Purpose.BOOTSTRAP_PING, 0);
        }
        seedRetryDelay = Math.min(seedRetryDelay * 2, maintenancePeriod());
        nextSeedRetry = silentSeeds.isEmpty() ? Long.MAX_VALUE : now + seedRetryDelay;
    }

    private void maintain(long now) {
        lastMaintenance = now;
        nextMaintenance = now + maintenancePeriod();
        long nowMs = nowMillis(now);
        Iterator<Map.Entry<Slot, Held>> it = records.entrySet().iterator();
        List<Record> toReplicate = new ArrayList<>();
        while (it.hasNext()) {
            Map.Entry<Slot, Held> e = it.next();
            Held h = e.getValue();
            if (h.record.expiresAtMillis() <= nowMs) {
                it.remove();
                Slot slot = e.getKey();
                if (slot.publisher() == null) {
                    events.add(new DhtEvent.RecordDropped(slot.key(), slot.type()));
                } else {
                    Set<NodeId> who = publishers.get(new Slot(slot.key(), slot.type()));
                    if (who != null && who.remove(slot.publisher()) && who.isEmpty()) {
                        publishers.remove(new Slot(slot.key(), slot.type()));
                    }
                }
            } else if (now - h.replicatedNanos >= config.replicationIntervalNanos()) {
                h.replicatedNanos = now;
                toReplicate.add(h.record);
            }
        }
        for (Record r : toReplicate) {
            push(now, Goal.REPLICATE, r, 1);
            Slot slot = slotOf(r);
            Held h = records.get(slot);
            if (h != null && !h.own && placedType(r.type()) && notReplica(r.key(), r.type()) != null && !heldLastPeriod(r)) {
                forget(slot); // handed on to this period's replicas: holders of older periods do not pile up
                if (slot.publisher() == null) {
                    events.add(new DhtEvent.RecordDropped(slot.key(), slot.type()));
                }
            }
        }
        if (bootstrapped) {
            refreshStaleBuckets(now, config.refreshIntervalNanos(), Goal.REFRESH);
        }
    }

    private void refreshStaleBuckets(long now, long staleness, Goal goal) {
        for (int bucket : table.staleBuckets(now, staleness)) {
            // An anchored bucket looks its anchor up: it keeps the nodes nearest it.
            Key target = config.anchoredBuckets() ? table.anchor(bucket) : self.key().randomWithCommonPrefix(bucket, rng);
            startQuery(now, goal, Lookup.Kind.NODES, target, 0, table.closest(target, config.k()), 1, null);
        }
    }

    /** Next message to send, or null. */
    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public DhtEvent pollEvent() {
        return events.poll();
    }

    /** When {@link #handleTimeout} must next run. */
    public long pollTimeout() {
        long t = Math.min(nextMaintenance, nextSeedRetry);
        Pending p = deadlines.peek();
        while (p != null && p.done) {
            deadlines.poll();
            p = deadlines.peek();
        }
        if (p != null) {
            t = Math.min(t, p.deadline);
        }
        for (Query q : queries.values()) {
            if (q.seed == null) {
                t = Math.min(t, Math.min(q.lookup.deadlineNanos, q.lookup.nextStall()));
            }
        }
        return t;
    }

    // ---------------------------------------------------------------- status

    public Contact self() {
        return self;
    }

    public RoutingTable table() {
        return table;
    }

    public boolean isBootstrapped() {
        return bootstrapped;
    }

    public int recordCount() {
        return records.size();
    }

    /** The record held here for a key and type, if any and not expired. */
    public Record localRecord(long now, Key key, int type) {
        Held h = records.get(new Slot(key, type));
        return h != null && h.record.expiresAtMillis() > nowMillis(now) ? h.record : null;
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long messagesReceived() {
        return messagesReceived;
    }

    public long requestsRefused() {
        return requestsRefused;
    }

    public long unsolicited() {
        return unsolicited;
    }

    /** Answers to this node's lookup requests taken in so far. */
    public long lookupAnswers() {
        return lookupAnswers;
    }

    /** Of {@link #lookupAnswers}, those that lost at least one contact to the bound check. */
    public long lookupAnswersTrimmed() {
        return lookupAnswersTrimmed;
    }

    /** Contacts dropped from lookup answers by the bound check. */
    public long lookupContactsDropped() {
        return lookupContactsDropped;
    }

    public int pendingRequests() {
        return pending.size();
    }

    /**
     * Nodes this node no longer trusts (evidence proved them misbehaving): they leave the
     * routing table now, are never admitted again, are not asked in lookups, and neither their
     * answers nor the contacts they name count. The predicate is asked again at each use, so
     * an exclusion taking effect later needs only {@link #evict} to drop the node at once.
     */
    public void excludeWith(Predicate<NodeId> excluded) {
        this.excluded = excluded;
        for (NodeId gone : table.excludeWith(excluded)) {
            events.add(new DhtEvent.PeerRemoved(gone));
        }
    }

    /**
     * Keeps this node's own scores of its peers in {@code reputation}: every answer to a request
     * of this node (by latency; a wrong or invalid one costs more) and every request timed out
     * feeds it, and lookups, reads and the routing table use it ({@link Lookup},
     * {@link RoutingTable#preferWith}). Scores stay here: no message carries them.
     */
    public void reputeWith(Reputation reputation) {
        this.reputation = reputation;
        table.preferWith(reputation == null ? null : reputation::score);
    }

    private List<Contact> allowed(List<Contact> contacts) {
        return contacts.stream().noneMatch(c -> excluded.test(c.id())) ? contacts
                : contacts.stream().filter(c -> !excluded.test(c.id())).toList();
    }

    /**
     * From now on, records of placed types ({@link RecordRules#placed}) sit at their points of
     * {@code placement}'s period, and only answers with a ticket valid for it count; null puts
     * them back at their keys. Held records move at their next replication.
     */
    public void placeWith(long now, Placement placement) {
        if (placement != null && this.placement != null && placement.period() != this.placement.period()) {
            // Entries of two periods back are no use: a point is read for this period or the one before.
            long keepFrom = placement.period() - 1;
            ticketBook.keySet().removeIf(slot -> Long.parseLong(slot.substring(0, slot.indexOf('/'))) < keepFrom);
            for (Held h : records.values()) {
                if (rules.placed(h.record.type())) {
                    h.replicatedNanos = now - config.replicationIntervalNanos(); // hand it to the new replicas
                }
            }
            nextMaintenance = Math.min(nextMaintenance, now);
            historyRead.clear();
        }
        this.placement = placement;
    }

    /** The placement in force, or null. */
    public Placement placement() {
        return placement;
    }

    /** Removes a contact proven bad (used by trust mechanisms). */
    public void evict(NodeId id) {
        table.remove(id);
        events.add(new DhtEvent.PeerRemoved(id));
    }

    long lastMaintenance() {
        return lastMaintenance;
    }
}
