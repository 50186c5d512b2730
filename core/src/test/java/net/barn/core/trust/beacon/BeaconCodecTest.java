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
        assertThat(BeaconCodec.decode(new byte[9000]).reason()).contains("limit 8192");
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
}
