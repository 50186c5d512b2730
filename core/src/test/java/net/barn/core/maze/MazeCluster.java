package net.barn.core.maze;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.ProtocolException;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.NodeId;

/**
 * Many {@link Maze}s of one maze exchanging messages under virtual time: seeded latency and
 * loss, per-pair link cuts (both directions dropped; the transport reports the link down a
 * second later if asked to), crashes (a crashed member drops everything), and every message
 * passed through {@link MazeCodec} both ways. Records every delivery and checks exactly-once,
 * per-sender order and payload integrity as it goes, the first breaches in {@link #violations}.
 */
final class MazeCluster extends net.barn.core.testing.VirtualTime {
    static final long MS = 1_000_000L;
    static final long SECOND = 1000 * MS;
    static final String MAZE = "irc/#barn";

    final class Member {
        final int index;
        final NodeId id;
        final Maze maze;
        /** In a private cluster: the layer that seals and opens; the driver talks to it instead of the maze. */
        final PrivateMaze sealed;
        boolean alive = true;
        long timerAt = Long.MAX_VALUE;
        int incarnation;
        final List<MazeEvent> events = new ArrayList<>();
        /** Per original sender, the sequence numbers delivered in delivery order. */
        final Map<NodeId, List<Long>> deliveries = new HashMap<>();

        Member(int index, NodeId id, Maze maze, PrivateMaze sealed) {
            this.index = index;
            this.id = id;
            this.maze = maze;
            this.sealed = sealed;
        }

        /** What the driver talks to: the sealing layer in a private cluster, else the maze. */
        MazeEndpoint endpoint() {
            return sealed != null ? sealed : maze;
        }

        List<Long> from(Member sender) {
            return deliveries.getOrDefault(sender.id, List.of());
        }

        @Override
        public String toString() {
            return "member " + index;
        }
    }


    final MazeConfig config;
    final boolean privateMaze;
    final List<Member> members = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    /** What each sender sent: sender id to seq to payload. */
    final Map<NodeId, Map<Long, byte[]>> sent = new HashMap<>();
    private final Set<Set<NodeId>> cuts = new HashSet<>();
    private final SplittableRandom net;
    double loss;
    boolean reportLinkDown = true;
    long minLatency = 10 * MS;
    long maxLatency = 150 * MS;
    long transmitted;
    /** Data as original senders sent it (one copy per receiver), for tests that replay or inspect it. */
    final List<MazeMessage.Data> captured = new ArrayList<>();

    MazeCluster(int n, long seed, MazeConfig config) {
        this(n, seed, config, false);
    }

    /** {@code privateMaze}: every member runs a {@link PrivateMaze} with a real identity (seeded). */
    MazeCluster(int n, long seed, MazeConfig config, boolean privateMaze) {
        this.config = config;
        this.privateMaze = privateMaze;
        SplittableRandom root = new SplittableRandom(seed);
        this.net = root.split();
        for (int i = 0; i < n; i++) {
            members.add(newMember(i, root.split()));
        }
    }

    MazeCluster(int n, long seed) {
        this(n, seed, MazeConfig.DEFAULT);
    }

    private Member newMember(int i, SplittableRandom r) {
        byte[] id = new byte[32];
        r.nextBytes(id);
        if (privateMaze) {
            Ed25519.SigningKey key = Ed25519.fromSeed(id);
            NodeId nodeId = NodeId.ofPublicKey(key.publicKey());
            Maze maze = new Maze(config, MAZE, nodeId, true);
            return new Member(i, nodeId, maze, new PrivateMaze(maze, key, new SeededEntropy(r.nextLong())));
        }
        NodeId nodeId = NodeId.of(id);
        return new Member(i, nodeId, new Maze(config, MAZE, nodeId), null);
    }

    /** A node outside the maze, with its own state machine, that may try to join later. */
    Member outsider() {
        Member m = newMember(members.size(), new SplittableRandom(members.size() * 7919L));
        members.add(m);
        return m;
    }

    Member member(NodeId id) {
        for (Member m : members) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        return null;
    }

    List<Member> alive() {
        return members.stream().filter(m -> m.alive).toList();
    }

    /** Member 0 starts the maze; member i joins {@code spacing} later through member 0 (and one more earlier member). */
    MazeCluster joinAll(int count, long spacing) {
        for (int i = 0; i < count; i++) {
            Member m = members.get(i);
            int k = i;
            at(i * spacing, () -> {
                List<NodeId> known = new ArrayList<>();
                if (k > 0) {
                    known.add(members.get(0).id);
                    NodeId other = members.get(net.nextInt(k)).id;
                    if (!known.contains(other)) {
                        known.add(other);
                    }
                }
                act(m, () -> m.endpoint().join(now, known));
            });
        }
        return this;
    }

    MazeCluster joinAll(long spacing) {
        return joinAll(members.size(), spacing);
    }

    long send(Member m, byte[] payload) {
        long[] s = new long[1];
        act(m, () -> s[0] = m.endpoint().send(now, payload));
        byte[] prior = sent.computeIfAbsent(m.id, x -> new HashMap<>()).put(s[0], payload.clone());
        if (prior != null) {
            violations.add(m + " used sequence " + s[0] + " twice");
        }
        return s[0];
    }

    void crash(Member m) {
        m.alive = false;
        m.incarnation++;
    }

    /** Cuts the direct link between two members in both directions; each side's transport notices a second later. */
    void cut(Member a, Member b) {
        cuts.add(Set.of(a.id, b.id));
        if (reportLinkDown) {
            at(now + SECOND, () -> {
                if (a.alive) {
                    act(a, () -> a.endpoint().handleLinkDown(now, b.id));
                }
                if (b.alive) {
                    act(b, () -> b.endpoint().handleLinkDown(now, a.id));
                }
            });
        }
    }

    void heal(Member a, Member b) {
        cuts.remove(Set.of(a.id, b.id));
    }

    /** Delivers a message from {@code from} to {@code to} now, as if it arrived on their link (bypassing loss and cuts). */
    void inject(NodeId from, Member to, MazeMessage m) {
        act(to, () -> to.endpoint().handleMessage(now, from, m));
    }

    /** Runs an action on a member's maze and sends what it produces. */
    void act(Member m, Runnable action) {
        action.run();
        drain(m);
    }

    private void drain(Member m) {
        Maze.Transmit t;
        while ((t = m.maze.pollTransmit()) != null) {
            transmit(m, t.to(), t.message());
        }
        MazeEvent e;
        while ((e = m.endpoint().pollEvent()) != null) {
            m.events.add(e);
            if (e instanceof MazeEvent.Delivered d) {
                record(m, d);
            } else if (e instanceof MazeEvent.Lost l) {
                List<Long> got = m.deliveries.computeIfAbsent(l.sender(), x -> new ArrayList<>());
                for (long s = l.first(); s <= l.last(); s++) {
                    got.add(-s); // skipped: keeps the order check honest
                }
            }
        }
        Maze.Transmit late; // a private maze sends key traffic while its events are polled
        while ((late = m.maze.pollTransmit()) != null) {
            transmit(m, late.to(), late.message());
        }
        if (!m.alive) {
            return;
        }
        long t2 = m.endpoint().pollTimeout();
        if (t2 < m.timerAt) {
            m.timerAt = t2;
            int inc = m.incarnation;
            at(t2, () -> {
                if (m.alive && m.incarnation == inc && m.timerAt == t2) {
                    m.timerAt = Long.MAX_VALUE;
                    act(m, () -> m.endpoint().handleTimeout(now));
                }
            });
        }
        long[] rb = m.maze.largestRetransmitBuffer();
        long[] ob = m.maze.largestOutOfOrderBuffer();
        if (rb[0] > config.retransmitMessages() || rb[1] > config.retransmitBytes() || ob[0] > config.outOfOrderMessages()
                || ob[1] > config.outOfOrderBytes() || m.maze.members().size() > config.maxMembers()
                || m.maze.queuedTransmits() > config.maxOutbound()) {
            violations.add(m + " at " + now / 1e9 + " s: a buffer past its bound");
        }
    }

    private void record(Member m, MazeEvent.Delivered d) {
        List<Long> got = m.deliveries.computeIfAbsent(d.sender(), x -> new ArrayList<>());
        if (!got.isEmpty()) {
            long last = Math.abs(got.get(got.size() - 1));
            // In a private maze, key traffic takes sequence numbers the application never sees.
            if ((privateMaze ? d.seq() <= last : d.seq() != last + 1) && violations.size() < 20) {
                violations.add(m + " delivered " + d.seq() + " of " + member(d.sender()) + " after " + last);
            }
        }
        got.add(d.seq());
        byte[] original = sent.getOrDefault(d.sender(), Map.of()).get(d.seq());
        if (original == null || !java.util.Arrays.equals(original, d.payload())) {
            violations.add(m + " delivered a message " + d.seq() + " of " + member(d.sender()) + " that was never sent like that");
        }
    }

    private void transmit(Member from, NodeId to, MazeMessage m) {
        transmitted++;
        if (m instanceof MazeMessage.Data d && !d.relayed() && captured.size() < 10_000) {
            captured.add(d);
        }
        byte[] wire = MazeCodec.encode(m);
        Member dest = member(to);
        if (dest == null || cuts.contains(Set.of(from.id, to)) || net.nextDouble() < loss) {
            return;
        }
        long latency = minLatency + (long) (net.nextDouble() * (maxLatency - minLatency));
        at(now + latency, () -> {
            if (!dest.alive || cuts.contains(Set.of(from.id, to))) {
                return;
            }
            MazeMessage decoded;
            try {
                decoded = MazeCodec.decode(wire, MAZE, config.maxPayloadBytes());
            } catch (ProtocolException ex) {
                violations.add("a message the maze sent did not decode: " + ex.getMessage());
                return;
            }
            act(dest, () -> dest.endpoint().handleMessage(now, from.id, decoded));
        });
    }

    /**
     * Exactly once, in order, completely: every member in {@code receivers} delivered every
     * message {@code sender} sent, 1..last, each once, in order, none skipped.
     */
    List<String> completeness(List<Member> senders, List<Member> receivers) {
        List<String> out = new ArrayList<>();
        for (Member s : senders) {
            Map<Long, byte[]> all = sent.getOrDefault(s.id, Map.of());
            for (Member r : receivers) {
                if (r == s) {
                    continue;
                }
                List<Long> got = r.from(s);
                List<Long> want = new ArrayList<>(new java.util.TreeSet<>(all.keySet()));
                if (!got.equals(want) && out.size() < 10) {
                    out.add(r + " has from " + s + " " + summary(got) + ", want 1.." + all.size());
                }
            }
        }
        return out;
    }

    private static String summary(List<Long> l) {
        return l.size() <= 12 ? l.toString() : l.subList(0, 6) + "..." + l.subList(l.size() - 6, l.size()) + " (" + l.size() + ")";
    }
}
