package net.barn.daemon;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.ErrorCode;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hole punching (docs/PROTOCOL.md 16.4): when this node dials another through a relay, the two
 * exchange, over the relayed link, the addresses at which their listen ports are seen from
 * outside, time the exchange, and open TCP from their listen ports to each other at the same
 * moment (half the measured round trip after the "go"). Through endpoint-independent (cone)
 * NATs the SYNs cross and one connection forms; the link over it replaces the relayed one,
 * which closes once its streams have ended. A node behind a symmetric NAT has no address to
 * offer (its mapping changes per destination) and stays relayed.
 */
final class PunchService implements NodeListener {
    static final String SERVICE = "barn/punch";
    private static final Logger log = LoggerFactory.getLogger(PunchService.class);
    private static final long TIMEOUT_MILLIS = 5000;

    private final BarnNode node;

    PunchService(BarnNode node) {
        this.node = node;
        node.bind(SERVICE, this::accept);
        node.addListener(this);
    }

    /** The addresses to offer: the public listen address, or the NAT mapping others agree on; empty if none is known. */
    private List<String> offer() {
        Reachability.Verdict v = node.reachability().verdict();
        if (v == Reachability.Verdict.PUBLIC && !node.invite().addresses().isEmpty()) {
            return List.of(node.invite().addresses().get(0).toString());
        }
        String seen = node.reachability().observedAddress();
        return v == Reachability.Verdict.CONE_NAT && seen != null ? List.of(seen) : List.of();
    }

    @Override
    public void linkUp(PeerLink link) {
        if (link.relayedVia() != null && link.isOutbound()) {
            Thread.ofVirtual().name("barn-punch").start(() -> initiate(link));
        }
    }

    /** As the dialler of the relayed link: offer, time the answer, say go, dial at the moment the peer does. */
    private void initiate(PeerLink link) {
        List<String> mine = offer();
        if (mine.isEmpty()) {
            log.info("no hole punch to {}: this node has no address others can reach it at; staying relayed",
                    link.peerId().shortForm());
            return;
        }
        try (BlockingStream s = link.openBlocking(SERVICE)) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            long t0 = System.nanoTime();
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.PunchOffer(mine)));
            RelayCodec.Message answer = RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE));
            long rtt = System.nanoTime() - t0;
            if (!(answer instanceof RelayCodec.PunchOffer theirs)) {
                log.info("no hole punch to {}: {}; staying relayed", link.peerId().shortForm(),
                        answer instanceof RelayCodec.Refused r ? r.reason() : "no offer");
                return;
            }
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.PunchGo()));
            // The go reaches the peer half a round trip from now: dial then, so that both SYNs leave together.
            node.eventLoopGroup().next().schedule(() -> dial(link, theirs.addresses(), true), rtt / 2, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            log.info("hole punch to {} not tried: {}", link.peerId().shortForm(), e.toString());
        }
    }

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-punch-answer").start(() -> answer(s, link));
    }

    /** As the answering side: our offer back, then dial at once on the go. */
    private void answer(BlockingStream s, PeerLink link) {
        try (s) {
            s.setReadTimeout(TIMEOUT_MILLIS);
            if (!(RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE)) instanceof RelayCodec.PunchOffer theirs)
                    || link.relayedVia() == null) {
                return;
            }
            List<String> mine = offer();
            if (mine.isEmpty()) {
                StreamRequests.write(s, RelayCodec.encode(new RelayCodec.Refused(
                        "the other node's NAT maps each destination apart (or is not known): it stays relayed")));
                return;
            }
            StreamRequests.write(s, RelayCodec.encode(new RelayCodec.PunchOffer(mine)));
            if (RelayCodec.decode(StreamRequests.read(s, RelayCodec.MAX_MESSAGE)) instanceof RelayCodec.PunchGo) {
                dial(link, theirs.addresses(), false);
            }
        } catch (IOException | net.barn.core.ProtocolException | RuntimeException e) {
            log.info("hole punch from {} not answered: {}", link.peerId().shortForm(), e.toString());
        }
    }

    private void dial(PeerLink relayed, List<String> addresses, boolean initiator) {
        NodeId peer = relayed.peerId();
        PeerAddress to;
        try {
            to = PeerAddress.parse(addresses.get(0));
        } catch (IllegalArgumentException e) {
            return;
        }
        long t0 = System.nanoTime();
        node.punch(to, peer, initiator).whenComplete((l, e) -> {
            if (e == null) {
                log.info("hole punch to {} at {} succeeded in {} ms", peer.shortForm(), to, (System.nanoTime() - t0) / 1_000_000);
            } else {
                log.info("hole punch to {} at {} failed: {}; staying relayed", peer.shortForm(), to,
                        e instanceof LinkException le ? le.getMessage() : String.valueOf(e));
            }
        });
    }

    @Override
    public void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {
        // nothing held per link
    }
}
