package net.barn.core.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.barn.core.ErrorCode;
import net.barn.core.identity.PowParams;
import net.barn.core.mux.MuxEvent;
import net.barn.core.testing.TestIdentities;
import org.junit.jupiter.api.Test;

class LinkTransportTest {
    private final LinkConfig config = LinkConfig.defaults(PowParams.TEST);

    private LinkPair established() {
        LinkPair pair = new LinkPair(TestIdentities.of(1), TestIdentities.of(2), config, config, null);
        pair.drive();
        pair.advance(0); // the first keepalive PING and its answer
        return pair;
    }

    @Test
    void streamBytesCrossTheEncryptedLink() {
        LinkPair pair = established();
        int s = pair.client.mux().openStream(7);
        pair.client.mux().write(s, ByteBuffer.wrap(new byte[100_000]));
        pair.client.mux().finish(s);
        pair.drive();
        long received = pair.serverMuxEvents.stream().filter(MuxEvent.StreamData.class::isInstance)
                .mapToLong(e -> ((MuxEvent.StreamData) e).data().remaining()).sum();
        assertThat(received).isEqualTo(100_000);
        assertThat(pair.serverMuxEvents).contains(new MuxEvent.StreamFinished(s));
    }

    @Test
    void aSmallWriteCostsTwentySixBytesOfOverhead() {
        LinkPair pair = established();
        int s = pair.client.mux().openStream(7);
        pair.drive(); // the OPEN goes alone
        long before = pair.clientToServerBytes;
        pair.client.mux().write(s, ByteBuffer.wrap(new byte[64]));
        pair.drive();
        // 2-byte frame length + 16-byte Noise tag + 8-byte mux header around 64 bytes
        assertThat(pair.clientToServerBytes - before).isEqualTo(64 + 26);
    }

    @Test
    void tamperedTransportMessageClosesTheLink() {
        LinkPair pair = established();
        pair.client.mux().openStream(7);
        Transmit t = pair.client.pollTransmit(pair.now());
        byte[] body = ((Transmit.Message) t).body();
        body[0] ^= 1;
        pair.server.handleMessage(pair.now(), body);
        pair.drive();
        assertThat(pair.serverClosed().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(pair.serverClosed().reason()).contains("authentication");
    }

    @Test
    void closingSendsGoAwayWithTheReasonAndBothSidesEnd() {
        LinkPair pair = established();
        pair.client.close(ErrorCode.SHUTDOWN, "maintenance");
        pair.drive();
        assertThat(pair.clientClosed()).isEqualTo(new LinkEvent.Closed(ErrorCode.SHUTDOWN, "maintenance", false));
        assertThat(pair.serverClosed()).isEqualTo(new LinkEvent.Closed(ErrorCode.SHUTDOWN, "maintenance", true));
    }

    @Test
    void silentPeerIsDroppedAfterTheIdleTimeout() {
        LinkPair pair = established();
        pair.serverSends = false;
        pair.advance(config.mux().idleTimeoutNanos() + 1);
        assertThat(pair.clientClosed().code()).isEqualTo(ErrorCode.IDLE_TIMEOUT);
    }
}
