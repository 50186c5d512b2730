package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** The evidence book excludes on proof, forwards each proof once, refuses fakes and stays bounded. */
class EvidenceBookTest {
    private static final long DAY = EvidenceBook.Config.DAY_NANOS;
    private final NodeId peer = identity(20).id();
    private final NodeId other = identity(21).id();

    private static List<EvidenceEvent> events(EvidenceBook b) {
        List<EvidenceEvent> out = new ArrayList<>();
        for (EvidenceEvent e; (e = b.pollEvent()) != null;) {
            out.add(e);
        }
        return out;
    }

    @Test
    void validEvidenceExcludesTheOffenderAndIsForwardedToEveryoneButTheSender() {
        EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
        Evidence e = Fixtures.recordEquivocation(identity(1));
        assertThat(book.handleEvidence(0, peer, e.encode())).isEqualTo(new EvidenceBook.Handled.Accepted(identity(1).id()));
        assertThat(book.isExcluded(identity(1).id())).isTrue();
        assertThat(book.excluded()).containsExactly(identity(1).id());
        EvidenceBook.Gossip g = book.pollGossip();
        assertThat(g.evidence()).isEqualTo(e.encode());
        assertThat(g.except()).isEqualTo(peer);
        assertThat(book.pollGossip()).isNull();
        assertThat(events(book)).containsExactly(new EvidenceEvent.Excluded(identity(1).id(), e.idHex(), peer));
        assertThat(book.evidenceAgainst(identity(1).id())).hasValueSatisfying(b -> assertThat(b).isEqualTo(e.encode()));
    }

    @Test
    void aSecondCopyOrAnotherProofAgainstTheSameOffenderIsDroppedAndNotForwarded() {
        EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
        Evidence e = Fixtures.recordEquivocation(identity(1));
        book.handleEvidence(0, peer, e.encode());
        book.pollGossip();
        events(book);
        assertThat(book.handleEvidence(1, other, e.encode())).isInstanceOf(EvidenceBook.Handled.Duplicate.class);
        Evidence another = new Evidence(Fixtures.statement(Fixtures.owned(identity(1), "x", "a", 1)),
                Fixtures.statement(Fixtures.owned(identity(1), "x", "b", 1)));
        assertThat(book.handleLocal(2, another)).isInstanceOf(EvidenceBook.Handled.Duplicate.class);
        assertThat(book.pollGossip()).isNull();
        assertThat(events(book)).isEmpty();
    }

    @Test
    void fakeEvidenceIsRefusedWithAReasonAndCountedAgainstItsSender() {
        EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
        Evidence e = Fixtures.recordEquivocation(identity(1));
        Statement b = e.second();
        byte[] sig = b.signature();
        sig[0] ^= 1;
        Evidence forged = new Evidence(e.first(), new Statement(b.signer(), b.signerKey(), b.context(), b.sequence(), b.body(), sig));
        EvidenceBook.Handled h = book.handleEvidence(0, peer, forged.encode());
        assertThat(h).isInstanceOf(EvidenceBook.Handled.Rejected.class);
        assertThat(((EvidenceBook.Handled.Rejected) h).reason()).endsWith("signature does not verify");
        assertThat(book.handleEvidence(1, peer, new byte[] {1, 2, 3})).isInstanceOf(EvidenceBook.Handled.Rejected.class);
        assertThat(book.isExcluded(identity(1).id())).isFalse();
        assertThat(book.fakesFrom(peer)).isEqualTo(2);
        assertThat(book.fakeTotal()).isEqualTo(2);
        assertThat(book.pollGossip()).isNull();
        assertThat(events(book)).hasSize(2).allSatisfy(ev -> assertThat(ev).isInstanceOf(EvidenceEvent.FakeEvidence.class))
                .first().extracting(ev -> ((EvidenceEvent.FakeEvidence) ev).from()).isEqualTo(peer);
    }

    @Test
    void evidenceFoundLocallyIsForwardedToEveryPeer() {
        EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
        assertThat(book.handleLocal(0, Fixtures.recordEquivocation(identity(1)))).isInstanceOf(EvidenceBook.Handled.Accepted.class);
        assertThat(book.pollGossip().except()).isNull();
    }

    @Test
    void exclusionsExpireAfterTheRetentionTime() {
        EvidenceBook book = new EvidenceBook(new EvidenceBook.Config(16, 30 * DAY, 16), SignatureVerifier.ED25519);
        book.handleEvidence(5, peer, Fixtures.recordEquivocation(identity(1)).encode());
        assertThat(book.pollTimeout()).isEqualTo(5 + 30 * DAY);
        events(book);
        book.handleTimeout(4 + 30 * DAY);
        assertThat(book.isExcluded(identity(1).id())).isTrue();
        book.handleTimeout(5 + 30 * DAY);
        assertThat(book.isExcluded(identity(1).id())).isFalse();
        assertThat(book.pollTimeout()).isEqualTo(Long.MAX_VALUE);
        assertThat(events(book)).containsExactly(new EvidenceEvent.Released(identity(1).id()));
    }

    @Test
    void atMostTheConfiguredNumberOfOffendersIsKeptTheOldestLeavingFirst() {
        EvidenceBook book = new EvidenceBook(new EvidenceBook.Config(3, 30 * DAY, 16), SignatureVerifier.ED25519);
        for (int i = 1; i <= 5; i++) {
            book.handleEvidence(i, peer, Fixtures.recordEquivocation(identity(i)).encode());
        }
        assertThat(book.excluded()).containsExactly(identity(3).id(), identity(4).id(), identity(5).id());
        assertThat(events(book)).filteredOn(e -> e instanceof EvidenceEvent.Released)
                .containsExactly(new EvidenceEvent.Released(identity(1).id()), new EvidenceEvent.Released(identity(2).id()));
    }

    @Test
    void theBookWorksAsTheDhtsExclusionPredicate() {
        EvidenceBook book = new EvidenceBook(EvidenceBook.Config.DEFAULT, SignatureVerifier.ED25519);
        java.util.function.Predicate<NodeId> excluded = book::isExcluded;
        assertThat(excluded.test(identity(1).id())).isFalse();
        book.handleLocal(0, Fixtures.recordEquivocation(identity(1)));
        assertThat(excluded.test(identity(1).id())).isTrue();
    }
}
