package net.barn.core.trust.beacon;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.testing.VirtualTime;

/**
 * {@link Dkg} cores exchanging messages in memory under virtual time: a fixed latency, a
 * {@link #tamper} hook applied to each message once as it leaves its sender (so a broadcast
 * stays consistent), a {@link #drop} hook, and offline nodes that neither send nor receive.
 * Deals go to the node with that receiver index; everything else to every other node.
 */
final class DkgCluster extends VirtualTime {
    static final long MS = 1_000_000L;
    static final long PHASE = 1000 * MS;
    static final long LATENCY = 20 * MS;

    final class Node {
        final Dkg dkg;
        final List<DkgEvent> events = new ArrayList<>();
        boolean offline;
        private long timerAt = Long.MAX_VALUE;

        Node(Dkg dkg) {
            this.dkg = dkg;
        }

        DkgResult result() {
            return dkg.result().orElseThrow(() -> new AssertionError("no result; events " + events));
        }

        <E extends DkgEvent> List<E> events(Class<E> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        @Override
        public String toString() {
            return "node d" + dkg.config().selfDealer() + "/r" + dkg.config().selfReceiver();
        }
    }

    final List<Node> nodes = new ArrayList<>();
    UnaryOperator<DkgMessage> tamper = m -> m;
    Predicate<DkgMessage> drop = m -> false;
    long delivered;

    DkgCluster(List<DkgConfig> configs, long seed) {
        for (DkgConfig c : configs) {
            nodes.add(new Node(new Dkg(c, new SeededEntropy(seed * 1000 + nodes.size()))));
        }
    }

    /** A fresh DKG among 1..n with threshold t. */
    static DkgCluster fresh(int n, int t, long seed) {
        List<DkgConfig> configs = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            configs.add(DkgConfig.fresh(seed, n, t, i, PHASE));
        }
        return new DkgCluster(configs, seed);
    }

    Node node(int index) {
        return nodes.get(index - 1);
    }

    List<Node> online() {
        return nodes.stream().filter(n -> !n.offline).toList();
    }

    /** Starts every online node and runs until every phase has passed. */
    DkgCluster run() {
        for (Node n : online()) {
            n.dkg.start(now);
            pump(n);
        }
        runFor(4 * PHASE);
        return this;
    }

    private void pump(Node from) {
        DkgMessage m;
        while ((m = from.dkg.pollTransmit()) != null) {
            if (from.offline || drop.test(m)) {
                continue;
            }
            DkgMessage sent = tamper.apply(m);
            for (Node to : recipients(from, sent)) {
                at(now + LATENCY, () -> deliver(to, sent));
            }
        }
        DkgEvent e;
        while ((e = from.dkg.pollEvent()) != null) {
            from.events.add(e);
        }
        long t = from.dkg.pollTimeout();
        if (t != Long.MAX_VALUE && t != from.timerAt) {
            from.timerAt = t;
            at(t, () -> {
                if (now >= from.dkg.pollTimeout()) {
                    from.dkg.handleTimeout(now);
                    pump(from);
                }
            });
        }
    }

    private List<Node> recipients(Node from, DkgMessage m) {
        if (m instanceof DkgMessage.Deal d) {
            return nodes.stream().filter(n -> n.dkg.config().selfReceiver() == d.to()).toList();
        }
        return nodes.stream().filter(n -> n != from).toList();
    }

    private void deliver(Node to, DkgMessage m) {
        if (to.offline) {
            return;
        }
        delivered++;
        to.dkg.handleMessage(now, m);
        pump(to);
    }

    /** The distinct group keys among the online nodes' results. */
    Set<BlsPublicKey> groupKeys() {
        return groupKeys(online());
    }

    static Set<BlsPublicKey> groupKeys(List<Node> of) {
        Set<BlsPublicKey> keys = new HashSet<>();
        for (Node n : of) {
            keys.add(n.result().group().publicKey());
        }
        return keys;
    }

    /** The online nodes but those given: the honest ones when the others misbehave. */
    List<Node> honest(Integer... faulty) {
        Set<Node> out = new HashSet<>();
        for (int i : faulty) {
            out.add(node(i));
        }
        return online().stream().filter(n -> !out.contains(n)).toList();
    }
}
