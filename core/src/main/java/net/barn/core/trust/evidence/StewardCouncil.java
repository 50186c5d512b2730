package net.barn.core.trust.evidence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.Sortition;

/**
 * The stewards of one namespace as one member sees them (docs/PROTOCOL.md section 12.9), as a
 * sans-IO state machine. Each epoch the stewards are the members with the lowest
 * {@link Sortition#stewardTicket} under the epoch's seed, {@link Config#stewards} of them, or
 * all members if fewer. They judge one fault from their own observation: a member originating
 * broadcasts faster than the namespace's policy allows. A steward that delivers more than
 * {@value #SLACK} times the per-minute limit from one origin within one window signs a vote to
 * exclude it; every member counts the votes it receives ({@link Exclusion#tally}) and, once at
 * least two thirds of the epoch's stewards voted, excludes the accused for
 * {@link Config#exclusionNanos}. Votes of non-stewards, of another namespace or epoch, or with
 * bad signatures are refused with a reason; a steward that votes both ways on one motion is
 * reported as {@link Evidence}. Held votes, tracked origins and exclusions are all bounded.
 * Time is a monotonic nanosecond clock passed in; not thread-safe.
 */
public final class StewardCouncil {
    /** Broadcasts per minute a namespace allows when its policy says 0. */
    public static final int DEFAULT_BROADCASTS_PER_MINUTE = 600;
    /**
     * A steward votes when it sees more than this many times the limit in one window: an honest
     * member's broadcasts delivered within one minute were sent within two (deliveries lag by
     * less than a minute), which span at most three of its own one-minute windows.
     */
    public static final int SLACK = 3;

    /**
     * @param stewards stewards per namespace and epoch (fewer if the namespace has fewer members)
     * @param maxVotes votes held at once, over all motions of the epoch
     * @param maxExclusions nodes excluded at once; a new exclusion replaces the one ending first
     * @param maxTracked origins whose broadcasts are counted in one window
     * @param windowNanos the counting window, one minute
     * @param exclusionNanos how long an exclusion lasts
     */
    public record Config(int stewards, int maxVotes, int maxExclusions, int maxTracked, long windowNanos, long exclusionNanos) {
        public static final Config DEFAULT = new Config(5, 256, 64, 4096, 60_000_000_000L, 3_600_000_000_000L);

        public Config {
            if (stewards < 1 || maxVotes < 1 || maxExclusions < 1 || maxTracked < 1 || windowNanos <= 0 || exclusionNanos <= 0) {
                throw new IllegalArgumentException("steward limits must be positive");
            }
        }
    }

    /** What became of a vote. */
    public sealed interface Outcome {
        /** Not counted, and not to be relayed. */
        record Refused(String reason) implements Outcome {}

        /** Counted (or already held): relay it. {@code tally} is the motion's count now. */
        record Counted(Exclusion tally) implements Outcome {}
    }

    /** What the council tells its driver; polled with {@link #pollEvent()}. */
    public sealed interface Event {
        /** The epoch or the members changed the stewards. */
        record Rotated(long epoch, List<NodeId> stewards) implements Event {}

        /** Two thirds of the stewards voted: refuse {@code accused}'s messages until {@code untilNanos}. */
        record Excluded(NodeId accused, long epoch, int votes, int stewards, String reason, long untilNanos) implements Event {}

        /** An exclusion ended. */
        record Released(NodeId accused) implements Event {}

        /** A steward voted both ways: hand the proof to the evidence layer. */
        record Equivocated(Evidence evidence) implements Event {}
    }

    private final Config config;
    private final String namespace;
    private final Identity self;
    private final SignatureVerifier verifier;

    private long epoch = -1;
    private List<NodeId> stewards = List.of();
    private int limit = DEFAULT_BROADCASTS_PER_MINUTE;
    /** Per accused: the distinct vote statements held this epoch. */
    private final LinkedHashMap<NodeId, List<StewardVote>> votes = new LinkedHashMap<>();
    private int held;
    private final Set<NodeId> votedOn = new HashSet<>();
    private final Set<NodeId> equivocators = new HashSet<>();
    private final LinkedHashMap<NodeId, Long> excluded = new LinkedHashMap<>();
    private final Map<NodeId, Integer> counts = new HashMap<>();
    private long windowStart = Long.MIN_VALUE;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private long refusedVotes;
    private String lastRefusal = "";

    public StewardCouncil(Config config, String namespace, Identity self, SignatureVerifier verifier) {
        this.config = config;
        this.namespace = namespace;
        this.self = self;
        this.verifier = verifier;
    }

    /**
     * The namespace's broadcast limit per minute from its policy: {@code perMinute}, or the
     * default if 0.
     */
    public void limit(int perMinute) {
        this.limit = perMinute <= 0 ? DEFAULT_BROADCASTS_PER_MINUTE : perMinute;
    }

    public int limit() {
        return limit;
    }

    /**
     * The epoch is {@code epoch} with seed {@code seed}, and the namespace's members (as listed
     * in the root network) are {@code members}: draws the stewards again. A new epoch drops the
     * held votes and this node's own, and, if this node is one of its stewards, votes again
     * against every member still excluded ({@link #ownStandingVotes} then carries those); a new
     * steward set in the same epoch counts the held votes again against it.
     */
    public void update(long now, long epoch, byte[] seed, Collection<NodeId> members) {
        expire(now);
        List<NodeId> drawn = Sortition.stewards(seed, namespace, List.copyOf(members), config.stewards());
        boolean newEpoch = epoch != this.epoch;
        if (!newEpoch && drawn.equals(stewards)) {
            return;
        }
        this.epoch = epoch;
        this.stewards = drawn;
        if (newEpoch) {
            votes.clear();
            held = 0;
            votedOn.clear();
            equivocators.clear();
            counts.clear();
        }
        events.add(new Event.Rotated(epoch, drawn));
        for (NodeId accused : List.copyOf(votes.keySet())) {
            decide(now, accused);
        }
        if (newEpoch) {
            carryOver(now);
        }
    }

    /**
     * A steward of the new epoch votes again against every member still excluded, so that the
     * exclusion stands on this epoch's votes, which its standing votes then carry to members
     * that join now (they refuse another epoch's votes). Each steward does so for exclusions it
     * holds itself; a late joiner counts from its own time, so it may exclude up to one
     * exclusion period longer than the others.
     */
    private void carryOver(long now) {
        if (!isSteward(self.id())) {
            return;
        }
        for (var e : List.copyOf(excluded.entrySet())) {
            NodeId accused = e.getKey();
            if (accused.equals(self.id()) || votedOn.contains(accused)) {
                continue;
            }
            long minutesLeft = Math.max(0, (e.getValue() - now) / 60_000_000_000L);
            StewardVote v = StewardVote.sign(self, namespace, epoch, accused, true,
                    "carries over an exclusion voted in an earlier epoch; about " + minutesLeft + " min left");
            handleVote(now, v.statement());
        }
    }

    /**
     * This member delivered an application broadcast from {@code origin}. If this member is a
     * steward and the origin went over the limit in the current window, returns this member's
     * signed vote to exclude it (already counted here): broadcast it. Null otherwise.
     */
    public StewardVote observe(long now, NodeId origin) {
        expire(now);
        if (windowStart == Long.MIN_VALUE || now - windowStart >= config.windowNanos()) {
            windowStart = now;
            counts.clear();
        }
        if (!counts.containsKey(origin) && counts.size() >= config.maxTracked()) {
            return null;
        }
        int n = counts.merge(origin, 1, Integer::sum);
        if (n <= (long) SLACK * limit || !isSteward(self.id()) || origin.equals(self.id()) || votedOn.contains(origin)
                || excluded.containsKey(origin)) {
            return null;
        }
        StewardVote v = StewardVote.sign(self, namespace, epoch, origin, true,
                "originated " + n + " broadcasts within a minute; the namespace allows " + limit);
        Outcome o = handleVote(now, v.statement());
        return o instanceof Outcome.Counted ? v : null;
    }

    /** A vote from the namespace: checked, held and counted, or refused with the reason. */
    public Outcome handleVote(long now, Statement s) {
        expire(now);
        Checked<StewardVote> read = StewardVote.of(s);
        if (!read.isValid()) {
            return refuse(read.reason());
        }
        StewardVote v = read.orElseThrow();
        String voter = v.voter().shortForm();
        if (!v.namespace().equals(namespace)) {
            return refuse(voter + ": vote for namespace " + v.namespace() + ", not " + namespace);
        }
        if (v.epoch() != epoch) {
            return refuse(voter + ": vote for epoch " + v.epoch() + ", this is epoch " + epoch);
        }
        if (!stewards.contains(v.voter())) {
            return refuse(voter + ": not a steward of " + namespace + " in epoch " + epoch);
        }
        String problem = s.problem(verifier);
        if (problem != null) {
            return refuse(voter + ": " + problem);
        }
        if (equivocators.contains(v.voter())) {
            return refuse(voter + ": voted both ways in this epoch");
        }
        List<StewardVote> motion = votes.get(v.accused());
        if (motion != null && motion.stream().anyMatch(h -> h.statement().equals(s))) {
            return new Outcome.Counted(tally(v.accused()));
        }
        if (held >= config.maxVotes()) {
            return refuse(voter + ": this node holds " + config.maxVotes() + " votes already");
        }
        votes.computeIfAbsent(v.accused(), k -> new ArrayList<>()).add(v);
        held++;
        if (v.voter().equals(self.id())) {
            votedOn.add(v.accused());
        }
        return new Outcome.Counted(decide(now, v.accused()));
    }

    /** Counts the motion against {@code accused} and acts on it. */
    private Exclusion decide(long now, NodeId accused) {
        Exclusion e = tally(accused);
        for (Evidence ev : e.equivocations()) {
            if (equivocators.add(ev.offender())) {
                events.add(new Event.Equivocated(ev));
            }
        }
        if (e.excluded() && !excluded.containsKey(accused)) {
            if (excluded.size() >= config.maxExclusions()) {
                NodeId first = excluded.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
                excluded.remove(first);
                events.add(new Event.Released(first));
            }
            long until = now + config.exclusionNanos();
            excluded.put(accused, until);
            String reason = votes.get(accused).stream().filter(StewardVote::exclude).map(StewardVote::reason).findFirst()
                    .orElse("");
            events.add(new Event.Excluded(accused, epoch, e.votesToExclude(), stewards.size(), reason, until));
        }
        return e;
    }

    private Exclusion tally(NodeId accused) {
        return Exclusion.tally(namespace, epoch, accused, Set.copyOf(stewards), votes.getOrDefault(accused, List.of()),
                verifier);
    }

    private Outcome refuse(String reason) {
        refusedVotes++;
        lastRefusal = reason;
        return new Outcome.Refused(reason);
    }

    /**
     * This steward's own votes of this epoch against members now excluded: what it sends again
     * now and then, so that a member that joins after the vote learns the exclusion.
     */
    public List<StewardVote> ownStandingVotes() {
        List<StewardVote> out = new ArrayList<>();
        for (NodeId accused : excluded.keySet()) {
            for (StewardVote v : votes.getOrDefault(accused, List.of())) {
                if (v.voter().equals(self.id()) && v.exclude()) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    /** Ends exclusions whose time is up. */
    public void expire(long now) {
        for (var it = excluded.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            if (e.getValue() - now <= 0) {
                it.remove();
                events.add(new Event.Released(e.getKey()));
            }
        }
    }

    public boolean isExcluded(NodeId id) {
        return excluded.containsKey(id);
    }

    /** The nodes excluded now. */
    public List<NodeId> excluded() {
        return List.copyOf(excluded.keySet());
    }

    /** The stewards of the current epoch, lowest ticket first. */
    public List<NodeId> stewards() {
        return stewards;
    }

    public boolean isSteward(NodeId id) {
        return stewards.contains(id);
    }

    /** The current epoch; -1 before the first {@link #update}. */
    public long epoch() {
        return epoch;
    }

    /** Votes refused so far, and the reason for the last. */
    public long refusedVotes() {
        return refusedVotes;
    }

    public String lastRefusal() {
        return lastRefusal;
    }

    /** Votes held now. */
    public int heldVotes() {
        return held;
    }

    public Event pollEvent() {
        return events.poll();
    }
}
