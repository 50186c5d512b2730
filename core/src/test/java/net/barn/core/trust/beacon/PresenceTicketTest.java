package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Presence tickets: t members' shares make a ticket only for the id and epoch they signed, checked under the group key. */
class PresenceTicketTest {
    private final BlsSecretKey secret = Bls.generate(new SeededEntropy(41));
    private final ThresholdBls.Dealt dealt = ThresholdBls.split(secret, 5, 3, new SeededEntropy(42));
    private final NodeId alice = id(1);
    private final NodeId bob = id(2);

    private static NodeId id(int b) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) b);
        return NodeId.of(bytes);
    }

    private List<PartialSignature> shares(NodeId who, long epoch, int... members) {
        List<PartialSignature> out = new ArrayList<>();
        for (int m : members) {
            out.add(PresenceTicket.signShare(dealt.shares().get(m - 1), who, epoch));
        }
        return out;
    }

    @Test
    void thresholdOfSharesMakesATicketThatLetsTheIdBeDrawnLater() {
        PresenceTicket t = PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 1, 3, 5)).orElseThrow();
        assertThat(t.refuse(dealt.group().publicKey(), alice, 8, 24)).isNull();
        assertThat(t.refuse(dealt.group().publicKey(), alice, 31, 24)).isNull();
        // Any t members give the same ticket: it is the group's signature.
        assertThat(PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 2, 4, 5)).orElseThrow()).isEqualTo(t);
    }

    @Test
    void fewerThanThresholdSharesMakeNoTicket() {
        assertThat(PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 1, 2)).reason()).contains("need 3");
    }

    @Test
    void shareForAnotherIdIsRefusedAndNotUsed() {
        List<PartialSignature> mixed = shares(alice, 7, 1, 2);
        mixed.addAll(shares(bob, 7, 3));
        assertThat(PresenceTicket.combine(dealt.group(), alice, 7, mixed).reason()).contains("member 3").contains("does not verify");
    }

    @Test
    void ticketDoesNotServeAnotherIdAnotherGroupOrTheEpochItWasSignedIn() {
        PresenceTicket t = PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 1, 2, 3)).orElseThrow();
        assertThat(t.refuse(dealt.group().publicKey(), bob, 8, 24)).contains("does not verify");
        assertThat(t.refuse(Bls.generate(new SeededEntropy(43)).publicKey(), alice, 8, 24)).contains("does not verify");
        assertThat(t.refuse(dealt.group().publicKey(), alice, 7, 24)).contains("not before epoch 7");
        assertThat(new PresenceTicket(6, t.signature()).refuse(dealt.group().publicKey(), alice, 8, 24)).contains("does not verify");
    }

    @Test
    void ticketOlderThanTheWindowIsRefused() {
        PresenceTicket t = PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 1, 2, 3)).orElseThrow();
        assertThat(t.refuse(dealt.group().publicKey(), alice, 32, 24)).contains("more than 24 epochs");
    }

    @Test
    void encodingRoundTripsAndBadBytesAreRefusedWithAReason() {
        PresenceTicket t = PresenceTicket.combine(dealt.group(), alice, 7, shares(alice, 7, 1, 2, 3)).orElseThrow();
        assertThat(PresenceTicket.decode(t.encode()).orElseThrow()).isEqualTo(t);
        assertThat(PresenceTicket.decode(new byte[10]).reason()).contains("10 bytes");
        byte[] garbled = t.encode();
        garbled[20] ^= 0x55;
        assertThat(PresenceTicket.decode(garbled).isValid()).isFalse();
        byte[] key = new byte[BeaconKeyRecord.KEY_BYTES];
        assertThat(BeaconKeyRecord.decode(BeaconKeyRecord.encode(key, t)).orElseThrow().ticket()).isEqualTo(t);
        assertThat(BeaconKeyRecord.decode(key).orElseThrow().ticket()).isNull();
        assertThat(BeaconKeyRecord.decode(new byte[300]).reason()).contains("300 bytes");
    }

    private List<PresenceTicket.Share> answers(ThresholdBls.Dealt from, NodeId who, long epoch, int... members) {
        List<PresenceTicket.Share> out = new ArrayList<>();
        for (int m : members) {
            out.add(new PresenceTicket.Share(PresenceTicket.signShare(from.shares().get(m - 1), who, epoch), from.group().commitment()));
        }
        return out;
    }

    @Test
    void aMemberReportingItsOwnCommitmentCannotGetItsShareUsed() {
        // Member 5 signs with a share of another polynomial and reports that polynomial's commitment,
        // under which its share checks out. The others' commitment wins; member 5's share is left out.
        ThresholdBls.Dealt liar = ThresholdBls.split(Bls.generate(new SeededEntropy(44)), 5, 3, new SeededEntropy(45));
        List<PresenceTicket.Share> answers = answers(liar, alice, 7, 5);
        answers.addAll(answers(dealt, alice, 7, 1, 2, 3));
        PresenceTicket.Issued issued = PresenceTicket.fromShares(alice, 7, answers).orElseThrow();
        assertThat(issued.groupKey()).isEqualTo(dealt.group().publicKey());
        assertThat(issued.ticket().refuse(dealt.group().publicKey(), alice, 8, 24)).isNull();
    }

    @Test
    void noTicketWhenNoCommitmentIsReportedByItsThreshold() {
        ThresholdBls.Dealt liar = ThresholdBls.split(Bls.generate(new SeededEntropy(44)), 5, 3, new SeededEntropy(45));
        List<PresenceTicket.Share> answers = answers(liar, alice, 7, 4, 5);
        answers.addAll(answers(dealt, alice, 7, 1, 2));
        assertThat(PresenceTicket.fromShares(alice, 7, answers).reason()).contains("no commitment reported by its threshold");
    }

    @Test
    void aBadShareUnderTheRightCommitmentIsRefusedByIndex() {
        List<PresenceTicket.Share> answers = answers(dealt, alice, 7, 1, 2);
        answers.add(new PresenceTicket.Share(PresenceTicket.signShare(dealt.shares().get(2), bob, 7), dealt.group().commitment()));
        assertThat(PresenceTicket.fromShares(alice, 7, answers).reason()).contains("member 3");
    }
}
