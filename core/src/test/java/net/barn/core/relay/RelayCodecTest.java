package net.barn.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.barn.core.ProtocolException;
import net.barn.wire.relay.Load;
import net.barn.wire.relay.RelayMessage;
import net.barn.wire.relay.Reservation;
import org.junit.jupiter.api.Test;

/** Relay messages round-trip, and malformed ones are refused with their reason. */
class RelayCodecTest {
    @Test
    void everyMessageSurvivesARoundTrip() throws Exception {
        for (RelayCodec.Message m : List.of(new RelayCodec.ReserveRequest(), new RelayCodec.LoadRequest(), new RelayCodec.ReleaseRequest(),
                new RelayCodec.Granted(3600, 16L << 20, 1800, 750, 128), new RelayCodec.Refused("relay full"),
                new RelayCodec.LoadAnswer(1000, 64), new RelayCodec.ConnectRequest(net.barn.core.identity.NodeId.of(new byte[32])),
                new RelayCodec.Connected(1000, 60), new RelayCodec.IncomingCircuit(net.barn.core.identity.NodeId.of(new byte[32]), 5, 6),
                new RelayCodec.Accept(), new RelayCodec.PunchOffer(List.of("10.81.0.2:7000")),
                new RelayCodec.PunchOffer(List.of("10.82.0.2:4000"), net.barn.core.nat.PunchPlan.Reach.SYMMETRIC, List.of(4000, 51000)),
                new RelayCodec.PunchOffer(List.of("10.71.0.1:7000"), net.barn.core.nat.PunchPlan.Reach.PUBLIC, List.of()),
                new RelayCodec.PunchGo(), new RelayCodec.ConnectRequest(net.barn.core.identity.NodeId.of(new byte[32]), "club/#inner"),
                new RelayCodec.Connected(0, 0),
                new RelayCodec.IncomingCircuit(net.barn.core.identity.NodeId.of(new byte[32]), 0, 0, "club/#inner"))) {
            assertThat(RelayCodec.decode(RelayCodec.encode(m))).isEqualTo(m);
        }
    }

    @Test
    void relayHintsRoundTripAndAreChecked() throws Exception {
        List<RelayCodec.Via> hints = List.of(new RelayCodec.Via(net.barn.core.identity.NodeId.of(new byte[32]), "10.71.0.1:7000"));
        assertThat(RelayCodec.decodeHints(RelayCodec.encodeHints(hints))).isEqualTo(hints);
        assertThatThrownBy(() -> RelayCodec.decodeHints(RelayCodec.encodeHints(List.of()))).hasMessageContaining("got 0");
        assertThatThrownBy(() -> RelayCodec.decodeHints(RelayCodec.encodeHints(List.of(new RelayCodec.Via(
                net.barn.core.identity.NodeId.of(new byte[32]), "no port here"))))).hasMessageContaining("bad relay address");
    }

    @Test
    void punchOffersWithTooManyOrImpossiblePortsAreRefused() {
        net.barn.wire.relay.PunchOffer.Builder many = net.barn.wire.relay.PunchOffer.newBuilder().addAddresses("10.82.0.2:4000");
        for (int i = 0; i < 9; i++) {
            many.addSeenPorts(4000 + i);
        }
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setPunchOffer(many).build().toByteArray()))
                .hasMessageContaining("at most 8 seen ports");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setPunchOffer(net.barn.wire.relay.PunchOffer.newBuilder()
                .addAddresses("10.82.0.2:4000").addSeenPorts(70000)).build().toByteArray())).hasMessageContaining("seen port out of range");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setPunchOffer(net.barn.wire.relay.PunchOffer.newBuilder()
                .addAddresses("10.82.0.2:4000").setReachValue(9)).build().toByteArray())).hasMessageContaining("unknown kind of reach");
    }

    @Test
    void onlyAMemberCircuitMayComeWithoutLimits() {
        com.google.protobuf.ByteString id = com.google.protobuf.ByteString.copyFrom(new byte[32]);
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setIncoming(net.barn.wire.relay.Incoming.newBuilder()
                .setFrom(id)).build().toByteArray())).hasMessageContaining("a circuit without limits outside a maze");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setConnected(net.barn.wire.relay.Connected.newBuilder()
                .setCircuitBytes(5)).build().toByteArray())).hasMessageContaining("a circuit with no time or bytes");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setConnect(net.barn.wire.relay.Connect.newBuilder()
                .setTarget(id).setMaze("x".repeat(129))).build().toByteArray())).hasMessageContaining("limit 128");
        assertThat(new RelayCodec.Connected(0, 0).unlimited()).isTrue();
        assertThat(new RelayCodec.Connected(1, 1).unlimited()).isFalse();
    }

    @Test
    void malformedMessagesAreRefused() {
        assertThatThrownBy(() -> RelayCodec.decode(new byte[0])).isInstanceOf(ProtocolException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> RelayCodec.decode(new byte[600])).hasMessageContaining("limit 512");
        assertThatThrownBy(() -> RelayCodec.decode(new byte[] {(byte) 0xff, 1})).hasMessageContaining("not a RelayMessage");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setLoad(Load.newBuilder().setSparePermille(1001)
                .setCapacity(5)).build().toByteArray())).hasMessageContaining("1001 per mille");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setLoad(Load.newBuilder().setSparePermille(10))
                .build().toByteArray())).hasMessageContaining("capacity of 0");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setReservation(Reservation.newBuilder()
                .setCircuitBytes(5).setCircuitSeconds(5)).build().toByteArray())).hasMessageContaining("no time or bytes");
        assertThatThrownBy(() -> RelayCodec.decode(RelayMessage.newBuilder().setConnect(net.barn.wire.relay.Connect.newBuilder()
                .setTarget(com.google.protobuf.ByteString.copyFrom(new byte[5]))).build().toByteArray()))
                .hasMessageContaining("node id of 5 bytes");
    }
}
