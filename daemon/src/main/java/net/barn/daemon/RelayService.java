package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.core.nat.DialBackGuard;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayChooser;
import net.barn.core.relay.RelayCodec;
import net.barn.core.relay.RelayConfig;
import net.barn.core.relay.RelayServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations on relays (docs/PROTOCOL.md section 16). A node others can reach (its
 * reachability verdict is public) holds reservations for nodes that cannot be reached, within
 * {@link RelayConfig}'s limits, and answers load queries; a node behind NAT keeps reservations
 * on {@link #WANT} relays among its linked peers, chosen with {@link RelayChooser} from their
 * answered load and round trip, renewed at half their life and replaced when a link to a relay
 * goes or the relay refuses. Circuits through those reservations come next; the reservation
 * already tells the relay which nodes to expect and the client where it can be reached.
 */
public final class RelayService implements AutoCloseable {
    public static final String SERVICE = "barn/relay";
    /** Relays a node behind NAT holds reservations on. */
    public static final int WANT = 2;
    private static final Logger log = LoggerFactory.getLogger(RelayService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** Linked peers asked for their load per round. */
    private static final int ASK = 8;

    /** A reservation this node holds. */
    public record Held(NodeId relay, long renewAtNanos) {}

    private final BarnNode node;
    private final EventLoop loop;
    private final RelayServer server;
    private final RelayChooser chooser;
    private final Map<NodeId, Held> held = new LinkedHashMap<>();
    /** The relays held, for readers off the loop. */
    private volatile List<NodeId> heldNow = List.of();
    private final Map<NodeId, Long> refusedUntil = new HashMap<>();
    private volatile boolean working;
    private volatile int reservationsNow;
    private volatile boolean closed;

    RelayService(BarnNode node, RelayConfig config) {
        this.node = node;
        this.loop = node.eventLoopGroup().next();
        this.server = new RelayServer(config);
        this.chooser = new RelayChooser(RandomGeneratorFactory.of("L64X128MixRandom").create(new java.security.SecureRandom().nextLong()));
        node.bind(SERVICE, this::accept);
        loop.scheduleAtFixedRate(this::tick, 2, 5, TimeUnit.SECONDS);
    }

    /** The relays this node holds reservations on now. */
    public List<NodeId> relays() {
        return heldNow;
    }

    /** Reservations this node holds for others, as a relay. */
    public int reservationsHeld() {
        return reservationsNow;
    }

    // ---------------------------------------------------------------- as a client

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        server.expire(now);
        reservationsNow = server.reservations();
        heldNow = List.copyOf(held.keySet());
        Reachability.Verdict v = node.reachability().verdict();
        boolean unreachable = v == Reachability.Verdict.CONE_NAT || v == Reachability.Verdict.SYMMETRIC_NAT
                || v == Reachability.Verdict.PRIVATE;
        if (!unreachable) {
            held.clear();
            return;
        }
        Set<NodeId> linked = new HashSet<>();
        node.links().forEach(l -> linked.add(l.peerId()));
        held.values().removeIf(h -> !linked.contains(h.relay())); // the link to it went: so did our way in
        refusedUntil.values().removeIf(t -> now >= t);
        List<Held> renew = held.values().stream().filter(h -> now >= h.renewAtNanos()).toList();
        if ((held.size() < WANT || !renew.isEmpty()) && !working) {
            working = true;
            List<PeerLink> links = node.links();
            Thread.ofVirtual().name("barn-relay-reserve").start(() -> {
                try {
                    reserve(links, renew);
                } finally {
                    working = false;
                }
            });
        }
    }

    /** Off the loop: renews what is due, then asks linked peers for their load and reserves on the best. */
    private void reserve(List<PeerLink> links, List<Held> renew) {
        for (Held h : renew) {
            links.stream().filter(l -> l.peerId().equals(h.relay())).findFirst().ifPresent(this::askReserve);
        }
        List<RelayChooser.Candidate> candidates = new ArrayList<>();
        Set<NodeId> exclude = new HashSet<>();
        Set<String> groups = new HashSet<>();
        int need;
        try {
            need = loop.submit(() -> {
                exclude.addAll(held.keySet());
                exclude.addAll(refusedUntil.keySet());
                for (PeerLink l : links) {
                    if (held.containsKey(l.peerId())) {
                        groups.add(groupOf(l));
                    }
                }
                return WANT - held.size();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return;
        }
        if (need <= 0) {
            return;
        }
        int asked = 0;
        for (PeerLink l : links) {
            if (asked >= ASK || exclude.contains(l.peerId()) || l.remoteAddress() == null) {
                continue;
            }
            asked++;
            try {
                RelayCodec.Message m = RelayCodec.decode(StreamRequests.ask(l, SERVICE, RelayCodec.encode(new RelayCodec.LoadRequest()),
                        RelayCodec.MAX_MESSAGE, TIMEOUT_MILLIS));
                if (m instanceof RelayCodec.LoadAnswer a) {
                    candidates.add(new RelayChooser.Candidate(l.peerId(), groupOf(l), a.sparePermille() / 1000.0, a.capacity(),
                            Math.max(1, l.rttNanos())));
                }
            } catch (IOException | ProtocolException | RuntimeException e) {
                log.debug("{} gave no load: {}", l.peerId().shortForm(), e.getMessage());
            }
        }
        for (RelayChooser.Candidate c : chooser.choose(candidates, exclude, groups, need)) {
            links.stream().filter(l -> l.peerId().equals(c.id())).findFirst().ifPresent(this::askReserve);
        }
    }

    /** The IP group of a link's peer (on loopback, where every node shares one address: the peer itself). */
    private static String groupOf(PeerLink l) {
        InetSocketAddress r = l.remoteAddress();
        if (r == null || r.getAddress() == null || r.getAddress().isLoopbackAddress()) {
            return l.peerId().toString();
        }
        return DialBackGuard.group(r.getAddress().getAddress());
    }

    private void askReserve(PeerLink l) {
        try {
            RelayCodec.Message m = RelayCodec.decode(StreamRequests.ask(l, SERVICE, RelayCodec.encode(new RelayCodec.ReserveRequest()),
                    RelayCodec.MAX_MESSAGE, TIMEOUT_MILLIS));
            switch (m) {
                case RelayCodec.Granted g -> loop.execute(() -> {
                    boolean fresh = !held.containsKey(l.peerId());
                    held.put(l.peerId(), new Held(l.peerId(), System.nanoTime() + TimeUnit.SECONDS.toNanos(g.seconds()) / 2));
                    heldNow = List.copyOf(held.keySet());
                    if (fresh) {
                        log.info("relay {} holds a reservation for this node ({} s; circuits of {} bytes, {} s)",
                                l.peerId().shortForm(), g.seconds(), g.circuitBytes(), g.circuitSeconds());
                    }
                });
                case RelayCodec.Refused r -> loop.execute(() -> {
                    held.remove(l.peerId());
                    heldNow = List.copyOf(held.keySet());
                    refusedUntil.put(l.peerId(), System.nanoTime() + TimeUnit.MINUTES.toNanos(5));
                    log.info("relay {} refused a reservation: {}", l.peerId().shortForm(), r.reason());
                });
                default -> { }
            }
        } catch (IOException | ProtocolException | RuntimeException e) {
            log.debug("reservation on {} failed: {}", l.peerId().shortForm(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- as a relay

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-relay-answer").start(() -> answer(s, link));
    }

    private void answer(BlockingStream s, PeerLink link) {
        try (s) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            RelayCodec.Message q = RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE));
            RelayCodec.Message a = loop.submit(() -> decide(q, link)).get(5, TimeUnit.SECONDS);
            StreamRequests.write(s, RelayCodec.encode(a));
        } catch (Exception e) {
            log.debug("relay request from {} not answered: {}", link.peerId().shortForm(), e.getMessage());
        }
    }

    /** On the loop: what this node answers to {@code q} from the link's peer. */
    private RelayCodec.Message decide(RelayCodec.Message q, PeerLink link) {
        long now = System.nanoTime();
        if (node.reachability().verdict() != Reachability.Verdict.PUBLIC) {
            return new RelayCodec.Refused("this node is not publicly reachable: it relays for nobody");
        }
        int capacity = server.config().maxReservations();
        return switch (q) {
            case RelayCodec.LoadRequest r -> new RelayCodec.LoadAnswer((int) Math.round(server.spare() * 1000), capacity);
            case RelayCodec.ReserveRequest r -> {
                InetSocketAddress from = link.remoteAddress();
                String group = from == null || from.getAddress() == null ? "?" : DialBackGuard.group(from.getAddress().getAddress());
                RelayServer.Reply reply = server.reserve(now, link.peerId(), group);
                reservationsNow = server.reservations();
                yield switch (reply) {
                    case RelayServer.Reserved ok -> new RelayCodec.Granted((int) TimeUnit.NANOSECONDS.toSeconds(ok.expiresAt() - now),
                            ok.circuitBytes(), (int) TimeUnit.NANOSECONDS.toSeconds(ok.circuitNanos()),
                            (int) Math.round(ok.spare() * 1000), capacity);
                    case RelayServer.Refused no -> new RelayCodec.Refused(no.reason());
                    case RelayServer.Opened o -> new RelayCodec.Refused("unexpected");
                };
            }
            default -> new RelayCodec.Refused("not a request");
        };
    }

    @Override
    public void close() {
        closed = true;
    }
}
