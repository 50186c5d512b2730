package net.barn.daemon;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.nat.PunchPlan;
import net.barn.core.nat.ReachCodec;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hole punching (docs/PROTOCOL.md 16.4): when this node dials another through a relay, the two
 * exchange, over the relayed link, how each is reached from outside (a public address, a cone
 * NAT's mapping, or a symmetric NAT's IP and the ports it was seen at), time the exchange, and
 * act on {@link PunchPlan} at the same moment (half the measured round trip after the "go"):
 * two fixed addresses dial each other from their listen ports, and the SYNs cross; a symmetric
 * side opens many connections from fresh ports while a cone side probes as many predicted
 * ports (a birthday search). The link over the connection that forms replaces the relayed one,
 * which closes once its streams have ended. Two symmetric NATs stay relayed.
 */
final class PunchService implements NodeListener {
    static final String SERVICE = "barn/punch";
    private static final Logger log = LoggerFactory.getLogger(PunchService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** How long a connect of a birthday search waits: SYNs are retransmitted after 1 and 3 s. */
    private static final int SEARCH_MILLIS = 8000;
    private static final int DIRECT_MILLIS = 3000;

    /** Birthday searches a node makes at most per {@link #SEARCH_WINDOW_NANOS}, and per peer at most one. */
    static final int SEARCHES_PER_WINDOW = 4;
    static final long SEARCH_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final BarnNode node;
    /** When each recent search began, and with whom: a peer cannot have this node send SYNs to an address it names without end. */
    private final java.util.Deque<Long> searches = new java.util.ArrayDeque<>();
    private final java.util.Map<NodeId, Long> searchedWith = new java.util.HashMap<>();
    private final java.util.random.RandomGenerator rng =
            java.util.random.RandomGeneratorFactory.of("L64X128MixRandom").create(new java.security.SecureRandom().nextLong());

    PunchService(BarnNode node) {
        this.node = node;
        node.bind(SERVICE, this::accept);
        node.addListener(this);
    }

    /** How this node is reached, to offer; null if it does not know. */
    private RelayCodec.PunchOffer offer() {
        Reachability.Verdict v = node.reachability().verdict();
        if (v == Reachability.Verdict.PUBLIC && !node.invite().addresses().isEmpty()) {
            return new RelayCodec.PunchOffer(List.of(node.invite().addresses().get(0).toString()), PunchPlan.Reach.PUBLIC, List.of());
        }
        String seen = node.reachability().observedAddress();
        if (v == Reachability.Verdict.CONE_NAT && seen != null) {
            return new RelayCodec.PunchOffer(List.of(seen), PunchPlan.Reach.CONE, List.of());
        }
        String ip = node.reachability().observedIp();
        List<Integer> ports = node.reachability().observedPorts();
        if (v == Reachability.Verdict.SYMMETRIC_NAT && ip != null && !ports.isEmpty()) {
            String host = ip.contains(":") ? "[" + ip + "]" : ip;
            return new RelayCodec.PunchOffer(List.of(host + ":" + ports.get(0)), PunchPlan.Reach.SYMMETRIC,
                    ports.subList(0, Math.min(ports.size(), RelayCodec.MAX_SEEN_PORTS)));
        }
        return null;
    }

    private static PunchPlan.Offer asPlan(RelayCodec.PunchOffer o) {
        return new PunchPlan.Offer(o.reach(), o.addresses().get(0), o.seenPorts());
    }

    private PunchPlan.Plan plan(RelayCodec.PunchOffer mine, RelayCodec.PunchOffer theirs) {
        synchronized (rng) {
            return PunchPlan.plan(asPlan(mine), asPlan(theirs), PunchPlan.BIRTHDAY_SOCKETS, rng);
        }
    }

    /** Punches whose QUIC link the peer dials in: completed when it comes up. */
    private final java.util.Map<NodeId, CompletableFuture<PeerLink>> awaitingQuic = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void linkUp(PeerLink link) {
        if (link.transport().equals("quic")) {
            CompletableFuture<PeerLink> waiting = awaitingQuic.remove(link.peerId());
            if (waiting != null) {
                waiting.complete(link);
            }
        }
        if (link.relayedVia() != null && link.isOutbound()) {
            Thread.ofVirtual().name("barn-punch").start(() -> initiate(link));
        }
    }

    /** As the dialler of the relayed link: offer, time the answer, say go, act at the moment the peer does. */
    private void initiate(PeerLink link) {
        RelayCodec.PunchOffer mine = offer();
        if (mine == null) {
            log.info("no hole punch to {}: this node does not know how it is reached yet; staying relayed",
                    link.peerId().shortForm());
            return;
        }
        try (BlockingStream s = link.openBlocking(SERVICE)) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            long t0 = System.nanoTime();
            StreamRequests.write(s, RelayCodec.encode(mine));
            RelayCodec.Message answer = RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE));
            long rtt = System.nanoTime() - t0;
            if (!(answer instanceof RelayCodec.PunchOffer theirs)) {
                log.info("no hole punch to {}: {}; staying relayed", link.peerId().shortForm(),
                        answer instanceof RelayCodec.Refused r ? r.reason() : "no offer");
                return;
            }
            PunchPlan.Plan plan = plan(mine, theirs);
            if (plan.kind() == PunchPlan.Kind.NONE) {
                return;
            }
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.PunchGo()));
            // The go reaches the peer half a round trip from now: act then, so that both sides' SYNs leave together.
            node.eventLoopGroup().next().schedule(() -> act(link, plan, true), rtt / 2, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            log.info("hole punch to {} not tried: {}", link.peerId().shortForm(), e.toString());
        }
    }

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-punch-answer").start(() -> answer(s, link));
    }

    /** As the answering side: our offer back (or why not), then act at once on the go. */
    private void answer(BlockingStream s, PeerLink link) {
        try (s) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            if (!(RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE)) instanceof RelayCodec.PunchOffer theirs)
                    || link.relayedVia() == null) {
                return;
            }
            RelayCodec.PunchOffer mine = offer();
            if (mine == null) {
                StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Refused(
                        "the other node does not know how it is reached yet: it stays relayed")));
                return;
            }
            PunchPlan.Plan plan = plan(mine, theirs);
            if (plan.kind() == PunchPlan.Kind.NONE) {
                StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Refused(
                        "both nodes are behind NATs that map each destination apart: they stay relayed")));
                return;
            }
            StreamRequests.write(s, RelayCodec.encode(mine));
            if (RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE)) instanceof RelayCodec.PunchGo) {
                act(link, plan, false);
            }
        } catch (IOException | net.barn.core.ProtocolException | RuntimeException e) {
            log.info("hole punch from {} not answered: {}", link.peerId().shortForm(), e.toString());
        }
    }

    private void act(PeerLink relayed, PunchPlan.Plan plan, boolean initiator) {
        NodeId peer = relayed.peerId();
        if (plan.kind() == PunchPlan.Kind.WAIT) {
            log.info("hole punch with {}: it is behind a symmetric NAT and dials this public node", peer.shortForm());
            return;
        }
        List<PeerAddress> targets = new java.util.ArrayList<>();
        try {
            for (String t : plan.targets()) {
                targets.add(PeerAddress.parse(t));
            }
        } catch (IllegalArgumentException e) {
            return;
        }
        boolean search = plan.kind() == PunchPlan.Kind.SPRAY || plan.kind() == PunchPlan.Kind.PROBE;
        if (search && !allowSearch(peer, System.nanoTime())) {
            log.info("hole punch with {}: no birthday search (at most {} per 10 minutes, one per peer); staying relayed",
                    peer.shortForm(), SEARCHES_PER_WINDOW);
            return;
        }
        boolean overUdp = node.punchesOverUdp()
                && PunchPlan.hasUdpHalf(plan, relayed.peerInfo().capabilities().contains(net.barn.core.link.LinkConfig.QUIC));
        boolean overTcp = search || node.punchesOverTcp() || !overUdp;
        String what = search ? "birthday search (" + plan.kind().name().toLowerCase(java.util.Locale.ROOT) + ", "
                + targets.size() + " connections)"
                : "hole punch to " + targets.get(0) + (overTcp && overUdp ? " (TCP and UDP)" : overUdp ? " (UDP)" : " (TCP)");
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        List<CompletableFuture<PeerLink>> attempts = new java.util.ArrayList<>();
        if (overTcp) {
            attempts.add(node.punchMany(targets, plan.fromFreshPorts(), peer, initiator, search ? SEARCH_MILLIS : DIRECT_MILLIS, taken));
        }
        if (overUdp) {
            attempts.add(punchUdp(targets.get(0), peer, initiator, taken));
        }
        firstOf(attempts).whenComplete((l, e) -> {
            if (e == null) {
                log.info("hole punch with {}: {} succeeded over {} in {} ms", peer.shortForm(), what, l.transport(),
                        (System.nanoTime() - t0) / 1_000_000);
            } else {
                log.info("hole punch with {}: {} failed: {}; staying relayed", peer.shortForm(), what,
                        e instanceof LinkException le ? le.getMessage() : String.valueOf(e));
            }
        });
    }

    /**
     * The UDP half of a punch (PROTOCOL.md 16.5): both sides send punch datagrams from their
     * port to the other's mapping, which opens each NAT toward the other; the initiator then
     * dials QUIC from the same port, whose first packets pass the mapping the other side's
     * datagrams opened. The other side's QUIC listener takes the connection as any inbound link.
     */
    private CompletableFuture<PeerLink> punchUdp(PeerAddress target, NodeId peer, boolean initiator,
            java.util.concurrent.atomic.AtomicBoolean taken) {
        UdpEndpoint udp = node.udp();
        java.net.InetSocketAddress to = new java.net.InetSocketAddress(target.host(), target.port());
        if (udp == null || to.isUnresolved()) {
            return CompletableFuture.failedFuture(new LinkException(ErrorCode.CONNECTION_LOST, "no UDP path to " + target));
        }
        byte[] nonce = new byte[ReachCodec.NONCE];
        synchronized (rng) {
            rng.nextBytes(nonce);
        }
        CompletableFuture<Void> heard = initiator ? udp.heardPunch(to, PunchPlan.UDP_DIAL_FALLBACK_MILLIS) : null;
        udp.punch(to, nonce, PunchPlan.udpPunchMillis());
        if (!initiator) { // the link arrives as an inbound QUIC connection
            CompletableFuture<PeerLink> inbound = new CompletableFuture<>();
            awaitingQuic.put(peer, inbound);
            node.eventLoopGroup().next().schedule(() -> {
                awaitingQuic.remove(peer, inbound);
                inbound.completeExceptionally(new LinkException(ErrorCode.CONNECTION_LOST, "no QUIC connection came from the peer"));
            }, DIRECT_MILLIS + PunchPlan.udpPunchSpanMillis(), TimeUnit.MILLISECONDS);
            return inbound;
        }
        return heard.thenCompose(v -> udp.dial(to, peer, taken, DIRECT_MILLIS + (int) PunchPlan.udpPunchSpanMillis()));
    }

    /** The first attempt that succeeds; fails when all have failed, with the first failure. */
    private static CompletableFuture<PeerLink> firstOf(List<CompletableFuture<PeerLink>> attempts) {
        CompletableFuture<PeerLink> result = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> first = new java.util.concurrent.atomic.AtomicReference<>();
        for (CompletableFuture<PeerLink> a : attempts) {
            a.whenComplete((l, e) -> {
                if (e == null) {
                    result.complete(l);
                } else {
                    first.compareAndSet(null, e instanceof java.util.concurrent.CompletionException c && c.getCause() != null ? c.getCause() : e);
                    if (failed.incrementAndGet() == attempts.size()) {
                        result.completeExceptionally(first.get());
                    }
                }
            });
        }
        return result;
    }

    /**
     * A probe sends 256 SYNs to an IP address the peer named, which this node cannot check
     * (the peer is behind a relay): searches are few per node and one per peer per window.
     */
    private synchronized boolean allowSearch(NodeId peer, long now) {
        while (!searches.isEmpty() && now - searches.peekFirst() >= SEARCH_WINDOW_NANOS) {
            searches.removeFirst();
        }
        searchedWith.values().removeIf(t -> now - t >= SEARCH_WINDOW_NANOS);
        if (searches.size() >= SEARCHES_PER_WINDOW || searchedWith.containsKey(peer)) {
            return false;
        }
        searches.addLast(now);
        searchedWith.put(peer, now);
        return true;
    }

    @Override
    public void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {
        // nothing held per link
    }
}
