package net.barn.core.nat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import net.barn.core.identity.NodeId;

/**
 * What a node knows of its own reachability, from evidence other nodes give it (sans-IO):
 * dial-backs (did a fresh link from that node reach our listen port?) and observations (from
 * which public address and port did that node see our UDP datagrams?). It concludes:
 *
 * <ul>
 *   <li>{@link Verdict#PUBLIC}: at least two distinct nodes reached us by dial-back, and more
 *       succeeded than failed;
 *   <li>{@link Verdict#CONE_NAT}: dial-backs fail, and at least two nodes at distinct IP
 *       addresses saw our datagrams from one and the same address and port (the mapping does
 *       not depend on the destination: hole punching can work);
 *   <li>{@link Verdict#SYMMETRIC_NAT}: dial-backs fail, and nodes at distinct IP addresses saw
 *       different ports (a new mapping per destination: direct links need port prediction);
 *   <li>{@link Verdict#PRIVATE}: dial-backs fail and the mapping is not known yet;
 *   <li>{@link Verdict#UNKNOWN}: not enough evidence.
 * </ul>
 *
 * Evidence is kept for {@link #EVIDENCE_NANOS} and the last {@link #KEPT} of each kind, so a
 * node that moves (or whose NAT changes) learns it again. It asks again every
 * {@link #RECHECK_NANOS}, or every {@link #RETRY_NANOS} while it does not know.
 */
public final class Reachability {
    public static final long SECOND = 1_000_000_000L;
    public static final long EVIDENCE_NANOS = 3600 * SECOND;
    public static final long RECHECK_NANOS = 600 * SECOND;
    /** Next round while nothing is known. */
    public static final long RETRY_NANOS = 10 * SECOND;
    /** Next round while private with its mapping unknown. */
    public static final long PRIVATE_RETRY_NANOS = 30 * SECOND;
    public static final long FIRST_PROBE_NANOS = 3 * SECOND;
    /** Pieces of evidence of each kind kept, the newest. */
    public static final int KEPT = 8;
    /** Nodes asked in one round. */
    public static final int ASK = 3;

    /** What a node concludes about itself. */
    public enum Verdict { UNKNOWN, PUBLIC, PRIVATE, CONE_NAT, SYMMETRIC_NAT }

    private record DialBack(long at, NodeId by, boolean reached) {}

    private record Observation(long at, NodeId by, String byIp, String ip, int port) {}

    private final Deque<DialBack> dialBacks = new ArrayDeque<>();
    private final Deque<Observation> observations = new ArrayDeque<>();
    private long nextProbe;
    private boolean probeDue;

    /** @param now the time the node started: the first round is a few seconds later, once it has links */
    public Reachability(long now) {
        this.nextProbe = now + FIRST_PROBE_NANOS;
    }

    /** Node {@code by} tried a fresh link to our listen port: {@code reached} if it completed. */
    public void handleDialBack(long now, NodeId by, boolean reached) {
        add(dialBacks, new DialBack(now, by, reached));
    }

    /**
     * Node {@code by}, at IP {@code byIp}, saw our datagram come from {@code ip}:{@code port}.
     */
    public void handleObserved(long now, NodeId by, String byIp, String ip, int port) {
        if (port < 1 || port > 65535 || ip == null || ip.isEmpty()) {
            return;
        }
        add(observations, new Observation(now, by, byIp, ip, port));
    }

    private static <T> void add(Deque<T> q, T item) {
        q.addLast(item);
        while (q.size() > KEPT) {
            q.removeFirst();
        }
    }

    /** Whatever is due: forgets old evidence and decides whether a round of questions is due. */
    public void handleTimeout(long now) {
        dialBacks.removeIf(d -> now - d.at() > EVIDENCE_NANOS);
        observations.removeIf(o -> now - o.at() > EVIDENCE_NANOS);
        if (now >= nextProbe) {
            probeDue = true;
            Verdict v = verdict();
            nextProbe = now + (v == Verdict.UNKNOWN ? RETRY_NANOS : v == Verdict.PRIVATE ? PRIVATE_RETRY_NANOS : RECHECK_NANOS);
        }
    }

    public long pollTimeout() {
        return nextProbe;
    }

    /** True once per due round: the driver asks {@link #ASK} linked nodes, in distinct networks, for a dial-back and an observation. */
    public boolean pollProbe() {
        boolean due = probeDue;
        probeDue = false;
        return due;
    }

    public Verdict verdict() {
        Set<NodeId> reachedBy = new HashSet<>();
        Set<NodeId> failedBy = new HashSet<>();
        for (DialBack d : dialBacks) {
            (d.reached() ? reachedBy : failedBy).add(d.by());
        }
        if (reachedBy.size() >= 2 && reachedBy.size() > failedBy.size()) {
            return Verdict.PUBLIC;
        }
        if (failedBy.size() < 2 || failedBy.size() < reachedBy.size()) {
            return Verdict.UNKNOWN;
        }
        return switch (mapping()) {
            case 1 -> Verdict.CONE_NAT;
            case 2 -> Verdict.SYMMETRIC_NAT;
            default -> Verdict.PRIVATE;
        };
    }

    /** 0: unknown, 1: one public address and port whoever looks, 2: a different one per destination. */
    private int mapping() {
        Set<String> seenFrom = new HashSet<>();
        Set<String> mapped = new HashSet<>();
        for (Observation o : observations) {
            if (seenFrom.add(o.byIp())) {
                mapped.add(o.ip() + " " + o.port());
            }
        }
        if (seenFrom.size() < 2) {
            return 0;
        }
        return mapped.size() == 1 ? 1 : 2;
    }

    /** The public address others see us at, if they agree on one ("ip:port"), else null. */
    public String observedAddress() {
        String seen = null;
        for (Observation o : observations) {
            String a = o.ip().contains(":") ? "[" + o.ip() + "]:" + o.port() : o.ip() + ":" + o.port();
            if (seen != null && !seen.equals(a)) {
                return null;
            }
            seen = a;
        }
        return seen;
    }

    /** The public IP address others agree they see us at (ports may differ, as behind a symmetric NAT), else null. */
    public String observedIp() {
        String seen = null;
        for (Observation o : observations) {
            if (seen != null && !seen.equals(o.ip())) {
                return null;
            }
            seen = o.ip();
        }
        return seen;
    }

    /** The distinct public ports others saw us at, ascending: what a symmetric NAT's next mapping is predicted from. */
    public java.util.List<Integer> observedPorts() {
        return observations.stream().map(Observation::port).distinct().sorted().toList();
    }

    /** A line for status: the verdict and its evidence. */
    public String describe() {
        long ok = dialBacks.stream().filter(DialBack::reached).count();
        return verdict().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " (dial-backs " + ok + " reached, "
                + (dialBacks.size() - ok) + " failed; " + observations.size() + " observations"
                + (observedAddress() != null ? ", seen as " + observedAddress() : "") + ")";
    }
}
