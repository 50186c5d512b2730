package net.barn.core.overlay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;

/**
 * Many {@link NamespaceOverlay}s of one namespace exchanging messages under virtual time:
 * seeded latency and loss, crashes (a crashed member drops everything), and every message
 * passed through {@link OverlayCodec} both ways, as it would be on a link. After every step
 * the harness checks the view invariants and records the first breach in {@link #violations}.
 */
final class Cluster extends net.barn.core.testing.VirtualTime {
    static final long MS = 1_000_000L;
    static final long SECOND = 1000 * MS;
    static final String NAMESPACE = "chess";

    final class Member {
        final int index;
        final NodeId id;
        final NamespaceOverlay overlay;
        boolean alive = true;
        long timerAt = Long.MAX_VALUE;
        int incarnation;
        final List<OverlayEvent.Delivered> delivered = new ArrayList<>();
        final List<OverlayEvent> events = new ArrayList<>();

        Member(int index, NodeId id, NamespaceOverlay overlay) {
            this.index = index;
            this.id = id;
            this.overlay = overlay;
        }

        long deliveries(MessageId m) {
            return delivered.stream().filter(d -> d.id().equals(m)).count();
        }

        @Override
        public String toString() {
            return "member " + index;
        }
    }


    final OverlayConfig config;
    final List<Member> members = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    private final SplittableRandom net;
    double loss;
    long minLatency = 10 * MS;
    long maxLatency = 150 * MS;
    long sent;
    long delivered;
    long decodeFailures;

    Cluster(int n, long seed, OverlayConfig config) {
        this.config = config;
        SplittableRandom root = new SplittableRandom(seed);
        this.net = root.split();
        for (int i = 0; i < n; i++) {
            SplittableRandom r = root.split();
            byte[] id = new byte[32];
            r.nextBytes(id);
            NodeId nodeId = NodeId.of(id);
            members.add(new Member(i, nodeId, new NamespaceOverlay(config, NAMESPACE, nodeId, r)));
        }
    }

    Cluster(int n, long seed) {
        this(n, seed, OverlayConfig.DEFAULT);
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

    /** Member 0 starts the namespace; member i joins {@code spacing} later through up to 3 earlier members. */
    Cluster joinAll(long spacing) {
        for (Member m : members) {
            int i = m.index;
            at(i * spacing, () -> {
                List<NodeId> contacts = new ArrayList<>();
                for (int k = 0; k < 3 && i > 0; k++) {
                    NodeId c = members.get(net.nextInt(i)).id;
                    if (!contacts.contains(c)) {
                        contacts.add(c);
                    }
                }
                act(m, () -> m.overlay.join(now, contacts));
            });
        }
        return this;
    }

    MessageId broadcast(Member m, byte[] payload) {
        MessageId[] id = new MessageId[1];
        act(m, () -> id[0] = m.overlay.broadcast(now, payload));
        return id[0];
    }

    void crash(Member m) {
        m.alive = false;
        m.incarnation++;
    }

    void leave(Member m) {
        act(m, () -> m.overlay.leave(now));
        m.alive = false;
        m.incarnation++;
    }

    /** Runs an action on a member's overlay and sends what it produces. */
    void act(Member m, Runnable action) {
        action.run();
        drain(m);
    }

    private void drain(Member m) {
        NamespaceOverlay.Transmit t;
        while ((t = m.overlay.pollTransmit()) != null) {
            send(m, t.to(), t.message());
        }
        OverlayEvent e;
        while ((e = m.overlay.pollEvent()) != null) {
            m.events.add(e);
            if (e instanceof OverlayEvent.Delivered d) {
                m.delivered.add(d);
            }
        }
        if (!m.alive) {
            return;
        }
        long t2 = m.overlay.pollTimeout();
        if (t2 < m.timerAt) {
            m.timerAt = t2;
            int inc = m.incarnation;
            at(t2, () -> {
                if (m.alive && m.incarnation == inc && m.timerAt == t2) {
                    m.timerAt = Long.MAX_VALUE;
                    act(m, () -> m.overlay.handleTimeout(now));
                }
            });
        }
        check(m);
    }

    private void send(Member from, NodeId to, OverlayMessage m) {
        sent++;
        byte[] wire = OverlayCodec.encode(m);
        Member dest = member(to);
        if (dest == null || net.nextDouble() < loss) {
            return;
        }
        long latency = minLatency + (long) (net.nextDouble() * (maxLatency - minLatency));
        at(now + latency, () -> {
            if (!dest.alive) {
                return;
            }
            OverlayMessage decoded;
            try {
                decoded = OverlayCodec.decode(wire, NAMESPACE, config.maxPayloadBytes());
            } catch (ProtocolException ex) {
                decodeFailures++;
                violations.add("a message the overlay sent did not decode: " + ex.getMessage());
                return;
            }
            delivered++;
            act(dest, () -> dest.overlay.handleMessage(now, from.id, decoded));
        });
    }

    /** The view invariants every member keeps at every step. */
    private void check(Member m) {
        List<NodeId> active = m.overlay.activeView();
        List<NodeId> passive = m.overlay.passiveView();
        String who = m + " at " + now / 1e9 + " s: ";
        if (active.size() > config.activeViewSize()) {
            violations.add(who + "active view of " + active.size());
        }
        if (passive.size() > config.passiveViewSize()) {
            violations.add(who + "passive view of " + passive.size());
        }
        if (active.contains(m.id) || passive.contains(m.id)) {
            violations.add(who + "holds itself");
        }
        Set<NodeId> both = new HashSet<>(active);
        both.retainAll(passive);
        if (!both.isEmpty()) {
            violations.add(who + "a peer in both views");
        }
        if (new HashSet<>(passive).size() != passive.size()) {
            violations.add(who + "passive view has duplicates");
        }
        if (m.overlay.dedupCacheSize() > config.dedupCacheSize() || m.overlay.payloadCacheSize() > config.payloadCacheSize()
                || m.overlay.missingCount() > NamespaceOverlay.MAX_MISSING) {
            violations.add(who + "a cache past its bound");
        }
    }

    /** Whether every live member's active view is symmetric (a holds b iff b holds a), among live members. */
    boolean symmetric() {
        for (Member a : alive()) {
            for (NodeId b : a.overlay.activeView()) {
                Member mb = member(b);
                if (mb.alive && !mb.overlay.activeView().contains(a.id)) {
                    return false;
                }
            }
        }
        return true;
    }
}
