package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.barn.core.crypto.SeededEntropy;
import org.junit.jupiter.api.Test;

class DkgTest {
    private static final byte[] MESSAGE = "after the dkg".getBytes(StandardCharsets.US_ASCII);

    /** The deal from {@code dealer} to {@code to} carries share + 1: wrong, but well formed. */
    private static DkgMessage corruptDeal(DkgMessage m, int dealer, int to) {
        if (m instanceof DkgMessage.Deal d && d.dealer() == dealer && d.to() == to) {
            BigInteger wrong = new BigInteger(1, d.share()).add(BigInteger.ONE).mod(Scalars.R);
            return new DkgMessage.Deal(d.session(), d.dealer(), d.to(), Scalars.toBytes(wrong));
        }
        return m;
    }

    private static void assertSharesSignForTheGroup(DkgCluster c, List<Integer> signers) {
        GroupKey group = c.node(signers.getFirst()).result().group();
        List<PartialSignature> partials = signers.stream()
                .map(i -> ThresholdBls.signPartial(c.node(i).result().share(), MESSAGE)).toList();
        BlsSignature sig = ThresholdBls.combine(group, MESSAGE, partials).orElseThrow();
        assertThat(Bls.verify(group.publicKey(), MESSAGE, sig)).isTrue();
    }

    @Test
    void allHonestMembersAgreeOnGroupKeyAndTheirSharesSignForIt() {
        DkgCluster c = DkgCluster.fresh(5, 3, 1).run();
        assertThat(c.groupKeys()).hasSize(1);
        for (DkgCluster.Node n : c.nodes) {
            DkgResult r = n.result();
            assertThat(r.qualified()).containsExactly(1, 2, 3, 4, 5);
            assertThat(r.share().publicKey()).isEqualTo(r.group().publicShare(r.share().index()));
            assertThat(r.publicShares()).hasSize(5).containsEntry(r.share().index(), r.share().publicKey());
            assertThat(n.events(DkgEvent.Rejected.class)).isEmpty();
        }
        assertSharesSignForTheGroup(c, List.of(1, 2, 3));
        assertSharesSignForTheGroup(c, List.of(5, 2, 4));
    }

    @Test
    void dealerWhoseBadShareDrawsAComplaintStaysQualifiedWhenItJustifies() {
        DkgCluster c = DkgCluster.fresh(5, 3, 2);
        c.tamper = m -> corruptDeal(m, 2, 4);
        c.run();
        DkgCluster.Node accuser = c.node(4);
        assertThat(accuser.events(DkgEvent.Rejected.class))
                .anySatisfy(e -> assertThat(e.reason()).contains("share of dealer 2 fails its commitments"));
        assertThat(accuser.events(DkgEvent.Complained.class)).extracting(DkgEvent.Complained::dealer).containsExactly(2);
        assertThat(c.groupKeys()).hasSize(1);
        for (DkgCluster.Node n : c.nodes) {
            assertThat(n.result().qualified()).contains(2);
        }
        // The accuser adopted the share revealed in the justification, so its share is right.
        assertThat(accuser.result().share().publicKey()).isEqualTo(accuser.result().group().publicShare(4));
        assertSharesSignForTheGroup(c, List.of(4, 1, 5));
    }

    @Test
    void dealerThatDoesNotAnswerAComplaintIsDisqualifiedAndEveryoneStillAgrees() {
        DkgCluster c = DkgCluster.fresh(5, 3, 3);
        c.tamper = m -> corruptDeal(m, 2, 4);
        c.drop = m -> m instanceof DkgMessage.Justification j && j.dealer() == 2;
        c.run();
        // Dealer 2 saw its own justification, so only the others' views count.
        assertThat(DkgCluster.groupKeys(c.honest(2))).hasSize(1);
        for (DkgCluster.Node n : c.honest(2)) {
            assertThat(n.result().qualified()).containsExactly(1, 3, 4, 5);
            assertThat(n.events(DkgEvent.Disqualified.class)).singleElement()
                    .satisfies(d -> assertThat(d.reason()).contains("did not answer the complaint of 4"));
        }
        assertSharesSignForTheGroup(c, List.of(4, 5, 1));
    }

    @Test
    void dealerJustifyingWithAnotherBadShareIsDisqualified() {
        DkgCluster c = DkgCluster.fresh(4, 2, 4);
        c.tamper = m -> {
            if (m instanceof DkgMessage.Justification j && j.dealer() == 1) {
                BigInteger wrong = new BigInteger(1, j.share()).add(BigInteger.TWO).mod(Scalars.R);
                return new DkgMessage.Justification(j.session(), 1, j.accuser(), Scalars.toBytes(wrong));
            }
            return corruptDeal(m, 1, 3);
        };
        c.run();
        assertThat(DkgCluster.groupKeys(c.honest(1))).hasSize(1);
        for (DkgCluster.Node n : c.honest(1)) {
            assertThat(n.result().qualified()).containsExactly(2, 3, 4);
        }
        assertThat(c.node(2).events(DkgEvent.Disqualified.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("justified with a share for 3 that fails"));
    }

    @Test
    void fewerThanThresholdMembersOfflineStillCompletes() {
        DkgCluster c = DkgCluster.fresh(5, 3, 5);
        c.node(2).offline = true;
        c.node(5).offline = true;
        c.run();
        assertThat(c.groupKeys()).hasSize(1);
        for (DkgCluster.Node n : c.online()) {
            assertThat(n.result().qualified()).containsExactly(1, 3, 4);
            assertThat(n.events(DkgEvent.Complained.class)).isEmpty();
        }
        assertSharesSignForTheGroup(c, List.of(1, 3, 4));
    }

    @Test
    void rejectsShareThatFailsItsCommitment() {
        DkgConfig config = DkgConfig.fresh(9, 3, 2, 1, DkgCluster.PHASE);
        Dkg dealer = new Dkg(DkgConfig.fresh(9, 3, 2, 2, DkgCluster.PHASE), new SeededEntropy(1));
        dealer.start(0);
        Dkg receiver = new Dkg(config, new SeededEntropy(2));
        receiver.start(0);
        drainAll(receiver);
        DkgMessage m;
        while ((m = dealer.pollTransmit()) != null) {
            if (m instanceof DkgMessage.Commitments || m instanceof DkgMessage.Deal d && d.to() == 1) {
                receiver.handleMessage(1, corruptDeal(m, 2, 1));
            }
        }
        assertThat(receiver.pollEvent()).isEqualTo(
                new DkgEvent.Rejected(2, "the share of dealer 2 fails its commitments"));
        receiver.handleTimeout(DkgCluster.PHASE);
        assertThat(receiver.pollEvent()).isEqualTo(
                new DkgEvent.Complained(2, "the share of dealer 2 fails its commitments"));
        assertThat(receiver.pollTransmit()).isEqualTo(new DkgMessage.Complaint(9, 1, 2));
    }

    @Test
    void rejectsMalformedAndMisaddressedMessagesWithReasons() {
        Dkg receiver = new Dkg(DkgConfig.fresh(9, 3, 2, 1, DkgCluster.PHASE), new SeededEntropy(2));
        receiver.start(0);
        drainAll(receiver);
        receiver.handleMessage(1, new DkgMessage.Complaint(8, 2, 3));
        receiver.handleMessage(1, new DkgMessage.Deal(9, 2, 3, new byte[32]));
        receiver.handleMessage(1, new DkgMessage.Deal(9, 7, 1, new byte[32]));
        receiver.handleMessage(1, new DkgMessage.Commitments(9, 2, List.of(new byte[48], new byte[48])));
        receiver.handleMessage(1, new DkgMessage.Commitments(9, 3, List.of(new byte[48])));
        receiver.handleMessage(1, new DkgMessage.Deal(9, 3, 1, new byte[5]));
        List<String> reasons = new java.util.ArrayList<>();
        DkgEvent e;
        while ((e = receiver.pollEvent()) != null) {
            reasons.add(((DkgEvent.Rejected) e).reason());
        }
        assertThat(reasons).containsExactly(
                "message of session 8, this run is 9",
                "deal for receiver 3, this member is receiver 1",
                "deal from 7, not a dealer of this run",
                "commitments of dealer 2: commitment point 0: not a compressed G1 point: G1 compressed flag must be set",
                "dealer 3 committed to 1 coefficients, the threshold is 2",
                "deal of dealer 3: a share is 32 bytes");
    }

    @Test
    void complaintAfterTheComplaintPhaseIsRefusedAndDisqualifiesNobody() {
        Dkg member = new Dkg(DkgConfig.fresh(9, 3, 2, 1, DkgCluster.PHASE), new SeededEntropy(3));
        member.start(0);
        member.handleTimeout(2 * DkgCluster.PHASE);
        drainAll(member);
        member.handleMessage(2 * DkgCluster.PHASE + 1, new DkgMessage.Complaint(9, 2, 1));
        assertThat(member.pollEvent()).isEqualTo(new DkgEvent.Rejected(2, "complaint by 2 against 1 after the complaint phase"));
        assertThat(member.pollTransmit()).as("no justification owed").isNull();
    }

    @Test
    void runsWithTheSameSeedAreIdentical() {
        BlsPublicKey a = DkgCluster.fresh(3, 2, 42).run().groupKeys().iterator().next();
        BlsPublicKey b = DkgCluster.fresh(3, 2, 42).run().groupKeys().iterator().next();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void thresholdOfOneIsAPlainSharedKey() {
        DkgCluster c = DkgCluster.fresh(3, 1, 6).run();
        assertThat(c.groupKeys()).hasSize(1);
        assertSharesSignForTheGroup(c, List.of(2));
        Set<Integer> q = new TreeSet<>(c.node(1).result().qualified());
        assertThat(q).containsExactly(1, 2, 3);
    }

    private static void drainAll(Dkg d) {
        while (d.pollTransmit() != null) {}
        while (d.pollEvent() != null) {}
    }
}
