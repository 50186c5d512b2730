package net.barn.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Record;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.evidence.Detector;
import net.barn.core.trust.evidence.Evidence;
import net.barn.core.trust.evidence.EvidenceBook;
import net.barn.core.trust.evidence.EvidenceCodec;
import net.barn.core.trust.evidence.EvidenceEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evidence of misbehaviour on a node (docs/PROTOCOL.md section 18). When the root network
 * meets two records signed by one publisher with one key and sequence but different values,
 * the pair is evidence; so is any valid evidence a linked peer sends to {@value #SERVICE}.
 * The first valid evidence against a node excludes it here, for 30 days: it leaves the routing
 * table, is never asked or counted in a lookup or quorum, never chosen as a relay nor drawn
 * into a beacon committee; and the evidence goes on to every linked peer but the one it came
 * from. Fake evidence is refused with the reason and counted against its sender. A peer that
 * links later is sent the newest {@value #SYNC_MAX} proofs this node holds, so that a node that
 * was away while a proof spread still learns it.
 */
public final class EvidenceService implements AutoCloseable, NodeListener {
    public static final String SERVICE = "barn/evidence";
    private static final Logger log = LoggerFactory.getLogger(EvidenceService.class);
    private static final long TIMEOUT_MILLIS = 5000;
    /** Proofs sent to a newly linked peer, at most: the newest. */
    static final int SYNC_MAX = 64;

    private final BarnNode node;
    private final DhtService dht;
    private final EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
    private volatile Set<NodeId> excluded = Set.of();
    private volatile boolean closed;

    EvidenceService(BarnNode node, DhtService dht) {
        this.node = node;
        this.dht = dht;
        node.bind(SERVICE, this::accept);
        node.addListener(this);
        node.eventLoopGroup().next().scheduleAtFixedRate(() -> {
            synchronized (book) {
                book.handleTimeout(System.nanoTime());
            }
            drain();
        }, 1, 1, TimeUnit.MINUTES);
    }

    /** Whether this node holds evidence against {@code id}: readable from any thread. */
    public boolean isExcluded(NodeId id) {
        return excluded.contains(id);
    }

    /** The nodes this node excludes now. */
    public Set<NodeId> excluded() {
        return excluded;
    }

    /** A newly linked peer gets the newest proofs this node holds (it drops what it knows by their hash). */
    @Override
    public void linkUp(PeerLink link) {
        List<byte[]> proofs = new java.util.ArrayList<>();
        synchronized (book) {
            List<NodeId> offenders = new java.util.ArrayList<>(book.excluded());
            for (int i = offenders.size() - 1; i >= 0 && proofs.size() < SYNC_MAX; i--) {
                book.evidenceAgainst(offenders.get(i)).ifPresent(proofs::add);
            }
        }
        if (proofs.isEmpty() || isExcluded(link.peerId())) {
            return;
        }
        Thread.ofVirtual().name("barn-evidence-sync").start(() -> {
            for (byte[] bytes : proofs) {
                try (BlockingStream s = link.openBlocking(SERVICE)) {
                    StreamRequests.write(s, bytes);
                } catch (IOException | RuntimeException e) {
                    log.debug("evidence to {} not sent: {}", link.peerId().shortForm(), e.getMessage());
                    return;
                }
            }
        });
    }

    /** Two records the root network met under one key and sequence: evidence if one publisher signed both. */
    void conflict(Record held, Record offered) {
        Detector.compare(held, offered, SignatureVerifier.ED25519).ifPresent(e -> {
            log.warn("evidence: {} signed two different records under one key and sequence", e.offender().shortForm());
            local(e);
        });
    }

    /** Evidence this node found itself. */
    public void local(Evidence e) {
        synchronized (book) {
            book.handleLocal(System.nanoTime(), e);
        }
        drain();
    }

    private void accept(BarnStream stream) {
        BlockingStream s = BlockingStream.attach(stream);
        PeerLink link = stream.link();
        Thread.ofVirtual().name("barn-evidence-read").start(() -> {
            try (s) {
                s.setReadTimeout(TIMEOUT_MILLIS);
                byte[] bytes = StreamRequests.read(s, EvidenceCodec.MAX_EVIDENCE_BYTES);
                EvidenceBook.Handled h;
                synchronized (book) {
                    h = book.handleEvidence(System.nanoTime(), link.peerId(), bytes);
                }
                if (h instanceof EvidenceBook.Handled.Rejected r) {
                    log.info("evidence from {} refused: {}", link.peerId().shortForm(), r.reason());
                }
                drain();
            } catch (IOException | RuntimeException e) {
                log.debug("evidence from {} not read: {}", link.peerId().shortForm(), e.getMessage());
            }
        });
    }

    /** Sends what the book wants spread, acts on exclusions. */
    private void drain() {
        if (closed) {
            return;
        }
        List<EvidenceBook.Gossip> out = new java.util.ArrayList<>();
        List<EvidenceEvent> events = new java.util.ArrayList<>();
        synchronized (book) {
            for (EvidenceBook.Gossip g = book.pollGossip(); g != null; g = book.pollGossip()) {
                out.add(g);
            }
            for (EvidenceEvent e = book.pollEvent(); e != null; e = book.pollEvent()) {
                events.add(e);
            }
            excluded = Set.copyOf(book.excluded());
        }
        boolean changed = false;
        for (EvidenceEvent e : events) {
            switch (e) {
                case EvidenceEvent.Excluded x -> {
                    changed = true;
                    log.warn("evidence: excluding {} (evidence {})", x.offender().shortForm(), x.evidenceId().substring(0, 16));
                    node.link(x.offender()).ifPresent(l -> l.driver().close(net.barn.core.ErrorCode.NO_ERROR,
                            "this node holds evidence that the peer equivocated"));
                }
                case EvidenceEvent.FakeEvidence f -> log.info("evidence: {} sent fake evidence: {}", f.from().shortForm(), f.reason());
                case EvidenceEvent.Released r -> changed = true;
            }
        }
        if (changed) {
            dht.excludeWith(this::isExcluded);
        }
        for (EvidenceBook.Gossip g : out) {
            byte[] bytes = g.evidence();
            for (PeerLink l : node.links()) {
                if (!l.peerId().equals(g.except()) && !isExcluded(l.peerId())) {
                    Thread.ofVirtual().name("barn-evidence-send").start(() -> {
                        try (BlockingStream s = l.openBlocking(SERVICE)) {
                            StreamRequests.write(s, bytes);
                        } catch (IOException | RuntimeException ex) {
                            log.debug("evidence to {} not sent: {}", l.peerId().shortForm(), ex.getMessage());
                        }
                    });
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
