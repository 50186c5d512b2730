package net.barn.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.barn.core.ProtocolException;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.nat.DialBackGuard;
import net.barn.core.nat.ReachCodec;
import net.barn.core.nat.Reachability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the node learns whether it can be reached (docs/PROTOCOL.md section 15), and how it
 * helps others learn it. It answers, for any peer: dial-back requests on "barn/reach" (a fresh
 * link to the requester's own IP address at the port it names, within {@link DialBackGuard}'s
 * limits) and Observe datagrams on its UDP listen port (the source address it saw, in an
 * answer no larger than the question). Once {@link #startAsking() asked to}, it also asks
 * linked peers in distinct networks, every round {@link Reachability} schedules, and keeps
 * the verdict for status.
 */
public final class ReachabilityService implements AutoCloseable {
    public static final String SERVICE = "barn/reach";
    private static final Logger log = LoggerFactory.getLogger(ReachabilityService.class);
    private static final long DIAL_TIMEOUT_MILLIS = 5000;
    /** Observe answers per second, in all: a bound on what spoofed questions can reflect. */
    private static final int OBSERVE_PER_SECOND = 50;

    private final BarnNode node;
    private final EventLoop loop;
    private final Reachability core;
    private final DialBackGuard guard = new DialBackGuard();
    private final SecureRandom random = new SecureRandom();
    private final UdpEndpoint udp;
    /** Observe nonces in flight: which peer, at which IP, was asked (on the loop). */
    private final Map<String, Object[]> asked = new HashMap<>();
    private long observeWindow;
    private int observesInWindow;
    private volatile boolean asking;
    private volatile boolean closed;
    private volatile Reachability.Verdict reported = Reachability.Verdict.UNKNOWN;
    private volatile String description = "unknown (not asked yet)";
    private volatile String seenAs;
    private volatile String seenIp;
    private volatile List<Integer> seenPorts = List.of();

    private ReachabilityService(BarnNode node, UdpEndpoint udp) {
        this.node = node;
        this.loop = node.eventLoopGroup().next();
        this.core = new Reachability(System.nanoTime());
        this.udp = udp;
    }

    /** Answers others from now on; asks nothing until {@link #startAsking()}. */
    static ReachabilityService start(BarnNode node) {
        UdpEndpoint udp = node.udp();
        ReachabilityService s = new ReachabilityService(node, udp);
        if (udp != null) {
            udp.onDatagram((from, bytes) -> s.loop.execute(() -> s.onDatagram(from, bytes)));
        }
        node.bind(SERVICE, s::accept);
        return s;
    }

    /** Starts asking peers, in rounds, whether and how this node can be reached. */
    public void startAsking() {
        if (asking) {
            return;
        }
        asking = true;
        loop.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** The verdict so far and its evidence, for status (as of the last second's tick). */
    public String describe() {
        return description;
    }

    /**
     * Takes {@code verdict} as this node's without asking anyone: for tests and benchmarks of
     * relaying among nodes on one machine, where every node is reachable. Has no effect once
     * asking started.
     */
    public void assume(Reachability.Verdict verdict) {
        if (!asking) {
            reported = verdict;
            description = verdict.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " (assumed)";
        }
    }

    /** The address ("ip:port") others agree they see this node's listen port at, or null. */
    public String observedAddress() {
        return seenAs;
    }

    /** The public IP others agree they see this node at (its ports may differ per destination), or null. */
    public String observedIp() {
        return seenIp;
    }

    /** The public ports others saw this node at, ascending. */
    public List<Integer> observedPorts() {
        return seenPorts;
    }

    /** The verdict as of the last second's tick; readable from any thread. */
    public Reachability.Verdict verdict() {
        return reported;
    }

    // ---------------------------------------------------------------- asking

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        core.handleTimeout(now);
        Reachability.Verdict v = core.verdict();
        description = core.describe();
        seenAs = core.observedAddress();
        seenIp = core.observedIp();
        seenPorts = core.observedPorts();
        if (v != reported) {
            reported = v;
            log.info("reachability: {}", description);
        }
        if (core.pollProbe()) {
            List<PeerLink> chosen = choose();
            for (PeerLink l : chosen) {
                Thread.ofVirtual().name("barn-reach-ask").start(() -> askDialBack(l));
                observe(l);
            }
        }
        if (asked.size() > 64) {
            asked.clear();
        }
    }

    /** Up to {@link Reachability#ASK} linked peers in distinct IP groups, outbound links first. */
    private List<PeerLink> choose() {
        List<PeerLink> links = new ArrayList<>(node.links());
        java.util.Collections.shuffle(links, random);
        links.sort((a, b) -> Boolean.compare(b.isOutbound(), a.isOutbound()));
        Set<String> groups = new HashSet<>();
        List<PeerLink> out = new ArrayList<>();
        for (PeerLink l : links) {
            InetSocketAddress r = l.remoteAddress();
            if (r == null || r.getAddress() == null) {
                continue;
            }
            String g = r.getAddress().isLoopbackAddress() ? r.getAddress().getHostAddress()
                    : DialBackGuard.group(r.getAddress().getAddress());
            if (groups.add(g) || r.getAddress().isLoopbackAddress()) {
                out.add(l);
            }
            if (out.size() >= Reachability.ASK) {
                break;
            }
        }
        return out;
    }

    private void askDialBack(PeerLink link) {
        byte[] nonce = new byte[ReachCodec.NONCE];
        random.nextBytes(nonce);
        try {
            byte[] answer = StreamRequests.ask(link, SERVICE, ReachCodec.encode(new ReachCodec.DialBackRequest(
                    node.listenAddress().getPort(), nonce)), ReachCodec.MAX_MESSAGE, DIAL_TIMEOUT_MILLIS * 3);
            if (ReachCodec.decode(answer) instanceof ReachCodec.DialBackAnswer a && java.util.Arrays.equals(a.nonce(), nonce)) {
                if (!a.refused().isEmpty()) {
                    log.debug("{} would not dial back: {}", link.peerId().shortForm(), a.refused());
                    return;
                }
                loop.execute(() -> core.handleDialBack(System.nanoTime(), link.peerId(), a.reached()));
            }
        } catch (IOException | ProtocolException | RuntimeException e) {
            log.debug("dial-back request to {} failed: {}", link.peerId().shortForm(), e.getMessage());
        }
    }

    private void observe(PeerLink link) {
        InetSocketAddress r = link.remoteAddress();
        if (udp == null || r == null || !link.isOutbound()) {
            return; // only an outbound link's remote address is the peer's listen (and UDP) port
        }
        byte[] nonce = new byte[ReachCodec.NONCE];
        random.nextBytes(nonce);
        asked.put(java.util.HexFormat.of().formatHex(nonce), new Object[] {link.peerId(), r.getAddress().getHostAddress()});
        udp.send(r, ReachCodec.observe(nonce));
    }

    // ---------------------------------------------------------------- answering

    private void onDatagram(InetSocketAddress from, byte[] bytes) {
        ReachCodec.Datagram d;
        try {
            d = ReachCodec.decodeDatagram(bytes);
        } catch (ProtocolException e) {
            return; // not ours, or malformed: nothing is answered
        }
        switch (d) {
            case ReachCodec.ObserveRequest q -> {
                long second = System.nanoTime() / 1_000_000_000L;
                if (second != observeWindow) {
                    observeWindow = second;
                    observesInWindow = 0;
                }
                if (++observesInWindow <= OBSERVE_PER_SECOND) {
                    udp.send(from, ReachCodec.observed(q.nonce(), PeerAddressFormat.of(from)));
                }
            }
            case ReachCodec.PunchDatagram p -> {
                // a hole punch opening the sender's NAT toward this node: nothing to answer
            }
            case ReachCodec.ObservedAnswer a -> {
                Object[] who = asked.remove(java.util.HexFormat.of().formatHex(a.nonce()));
                PeerAddress seen;
                try {
                    seen = PeerAddress.parse(a.address());
                } catch (IllegalArgumentException e) {
                    return;
                }
                if (who != null && who[1].equals(from.getAddress().getHostAddress())) {
                    core.handleObserved(System.nanoTime(), (NodeId) who[0], (String) who[1], seen.host(), seen.port());
                }
            }
        }
    }

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-reach-answer").start(() -> answer(s, link));
    }

    private void answer(BlockingStream s, PeerLink link) {
        try (s) {
            s.setReadTimeout(DIAL_TIMEOUT_MILLIS);
            if (!(ReachCodec.decode(StreamRequests.read(s, ReachCodec.MAX_MESSAGE)) instanceof ReachCodec.DialBackRequest q)) {
                return;
            }
            InetSocketAddress r = link.remoteAddress();
            if (r == null || r.getAddress() == null) {
                return;
            }
            String ip = r.getAddress().getHostAddress();
            String refused;
            synchronized (guard) {
                refused = guard.admit(System.nanoTime(), link.peerId(), DialBackGuard.group(r.getAddress().getAddress()), q.port());
            }
            if (refused != null) {
                StreamRequests.write(s, ReachCodec.encode(new ReachCodec.DialBackAnswer(q.nonce(), false, ip, refused)));
                return;
            }
            // Only the IP the link comes from, and the requester's id must answer there.
            Invite target = new Invite(link.peerId(), List.of(new PeerAddress(ip, q.port())));
            boolean reached;
            try {
                reached = node.probe(target).get(DIAL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                reached = false;
            }
            log.info("dial-back for {} at {}:{}: {}", link.peerId().shortForm(), ip, q.port(), reached ? "reached" : "not reached");
            StreamRequests.write(s, ReachCodec.encode(new ReachCodec.DialBackAnswer(q.nonce(), reached, ip, "")));
        } catch (IOException | ProtocolException | RuntimeException e) {
            log.debug("dial-back for {} not answered: {}", link.peerId().shortForm(), e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true; // the UDP port is the node's: it closes it
    }
}
