package net.barn.core.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** The reachability verdict from dial-backs and observations, the dial-back limits, and the codec. */
class ReachabilityTest {
    private static final long S = Reachability.SECOND;

    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        return NodeId.of(b);
    }

    @Test
    void twoDistinctNodesReachingUsMakeUsPublic() {
        Reachability r = new Reachability(0);
        r.handleDialBack(S, id(1), true);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.UNKNOWN);
        r.handleDialBack(S, id(1), true);
        assertThat(r.verdict()).as("one node twice is one witness").isEqualTo(Reachability.Verdict.UNKNOWN);
        r.handleDialBack(S, id(2), true);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.PUBLIC);
    }

    @Test
    void failedDialBacksWithOneMappingMeanAConeNat() {
        Reachability r = new Reachability(0);
        r.handleDialBack(S, id(1), false);
        r.handleDialBack(S, id(2), false);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.PRIVATE);
        r.handleObserved(S, id(1), "10.77.0.1", "10.77.1.2", 4000);
        r.handleObserved(S, id(2), "10.77.0.2", "10.77.1.2", 4000);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.CONE_NAT);
        assertThat(r.observedAddress()).isEqualTo("10.77.1.2:4000");
    }

    @Test
    void aMappingPerDestinationMeansASymmetricNat() {
        Reachability r = new Reachability(0);
        r.handleDialBack(S, id(1), false);
        r.handleDialBack(S, id(2), false);
        r.handleDialBack(S, id(3), true);
        r.handleObserved(S, id(1), "10.77.0.1", "10.77.2.2", 31224);
        r.handleObserved(S, id(2), "10.77.0.2", "10.77.2.2", 62706);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.SYMMETRIC_NAT);
        assertThat(r.observedAddress()).isNull();
        assertThat(r.describe()).startsWith("symmetric nat (dial-backs 1 reached, 2 failed; 2 observations");
    }

    @Test
    void observersAtOneIpCountOnce() {
        Reachability r = new Reachability(0);
        r.handleDialBack(S, id(1), false);
        r.handleDialBack(S, id(2), false);
        r.handleObserved(S, id(1), "10.77.0.1", "10.77.2.2", 1000);
        r.handleObserved(S, id(2), "10.77.0.1", "10.77.2.2", 2000);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.PRIVATE);
    }

    @Test
    void evidenceExpiresAndRoundsComeAgain() {
        Reachability r = new Reachability(0);
        assertThat(r.pollProbe()).isFalse();
        r.handleTimeout(Reachability.FIRST_PROBE_NANOS);
        assertThat(r.pollProbe()).isTrue();
        assertThat(r.pollProbe()).isFalse();
        assertThat(r.pollTimeout()).isEqualTo(Reachability.FIRST_PROBE_NANOS + Reachability.RETRY_NANOS);
        r.handleDialBack(S, id(1), true);
        r.handleDialBack(S, id(2), true);
        r.handleTimeout(r.pollTimeout());
        assertThat(r.pollTimeout() - Reachability.FIRST_PROBE_NANOS - Reachability.RETRY_NANOS).isEqualTo(Reachability.RECHECK_NANOS);
        r.handleTimeout(S + Reachability.EVIDENCE_NANOS + 1);
        assertThat(r.verdict()).isEqualTo(Reachability.Verdict.UNKNOWN);
    }

    @Test
    void dialBacksAreRateLimitedPerNodeNetworkAndInAll() {
        DialBackGuard g = new DialBackGuard();
        assertThat(g.admit(0, id(1), "10.77", 4000)).isNull();
        assertThat(g.admit(S, id(1), "10.77", 4000)).contains("per 20 s per node");
        assertThat(g.admit(0, id(2), "10.77", 0)).contains("not a port");
        for (int i = 2; i < 9; i++) {
            assertThat(g.admit(0, id(i), "10.77", 4000)).isNull();
        }
        assertThat(g.admit(0, id(9), "10.77", 4000)).contains("one network");
        for (int i = 10; i < 34; i++) {
            assertThat(g.admit(0, id(i), "group" + i, 4000)).isNull();
        }
        assertThat(g.admit(0, id(40), "elsewhere", 4000)).contains("in all");
        assertThat(g.admit(61 * S, id(40), "elsewhere", 4000)).isNull();
    }

    @Test
    void codecRoundTripsAndRefusesWhatItShould() throws Exception {
        byte[] nonce = new byte[16];
        nonce[3] = 7;
        assertThat(ReachCodec.decode(ReachCodec.encode(new ReachCodec.DialBackRequest(4000, nonce))))
                .isInstanceOfSatisfying(ReachCodec.DialBackRequest.class, r -> assertThat(r.port()).isEqualTo(4000));
        assertThat(ReachCodec.decode(ReachCodec.encode(new ReachCodec.DialBackAnswer(nonce, true, "10.77.0.1", ""))))
                .isInstanceOfSatisfying(ReachCodec.DialBackAnswer.class, a -> assertThat(a.reached()).isTrue());
        byte[] observe = ReachCodec.observe(nonce);
        assertThat(observe.length).isGreaterThanOrEqualTo(ReachCodec.MIN_OBSERVE);
        byte[] answer = ReachCodec.observed(nonce, "10.77.1.2:4000");
        assertThat(answer.length).as("never larger than the question").isLessThanOrEqualTo(observe.length);
        assertThat(ReachCodec.decodeDatagram(answer)).isInstanceOfSatisfying(ReachCodec.ObservedAnswer.class,
                a -> assertThat(a.address()).isEqualTo("10.77.1.2:4000"));
        assertThat(DialBackGuard.group(new byte[] {10, 77, 1, 2})).isEqualTo("10.77");
        assertThat(ReachCodec.decodeDatagram(observe)).isInstanceOf(ReachCodec.ObserveRequest.class);

        assertThatThrownBy(() -> ReachCodec.decode(ReachCodec.encode(new ReachCodec.DialBackRequest(70000, nonce))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("not 1..65535");
        assertThatThrownBy(() -> ReachCodec.decode(ReachCodec.encode(new ReachCodec.DialBackRequest(1, new byte[3]))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("nonce of 3 bytes");
        assertThatThrownBy(() -> ReachCodec.decode(new byte[600])).hasMessageContaining("limit 512");
        assertThatThrownBy(() -> ReachCodec.decodeDatagram("XXXX".getBytes())).hasMessageContaining("not a BARN");
        byte[] shortObserve = java.util.Arrays.copyOf(answer, answer.length);
        shortObserve[4] = 0x0a; // field 1 (observe) instead of 2
        assertThatThrownBy(() -> ReachCodec.decodeDatagram(shortObserve)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void punchDatagramsAreTwentyFourBytesAsDocumentedAndRefuseAWrongNonce() throws Exception {
        byte[] nonce = new byte[16];
        java.util.Arrays.fill(nonce, (byte) 0x11);
        byte[] punch = ReachCodec.punch(nonce);
        // PROTOCOL.md 16.5 and SECURITY.md: "BRN1", then UdpMessage{punch: {nonce}}.
        assertThat(java.util.HexFormat.of().formatHex(punch))
                .isEqualTo("42524e31" + "1a12" + "0a10" + "11".repeat(16));
        assertThat(ReachCodec.hasMagic(punch)).isTrue();
        assertThat(ReachCodec.decodeDatagram(punch)).isInstanceOfSatisfying(ReachCodec.PunchDatagram.class,
                p -> assertThat(p.nonce()).isEqualTo(nonce));
        byte[] wrong = ReachCodec.punch(new byte[16]);
        wrong[7] = 5; // the nonce field claims 5 bytes
        assertThatThrownBy(() -> ReachCodec.decodeDatagram(java.util.Arrays.copyOf(wrong, 13))).isInstanceOf(ProtocolException.class);
        assertThat(ReachCodec.hasMagic("BRN".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isFalse();
    }
}
