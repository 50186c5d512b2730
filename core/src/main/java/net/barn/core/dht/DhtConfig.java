package net.barn.core.dht;

/**
 * Parameters of the root network. The first three shape the protocol and should match
 * across a network; the rest are local policy.
 *
 * @param k bucket size, replicas per record, contacts per answer (16-20)
 * @param alpha requests in flight per lookup path
 * @param disjointPaths S/Kademlia disjoint lookup paths for finds, gets, puts and the joining lookup (>= 3 where it matters)
 * @param quorum matching answers a get waits for
 * @param rpcTimeoutNanos how long to wait for an answer before counting a failure
 * @param lookupTimeoutNanos a lookup ends by then whatever it has found
 * @param stallNanos a lookup request unanswered this long stops holding up its path
 * @param refreshIntervalNanos buckets not looked up for this long get a random lookup
 * @param replicationIntervalNanos how often a replica pushes each record to the k closest
 * @param livenessIntervalNanos a full bucket pings its least-recently-seen entry only if unheard this long
 * @param maxFailures failed requests after which a contact leaves the table
 * @param replacementCacheSize candidates kept per bucket for when an entry leaves
 * @param perBucketPer24 IP diversity: entries per /24 (IPv4) or /48 (IPv6) in one bucket
 * @param perTablePer16 IP diversity: entries per /16 (IPv4) or /32 (IPv6) in the whole table;
 *     an eighth of it (at least 2) is also what one lookup path works through per /16
 *     ({@link #lookupPerGroup})
 * @param maxRecords records a node holds at most
 * @param maxValueBytes largest record value accepted
 * @param maxTtlMillis furthest expiry a record may have, from now
 * @param requestsPerSecond requests one peer may make per second (burst: twice that)
 * @param lookupBound bound checking of lookup answers, D: a contact that shares more than D bits
 *     more of its prefix with the target than the responder does is one the responder cannot
 *     have in its table, and is dropped ({@link #LOOKUP_BOUND_OFF} or more: no check). An honest
 *     responder sharing c bits with the target names its closest contacts from the one bucket
 *     that covers the target: each shares c + 1 + G bits with it, G geometric with mean 1, so
 *     one contact passes the bound c + D with probability 2^-D. With 8, an honest answer of 20
 *     loses a contact with probability 1 - (1 - 2^-8)^20 = 7.5%, two or more (what counts as
 *     a wrong answer in local reputation) 0.3%.
 * @param lookupWidth how many of its nearest live candidates a lookup path works through before
 *     it ends (at least k; its result is still the k nearest that answered)
 * @param anchoredBuckets a full bucket keeps the k contacts nearest a secret point of its own
 *     (its anchor) rather than the longest-known ones, and is refreshed by looking the anchor up
 *     (PROTOCOL.md 9.1): an adversary that names only its own nodes cannot make them more than
 *     its share of a table
 */
public record DhtConfig(int k, int alpha, int disjointPaths, int quorum, long rpcTimeoutNanos, long lookupTimeoutNanos,
        long stallNanos, long refreshIntervalNanos, long replicationIntervalNanos, long livenessIntervalNanos, int maxFailures,
        int replacementCacheSize, int perBucketPer24, int perTablePer16, int maxRecords, int maxValueBytes,
        long maxTtlMillis, double requestsPerSecond, int lookupBound, int lookupWidth,
        boolean anchoredBuckets) {
    private static final long SECOND = 1_000_000_000L;

    /** A {@link #lookupBound} this large checks nothing: no two keys share more than 256 bits. */
    public static final int LOOKUP_BOUND_OFF = Key.BITS;

    /**
     * The D of PROTOCOL.md 9.2 for a node that checks. Nodes do not check by default: measured
     * against Sybils up to 10,000 nodes, the check changed no lookup's outcome (docs/BENCHMARKS.md)
     * and cost honest answers a contact in about 4% of cases.
     */
    public static final int SUGGESTED_LOOKUP_BOUND = 8;

    public static final DhtConfig DEFAULT = new DhtConfig(20, 3, 3, 3, 2 * SECOND, 10 * SECOND, SECOND, 3600 * SECOND,
            3600 * SECOND, 60 * SECOND, 2, 10, 2, 16, 100_000, 8192, 48L * 3600 * 1000, 20, LOOKUP_BOUND_OFF, 60, true);

    public DhtConfig {
        if (k < 2 || k > 64 || alpha < 1 || disjointPaths < 1 || disjointPaths > k || quorum < 1 || quorum > k
                || lookupBound < 1 || lookupWidth < k || lookupWidth > 16 * k) {
            throw new IllegalArgumentException("need 2 <= k <= 64, alpha >= 1, 1 <= disjointPaths <= k, 1 <= quorum <= k,"
                    + " lookupBound >= 1, k <= lookupWidth <= 16k");
        }
    }

    /** Candidates of one /16 (IPv6 /32) a lookup path works through at most; unlimited when the table's limit is off. */
    public int lookupPerGroup() {
        return perTablePer16 >= 1 << 20 ? Integer.MAX_VALUE : Math.max(2, perTablePer16 / 8);
    }

    public DhtConfig withDisjointPaths(int d) {
        return new DhtConfig(k, alpha, d, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond, lookupBound, lookupWidth, anchoredBuckets);
    }

    public DhtConfig withIpDiversity(int perBucket24, int perTable16) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucket24,
                perTable16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond, lookupBound, lookupWidth, anchoredBuckets);
    }

    public DhtConfig withTimers(long rpcTimeout, long lookupTimeout, long refresh, long replication) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeout, lookupTimeout, stallNanos, refresh, replication,
                livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24, perTablePer16, maxRecords,
                maxValueBytes, maxTtlMillis, requestsPerSecond, lookupBound, lookupWidth, anchoredBuckets);
    }

    public DhtConfig withRequestsPerSecond(double rate) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, rate, lookupBound, lookupWidth, anchoredBuckets);
    }

    /** Lookup paths that work through the {@code w} nearest live candidates before they end (k: plain Kademlia). */
    public DhtConfig withLookupWidth(int w) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond, lookupBound, w, anchoredBuckets);
    }

    /** Buckets anchored at secret points (true) or plain Kademlia's longest-known first (false). */
    public DhtConfig withAnchoredBuckets(boolean anchored) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond, lookupBound, lookupWidth, anchored);
    }

    /** Bound checking of lookup answers with this D ({@link #LOOKUP_BOUND_OFF}: none). */
    public DhtConfig withLookupBound(int d) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond, d, lookupWidth, anchoredBuckets);
    }
}
