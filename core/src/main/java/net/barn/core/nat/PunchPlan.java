package net.barn.core.nat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * What one side of a hole punch does, from what both sides offered (docs/PROTOCOL.md 16.4;
 * sans-IO, randomness injected). A side's {@link Offer} says how it is reached: a fixed address
 * (public, or a cone NAT's mapping, the same whoever it talks to), or, behind a symmetric NAT,
 * only its public IP and the ports its NAT gave the mappings others saw.
 *
 * <ul>
 *   <li>Neither symmetric: both dial the other's address from their listen port at the same
 *       moment ({@link Kind#DIAL}); the SYNs cross and one connection forms.
 *   <li>This side symmetric, the other public: dial it ({@link Kind#DIAL}), an ordinary
 *       connection the other side's listener takes.
 *   <li>This side symmetric, the other a cone: open {@code sockets} connections from fresh
 *       ports to its address ({@link Kind#SPRAY}), each given its own random public port by the
 *       NAT, while the cone side probes ({@link Kind#PROBE}) as many predicted ports at this
 *       side's IP from its listen port: a birthday search. Where a probe meets a mapping, the
 *       two SYNs are each other's reply and that connection forms. Ports are predicted from the
 *       observed ones: a NAT that allocates from a block (as carrier-grade NATs do) is found
 *       within it; one that allocates from the whole range gives about 1 - e^(-n²/64512).
 *   <li>This side public, the other symmetric: nothing ({@link Kind#WAIT}): the other dials in.
 *   <li>Both symmetric: {@link Kind#NONE}; the link stays relayed.
 * </ul>
 */
public final class PunchPlan {
    /** Sockets (or probes) on each side of a birthday search by default. */
    public static final int BIRTHDAY_SOCKETS = 256;

    /**
     * When each side sends its UDP punch datagrams, in ms from the moment it acts (PROTOCOL.md
     * 16.5): close together first, because one side's first datagram can reach the other NAT
     * before that side's own has opened it (the two act a little apart), then spread over clock
     * skew and losses.
     */
    private static final long[] UDP_PUNCH_MILLIS = {0, 25, 50, 100, 200, 400, 600, 800, 1000, 1200};

    /** How long the initiator waits for the peer's first punch datagram before it dials QUIC anyway. */
    public static final long UDP_DIAL_FALLBACK_MILLIS = 1000;

    public static long[] udpPunchMillis() {
        return UDP_PUNCH_MILLIS.clone();
    }

    /** When the last punch datagram leaves. */
    public static long udpPunchSpanMillis() {
        return UDP_PUNCH_MILLIS[UDP_PUNCH_MILLIS.length - 1];
    }

    /**
     * Whether a punch has a UDP half (PROTOCOL.md 16.5): a direct dial between two fixed
     * addresses (public or cone), both of whose nodes take links over QUIC. Birthday searches
     * run over TCP only.
     */
    public static boolean hasUdpHalf(Plan plan, boolean bothSpeakQuic) {
        return plan.kind() == Kind.DIAL && bothSpeakQuic;
    }
    /** The lowest port a NAT maps to. */
    static final int FIRST_PORT = 1024;
    static final int LAST_PORT = 65535;
    /** Ports searched beyond the observed ones on each side, at least. */
    static final int MARGIN = 1024;

    /** How this side is reached. */
    public enum Reach { PUBLIC, CONE, SYMMETRIC }

    /**
     * One side's offer: its address ("ip:port"; behind a symmetric NAT the port is one it was
     * seen at, which tells nothing) and, behind a symmetric NAT, the ports it was seen at.
     */
    public record Offer(Reach reach, String address, List<Integer> seenPorts) {
        public Offer {
            seenPorts = List.copyOf(seenPorts);
        }

        String ip() {
            int colon = address.lastIndexOf(':');
            String host = address.substring(0, colon);
            return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        }
    }

    /** What to do. */
    public enum Kind { DIAL, SPRAY, PROBE, WAIT, NONE }

    /**
     * The plan: {@code targets} ("ip:port", IPv6 bracketed) to connect to, from the listen port
     * unless {@code fromFreshPorts}.
     */
    public record Plan(Kind kind, List<String> targets, boolean fromFreshPorts) {
        public Plan {
            targets = List.copyOf(targets);
        }
    }

    private PunchPlan() {}

    public static Plan plan(Offer mine, Offer theirs, int sockets, RandomGenerator rng) {
        boolean meSym = mine.reach() == Reach.SYMMETRIC;
        boolean themSym = theirs.reach() == Reach.SYMMETRIC;
        if (meSym && themSym) {
            return new Plan(Kind.NONE, List.of(), false);
        }
        if (!meSym && !themSym) {
            return new Plan(Kind.DIAL, List.of(theirs.address()), false);
        }
        if (meSym) {
            if (theirs.reach() == Reach.PUBLIC) {
                return new Plan(Kind.DIAL, List.of(theirs.address()), true);
            }
            List<String> same = new ArrayList<>();
            for (int i = 0; i < sockets; i++) {
                same.add(theirs.address());
            }
            return new Plan(Kind.SPRAY, same, true);
        }
        if (mine.reach() == Reach.PUBLIC) {
            return new Plan(Kind.WAIT, List.of(), false);
        }
        String ip = theirs.ip();
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        List<String> probes = new ArrayList<>();
        for (int port : predict(theirs.seenPorts(), sockets, rng)) {
            probes.add(host + ":" + port);
        }
        return new Plan(Kind.PROBE, probes, false);
    }

    /**
     * {@code n} distinct ports drawn at random from the window the observed ports suggest: from
     * the lowest seen less a margin to the highest plus one (the margin at least {@link #MARGIN}
     * and at least the observed spread), within 1024..65535; the whole range when nothing was seen.
     */
    static List<Integer> predict(List<Integer> seen, int n, RandomGenerator rng) {
        int lo = FIRST_PORT;
        int hi = LAST_PORT;
        if (!seen.isEmpty()) {
            int min = seen.stream().mapToInt(Integer::intValue).min().orElseThrow();
            int max = seen.stream().mapToInt(Integer::intValue).max().orElseThrow();
            int margin = Math.max(MARGIN, max - min);
            lo = Math.max(FIRST_PORT, min - margin);
            hi = Math.min(LAST_PORT, max + margin);
        }
        int span = hi - lo + 1;
        Set<Integer> out = new LinkedHashSet<>();
        while (out.size() < Math.min(n, span)) {
            out.add(lo + rng.nextInt(span));
        }
        return List.copyOf(out);
    }
}
