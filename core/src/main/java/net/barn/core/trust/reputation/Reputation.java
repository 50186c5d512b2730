package net.barn.core.trust.reputation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.barn.core.identity.NodeId;

/**
 * Local reputation: how well each peer has served this node, from this node's own
 * observations only (answers, timeouts, uptime, relaying, invalid data). Scores never leave
 * the node: there is no way to export them or to take in another node's opinion, so no one
 * can buy, borrow or poison a reputation except by how it behaves towards this node. What
 * they are for is ordering: {@link #rank} puts well-behaved peers first when choosing whom
 * to ask.
 *
 * <p>Each peer has a weight of good and of bad observations; its score is
 * (good + 1) / (good + bad + 2), in [0, 1], 0.5 for a peer never seen. Both weights halve every
 * {@link Config#halfLifeNanos}, so old behaviour fades and a punished peer drifts back towards
 * neutral. At most {@link Config#maxPeers} are kept; past that the peer with the least
 * weight (the one we know least about) is forgotten. Sans-IO: time is passed in. Its methods
 * are synchronized, so that the parts of a node that observe peers on different threads can
 * share one.
 *
 * <p>What the scores are used for: a lookup asks a better-scored candidate before an
 * equally near worse-scored one, and a {@linkplain #POOR poor} one only when nothing else is
 * left to ask; a full routing-table bucket checks its worst-scored old entry first; a node
 * behind NAT prefers the better-scored of relays with similar load. None of this changes
 * which nodes are closest to a key, only the order they are asked in and, among relays, which
 * is picked.
 */
public final class Reputation {
    /**
     * @param latencyTargetNanos a correct answer this fast counts fully good; a slower one with
     *        f = target / latency counts (1 + f) / 2 good and (1 - f) / 2 bad
     */
    public record Config(long halfLifeNanos, int maxPeers, long latencyTargetNanos) {
        public static final Config DEFAULT = new Config(6 * 3600 * 1_000_000_000L, 4096, 200_000_000L);

        public Config {
            if (halfLifeNanos <= 0 || maxPeers < 1 || latencyTargetNanos <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }
    }

    /**
     * Below this score a peer is poor: asked only when no better-scored peer is left to ask,
     * picked as a relay only when no other will do. About two more bad observations than good.
     */
    public static final double POOR = 0.35;

    /** Weights of each kind of observation: lying and invalid data cost far more than slowness. */
    static final double WRONG_ANSWER = 4;
    static final double INVALID = 4;
    static final double TIMEOUT = 1;
    static final double UPTIME = 0.25;
    static final double RELAY = 1;

    private static final class Peer {
        double good;
        double bad;
        long at;

        Peer(long at) {
            this.at = at;
        }
    }

    private final Config config;
    private final Map<NodeId, Peer> peers = new HashMap<>();
    private long latest = Long.MIN_VALUE;

    public Reputation(Config config) {
        this.config = config;
    }

    /** {@code peer} answered a request: correctly or not, in {@code latencyNanos}. */
    public synchronized void handleAnswer(long nowNanos, NodeId peer, boolean correct, long latencyNanos) {
        if (correct) {
            // A correct answer is mostly good; slowness takes away up to half of it.
            double fast = Math.min(1.0, (double) config.latencyTargetNanos() / Math.max(1, latencyNanos));
            add(nowNanos, peer, (1 + fast) / 2, (1 - fast) / 2);
        } else {
            add(nowNanos, peer, 0, WRONG_ANSWER);
        }
    }

    /** A request to {@code peer} got no answer in time. */
    public synchronized void handleTimeout(long nowNanos, NodeId peer) {
        add(nowNanos, peer, 0, TIMEOUT);
    }

    /** A periodic check found {@code peer} reachable or not. */
    public synchronized void handleUptime(long nowNanos, NodeId peer, boolean up) {
        add(nowNanos, peer, up ? UPTIME : 0, up ? 0 : UPTIME);
    }

    /** {@code peer}, as our relay, carried a circuit (or failed to). */
    public synchronized void handleRelay(long nowNanos, NodeId peer, boolean ok) {
        add(nowNanos, peer, ok ? RELAY : 0, ok ? 0 : RELAY);
    }

    /** {@code peer} sent something that failed validation (a forged record, a bad signature). */
    public synchronized void handleInvalid(long nowNanos, NodeId peer) {
        add(nowNanos, peer, 0, INVALID);
    }

    private void add(long now, NodeId id, double good, double bad) {
        latest = Math.max(latest, now);
        Peer p = peers.get(id);
        if (p == null) {
            if (peers.size() >= config.maxPeers()) {
                evictLeastKnown(now);
            }
            p = new Peer(now);
            peers.put(id, p);
        }
        decay(p, now);
        p.good += good;
        p.bad += bad;
    }

    private void decay(Peer p, long now) {
        if (now > p.at) {
            double f = Math.pow(0.5, (double) (now - p.at) / config.halfLifeNanos());
            p.good *= f;
            p.bad *= f;
            p.at = now;
        }
    }

    private void evictLeastKnown(long now) {
        NodeId least = null;
        double weight = Double.MAX_VALUE;
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            double w = weight(e.getValue(), now);
            if (least == null || w < weight || (w == weight && e.getKey().compareTo(least) < 0)) {
                least = e.getKey();
                weight = w;
            }
        }
        peers.remove(least);
    }

    private double weight(Peer p, long now) {
        double f = now > p.at ? Math.pow(0.5, (double) (now - p.at) / config.halfLifeNanos()) : 1;
        return (p.good + p.bad) * f;
    }

    /** The peer's score at {@code nowNanos}: 0.5 when unknown, towards 1 for good service, towards 0 for bad. */
    public synchronized double score(long nowNanos, NodeId peer) {
        Peer p = peers.get(peer);
        if (p == null) {
            return 0.5;
        }
        double f = nowNanos > p.at ? Math.pow(0.5, (double) (nowNanos - p.at) / config.halfLifeNanos()) : 1;
        return (p.good * f + 1) / ((p.good + p.bad) * f + 2);
    }

    /** The peer's score as of the latest observation this node made of anyone. */
    public synchronized double score(NodeId peer) {
        return score(latest, peer);
    }

    /** {@code candidates}, best score first; equal scores keep their order (a caller's nearest-first, say). */
    public synchronized List<NodeId> rank(List<NodeId> candidates) {
        List<NodeId> out = new ArrayList<>(candidates);
        Map<NodeId, Double> s = new HashMap<>();
        for (NodeId id : out) {
            s.computeIfAbsent(id, this::score);
        }
        out.sort(Comparator.comparingDouble((NodeId id) -> s.get(id)).reversed());
        return out;
    }

    /** Peers with a score held. */
    public synchronized int size() {
        return peers.size();
    }
}
