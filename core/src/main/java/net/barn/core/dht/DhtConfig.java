package net.barn.core.dht;

/**
 * Parameters of the root network. The first three shape the protocol and should match
 * across a network; the rest are local policy.
 *
 * @param k bucket size, replicas per record, contacts per answer (16-20)
 * @param alpha requests in flight per lookup path
 * @param disjointPaths S/Kademlia disjoint lookup paths for gets and puts (>= 3 where it matters)
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
 */
public record DhtConfig(int k, int alpha, int disjointPaths, int quorum, long rpcTimeoutNanos, long lookupTimeoutNanos,
        long stallNanos, long refreshIntervalNanos, long replicationIntervalNanos, long livenessIntervalNanos, int maxFailures,
        int replacementCacheSize, int perBucketPer24, int perTablePer16, int maxRecords, int maxValueBytes,
        long maxTtlMillis, double requestsPerSecond) {
    private static final long SECOND = 1_000_000_000L;

    public static final DhtConfig DEFAULT = new DhtConfig(20, 3, 3, 3, 2 * SECOND, 10 * SECOND, SECOND, 3600 * SECOND,
            3600 * SECOND, 60 * SECOND, 2, 10, 2, 16, 100_000, 8192, 48L * 3600 * 1000, 20);

    public DhtConfig {
        if (k < 2 || k > 64 || alpha < 1 || disjointPaths < 1 || disjointPaths > k || quorum < 1 || quorum > k) {
            throw new IllegalArgumentException("need 2 <= k <= 64, alpha >= 1, 1 <= disjointPaths <= k, 1 <= quorum <= k");
        }
    }

    /** Candidates of one /16 (IPv6 /32) a lookup path works through at most; unlimited when the table's limit is off. */
    public int lookupPerGroup() {
        return perTablePer16 >= 1 << 20 ? Integer.MAX_VALUE : Math.max(2, perTablePer16 / 8);
    }

    public DhtConfig withDisjointPaths(int d) {
        return new DhtConfig(k, alpha, d, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond);
    }

    public DhtConfig withIpDiversity(int perBucket24, int perTable16) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucket24,
                perTable16, maxRecords, maxValueBytes, maxTtlMillis, requestsPerSecond);
    }

    public DhtConfig withTimers(long rpcTimeout, long lookupTimeout, long refresh, long replication) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeout, lookupTimeout, stallNanos, refresh, replication,
                livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24, perTablePer16, maxRecords,
                maxValueBytes, maxTtlMillis, requestsPerSecond);
    }

    public DhtConfig withRequestsPerSecond(double rate) {
        return new DhtConfig(k, alpha, disjointPaths, quorum, rpcTimeoutNanos, lookupTimeoutNanos, stallNanos, refreshIntervalNanos,
                replicationIntervalNanos, livenessIntervalNanos, maxFailures, replacementCacheSize, perBucketPer24,
                perTablePer16, maxRecords, maxValueBytes, maxTtlMillis, rate);
    }
}
