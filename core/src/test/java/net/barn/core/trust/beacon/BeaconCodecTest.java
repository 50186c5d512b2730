package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import net.barn.wire.beacon.BeaconEnvelope;
import org.junit.jupiter.api.Test;

class BeaconCodecTest {
    private static DkgMessage dkg(byte[] bytes) {
        return ((BeaconCodec.Dkg) BeaconCodec.decode(bytes).orElseThrow()).message();
    }

    @Test
    void everyMessageSurvivesARoundTrip() {
        byte[] point = new byte[48];
        point[0] = (byte) 0xc0;
        DkgMessage.Commitments c = (DkgMessage.Commitments) dkg(BeaconCodec.encode(new DkgMessage.Commitments(7, 2, List.of(point, point))));
        assertThat(c.session()).isEqualTo(7);
        assertThat(c.dealer()).isEqualTo(2);
        assertThat(c.points()).hasSize(2).allSatisfy(p -> assertThat(p).isEqualTo(point));
        DkgMessage.Deal d = (DkgMessage.Deal) dkg(BeaconCodec.encode(new DkgMessage.Deal(7, 2, 3, new byte[32])));
        assertThat(List.of(d.session(), (long) d.dealer(), (long) d.to())).containsExactly(7L, 2L, 3L);
        assertThat(dkg(BeaconCodec.encode(new DkgMessage.Complaint(7, 3, 2)))).isEqualTo(new DkgMessage.Complaint(7, 3, 2));
        DkgMessage.Justification j = (DkgMessage.Justification) dkg(BeaconCodec.encode(new DkgMessage.Justification(7, 2, 3, new byte[32])));
        assertThat(j.accuser()).isEqualTo(3);
        BeaconMessage.Partial p = (BeaconMessage.Partial) ((BeaconCodec.Round) BeaconCodec.decode(
                BeaconCodec.encode(new BeaconMessage.Partial(1, 9, 4, new byte[96]))).orElseThrow()).message();
        assertThat(List.of(p.epoch(), p.round(), (long) p.index())).containsExactly(1L, 9L, 4L);
    }

    @Test
    void malformedMessagesAreRefusedWithAReason() {
        assertThat(BeaconCodec.decode(new byte[0]).reason()).contains("empty");
        assertThat(BeaconCodec.decode(new byte[] {(byte) 0xff, 1}).reason()).contains("not a BeaconEnvelope");
        assertThat(BeaconCodec.decode(new byte[17000]).reason()).contains("limit 16384");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new DkgMessage.Deal(1, 1, 2, new byte[31]))).reason()).contains("share of 31 bytes");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new DkgMessage.Complaint(1, 0, 2))).reason()).contains("accuser index 0");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new DkgMessage.Complaint(1, 2, 500))).reason()).contains("dealer index 500");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new DkgMessage.Commitments(1, 1, List.of(new byte[47])))).reason())
                .contains("47 bytes");
        assertThat(BeaconCodec.decode(BeaconEnvelope.newBuilder().setCommitments(net.barn.wire.beacon.Commitments.newBuilder()
                .setSession(1).setDealer(1)).build().toByteArray()).reason()).contains("got 0");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new BeaconMessage.Partial(1, 1, 1, new byte[95]))).reason()).contains("95 bytes");
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new BeaconMessage.Partial(1, 0, 1, new byte[96]))).reason()).contains("round 0");
        assertThat(BeaconCodec.decode(BeaconEnvelope.newBuilder().setPartial(net.barn.wire.beacon.Partial.newBuilder().setRound(1)
                .setIndex(-1).setSignature(ByteString.copyFrom(new byte[96]))).build().toByteArray()).reason())
                .contains("member index 4294967295");
    }

    private static List<net.barn.core.identity.NodeId> ids(int from, int count) {
        List<net.barn.core.identity.NodeId> out = new java.util.ArrayList<>();
        for (int i = from; i < from + count; i++) {
            byte[] b = new byte[32];
            b[0] = (byte) i;
            out.add(net.barn.core.identity.NodeId.of(b));
        }
        return out;
    }

    @Test
    void aHandoverSurvivesARoundTripAndALatestNamesItsCommittee() {
        DkgCluster group = DkgCluster.fresh(3, 2, 41).run();
        GroupKey key = group.node(1).result().group();
        BlsSignature seed = Bls.sign(Bls.generate(new net.barn.core.crypto.SeededEntropy(5)), new byte[] {1});
        BeaconCodec.Handover h = new BeaconCodec.Handover(4, 350, seed, key.commitment(), ids(1, 3), ids(10, 5));
        BeaconCodec.Handover back = (BeaconCodec.Handover) BeaconCodec.decode(BeaconCodec.encode(h)).orElseThrow();
        assertThat(back.epoch()).isEqualTo(4);
        assertThat(back.seedRound()).isEqualTo(350);
        assertThat(back.seedSignature()).isEqualTo(seed);
        assertThat(new GroupKey(back.commitment()).publicKey()).isEqualTo(key.publicKey());
        assertThat(back.oldCommittee()).isEqualTo(ids(1, 3));
        assertThat(back.newCommittee()).isEqualTo(ids(10, 5));
        BeaconCodec.Latest l = (BeaconCodec.Latest) BeaconCodec.decode(BeaconCodec.encode(
                new BeaconCodec.Latest(3, 0, null, key.publicKey(), 5, 3, ids(10, 5)))).orElseThrow();
        assertThat(l.committee()).isEqualTo(ids(10, 5));
    }

    @Test
    void aMalformedHandoverIsRefusedWithAReason() {
        DkgCluster group = DkgCluster.fresh(3, 2, 42).run();
        GroupKey key = group.node(1).result().group();
        BlsSignature seed = Bls.sign(Bls.generate(new net.barn.core.crypto.SeededEntropy(6)), new byte[] {1});
        java.util.function.Function<BeaconCodec.Handover, String> reason = h -> BeaconCodec.decode(BeaconCodec.encode(h)).reason();
        assertThat(reason.apply(new BeaconCodec.Handover(0, 350, seed, key.commitment(), ids(1, 3), ids(10, 3))))
                .contains("both start at 1");
        assertThat(reason.apply(new BeaconCodec.Handover(4, 350, seed, key.commitment(), ids(1, 1), ids(10, 3))))
                .contains("a threshold of 2 in an old committee of 1");
        assertThat(reason.apply(new BeaconCodec.Handover(4, 350, seed, key.commitment(), ids(1, 3), List.of())))
                .contains("names both committees");
        List<net.barn.core.identity.NodeId> twice = new java.util.ArrayList<>(ids(10, 2));
        twice.add(twice.getFirst());
        assertThat(reason.apply(new BeaconCodec.Handover(4, 350, seed, key.commitment(), ids(1, 3), twice))).contains("twice");
        byte[] shortId = BeaconEnvelope.newBuilder().setLatest(net.barn.wire.beacon.Latest.newBuilder()
                .setGroupKey(ByteString.copyFrom(key.publicKey().toBytes())).setMembers(1).setThreshold(1)
                .addCommittee(ByteString.copyFrom(new byte[31]))).build().toByteArray();
        assertThat(BeaconCodec.decode(shortId).reason()).contains("member id of 31 bytes");
        byte[] badPoint = BeaconEnvelope.newBuilder().setHandover(net.barn.wire.beacon.Handover.newBuilder().setEpoch(1)
                .setSeedRound(1).setSeedSignature(ByteString.copyFrom(seed.toBytes())).addCommitment(ByteString.copyFrom(new byte[48]))
                .addOldCommittee(ByteString.copyFrom(new byte[32])).addNewCommittee(ByteString.copyFrom(new byte[32])))
                .build().toByteArray();
        assertThat(BeaconCodec.decode(badPoint).reason()).startsWith("commitment: ");
    }

    @Test
    void ticketRequestsAndSharesSurviveARoundTrip() {
        DkgCluster group = DkgCluster.fresh(3, 2, 43).run();
        GroupKey key = group.node(1).result().group();
        assertThat(BeaconCodec.decode(BeaconCodec.encode(new BeaconCodec.TicketRequest(5))).orElseThrow())
                .isEqualTo(new BeaconCodec.TicketRequest(5));
        byte[] id = new byte[32];
        PartialSignature p = PresenceTicket.signShare(group.node(2).result().share(), net.barn.core.identity.NodeId.of(id), 5);
        BeaconCodec.TicketShare share = (BeaconCodec.TicketShare) BeaconCodec.decode(
                BeaconCodec.encode(new BeaconCodec.TicketShare(5, 2, p.signature(), key.commitment(), null))).orElseThrow();
        assertThat(share.index()).isEqualTo(2);
        assertThat(share.signature()).isEqualTo(p.signature());
        assertThat(share.commitment()).isEqualTo(key.commitment());
        BeaconCodec.TicketShare refused = (BeaconCodec.TicketShare) BeaconCodec.decode(
                BeaconCodec.encode(BeaconCodec.TicketShare.refusal(5, "x".repeat(500)))).orElseThrow();
        assertThat(refused.signature()).isNull();
        assertThat(refused.refused()).hasSize(BeaconCodec.MAX_REASON);
    }

    @Test
    void malformedTicketSharesAreRefusedWithAReason() {
        BeaconEnvelope empty = BeaconEnvelope.newBuilder().setTicketShare(net.barn.wire.beacon.TicketShare.newBuilder().setEpoch(1)).build();
        assertThat(BeaconCodec.decode(empty.toByteArray()).reason()).contains("neither a signature nor a reason");
        BeaconEnvelope shortSig = BeaconEnvelope.newBuilder().setTicketShare(net.barn.wire.beacon.TicketShare.newBuilder().setEpoch(1)
                .setIndex(1).setSignature(ByteString.copyFrom(new byte[95]))).build();
        assertThat(BeaconCodec.decode(shortSig.toByteArray()).reason()).contains("95");
        BeaconEnvelope both = BeaconEnvelope.newBuilder().setTicketShare(net.barn.wire.beacon.TicketShare.newBuilder().setEpoch(1)
                .setIndex(1).setSignature(ByteString.copyFrom(new byte[96])).setRefused("no")).build();
        assertThat(BeaconCodec.decode(both.toByteArray()).reason()).contains("both signed and refused");
        BeaconEnvelope noIndex = BeaconEnvelope.newBuilder().setTicketShare(net.barn.wire.beacon.TicketShare.newBuilder().setEpoch(1)
                .setSignature(ByteString.copyFrom(new byte[96]))).build();
        assertThat(BeaconCodec.decode(noIndex.toByteArray()).reason()).contains("member index 0");
    }
}
