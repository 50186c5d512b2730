package net.barn.core.link;

import static org.assertj.core.api.Assertions.assertThat;

import net.barn.core.ErrorCode;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import net.barn.core.testing.TestIdentities;
import org.junit.jupiter.api.Test;

class LinkHandshakeTest {
    private final Identity alice = TestIdentities.of(1);
    private final Identity bob = TestIdentities.of(2);
    private final LinkConfig config = LinkConfig.defaults(PowParams.TEST);

    @Test
    void establishesAndEachSideLearnsTheOthersId() {
        LinkPair pair = new LinkPair(alice, bob, config, config, bob.id());
        pair.drive();
        assertThat(pair.client.state()).isEqualTo(Link.State.ESTABLISHED);
        assertThat(pair.server.state()).isEqualTo(Link.State.ESTABLISHED);
        assertThat(pair.client.peer().id()).isEqualTo(bob.id());
        assertThat(pair.server.peer().id()).isEqualTo(alice.id());
        assertThat(pair.server.peer().capabilities()).containsExactlyElementsOf(LinkConfig.CAPABILITIES);
        assertThat(pair.clientEvents).containsExactly(new LinkEvent.Established(pair.client.peer()));
    }

    @Test
    void dialingWithoutAnExpectedIdAcceptsWhoeverProvesAnIdentity() {
        LinkPair pair = new LinkPair(alice, bob, config, config, null);
        pair.drive();
        assertThat(pair.client.peer().id()).isEqualTo(bob.id());
    }

    @Test
    void failsWhenTheAnsweringNodeIsNotTheOneDialed() {
        Identity carol = TestIdentities.of(3);
        LinkPair pair = new LinkPair(alice, bob, config, config, carol.id());
        pair.drive();
        assertThat(pair.clientClosed().code()).isEqualTo(ErrorCode.IDENTITY_MISMATCH);
        assertThat(pair.client.state()).isEqualTo(Link.State.CLOSED);
        // The initiator never revealed its own identity to the wrong node.
        assertThat(pair.server.peer()).isNull();
    }

    @Test
    void refusesAPeerWhoseProofOfWorkIsBelowTheNetworkDifficulty() {
        LinkConfig strict = LinkConfig.defaults(new PowParams(PowParams.TEST.staticBits(), 12));
        Identity weak = TestIdentities.of(4); // solved only the TEST difficulty
        Identity strong = TestIdentities.of(5, new PowParams(PowParams.TEST.staticBits(), 12));
        LinkPair pair = new LinkPair(weak, strong, config, strict, null);
        pair.drive();
        // The responder holds transport keys when it judges the initiator, so it says why.
        assertThat(pair.serverClosed().code()).isEqualTo(ErrorCode.WEAK_POW);
        assertThat(pair.clientClosed().code()).isEqualTo(ErrorCode.WEAK_POW);
        assertThat(pair.clientClosed().byPeer()).isTrue();
        assertThat(pair.clientClosed().reason()).contains("dynamic puzzle");
    }

    @Test
    void refusesAnIdentityThatDidNotSignTheNoiseKey() {
        X25519.KeyPair noise = X25519.generate(new SeededEntropy(99));
        LinkCredentials honest = new LinkCredentials(bob, X25519.generate(new SeededEntropy(98)));
        // Alice's identity signs one Noise key but presents another.
        LinkCredentials forged = LinkCredentials.withSignature(alice, noise,
                new LinkCredentials(alice, X25519.generate(new SeededEntropy(97))).staticKeySignature());
        LinkPair pair = new LinkPair(forged, honest, config, config, bob.id());
        pair.drive();
        assertThat(pair.serverClosed().code()).isEqualTo(ErrorCode.BAD_SIGNATURE);
        assertThat(pair.server.peer()).isNull();
    }

    @Test
    void responderOfAnotherVersionAnswersWithItsPreambleAndBothSidesSaySo() {
        LinkPair pair = new LinkPair(alice, bob, config, config, bob.id());
        Transmit preamble = pair.client.pollTransmit(pair.now());
        byte[] future = Preamble.encode(2);
        assertThat(preamble).isInstanceOf(Transmit.Raw.class);
        pair.server.handlePreamble(pair.now(), future);
        Transmit answer = pair.server.pollTransmit(pair.now());
        assertThat(answer).isInstanceOf(Transmit.Message.class);
        assertThat(pair.server.pollEvent()).isEqualTo(new LinkEvent.Closed(ErrorCode.UNSUPPORTED_VERSION,
                "peer speaks link version 2, this node 1", false));
        pair.client.pollTransmit(pair.now()); // message 1, never delivered
        pair.client.handleMessage(pair.now(), ((Transmit.Message) answer).body());
        LinkEvent.Closed closed = (LinkEvent.Closed) pair.client.pollEvent();
        assertThat(closed.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        assertThat(closed.reason()).contains("speaks version 1");
    }

    @Test
    void rejectsBytesThatAreNotABarnPreamble() {
        Link server = Link.accept(new LinkCredentials(bob, X25519.generate(new SeededEntropy(1))), config,
                new SeededEntropy(2), new VerifiedKeys(4), 0);
        server.handlePreamble(0, "GET / HT".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(((LinkEvent.Closed) server.pollEvent()).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void tamperedHandshakeMessageFailsTheLink() {
        LinkPair pair = new LinkPair(alice, bob, config, config, bob.id());
        pair.server.handlePreamble(pair.now(), ((Transmit.Raw) pair.client.pollTransmit(pair.now())).bytes());
        byte[] first = ((Transmit.Message) pair.client.pollTransmit(pair.now())).body();
        pair.server.handleMessage(pair.now(), first);
        byte[] second = ((Transmit.Message) pair.server.pollTransmit(pair.now())).body();
        second[second.length - 1] ^= 0x40;
        pair.client.handleMessage(pair.now(), second);
        assertThat(((LinkEvent.Closed) pair.client.pollEvent()).code()).isEqualTo(ErrorCode.HANDSHAKE_FAILED);
    }

    @Test
    void oversizedHandshakeMessageIsRefusedUnread() {
        LinkPair pair = new LinkPair(alice, bob, config, config, bob.id());
        pair.server.handlePreamble(pair.now(), ((Transmit.Raw) pair.client.pollTransmit(pair.now())).bytes());
        pair.server.handleMessage(pair.now(), new byte[Link.MAX_HANDSHAKE_MESSAGE + 1]);
        assertThat(((LinkEvent.Closed) pair.server.pollEvent()).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void peerThatStallsMidHandshakeTimesOut() {
        LinkPair pair = new LinkPair(alice, bob, config, config, bob.id());
        pair.serverSends = false;
        pair.drive();
        assertThat(pair.client.state()).isEqualTo(Link.State.HANDSHAKE);
        pair.advance(config.handshakeTimeoutNanos() - 1);
        assertThat(pair.clientClosed()).isNull();
        pair.advance(2);
        assertThat(pair.clientClosed().code()).isEqualTo(ErrorCode.HANDSHAKE_TIMEOUT);
        assertThat(pair.serverClosed().code()).isEqualTo(ErrorCode.HANDSHAKE_TIMEOUT);
    }

    @Test
    void selfDialIsRefused() {
        LinkPair pair = new LinkPair(alice, alice, config, config, null);
        pair.drive();
        assertThat(pair.clientClosed().code()).isEqualTo(ErrorCode.SELF_DIAL);
    }

    @Test
    void repeatedHandshakesVerifyEachPeerSignatureOnce() {
        VerifiedKeys cache = new VerifiedKeys(4);
        LinkCredentials b = new LinkCredentials(bob, X25519.generate(new SeededEntropy(5)));
        byte[] noise = b.noiseStatic().publicKey();
        String key = VerifiedKeys.key(bob.publicKey(), noise, b.staticKeySignature());
        assertThat(cache.contains(key)).isFalse();
        Link client = Link.initiate(new LinkCredentials(alice, X25519.generate(new SeededEntropy(6))), config, null,
                new SeededEntropy(7), cache, 0);
        Link server = Link.accept(b, config, new SeededEntropy(8), new VerifiedKeys(4), 0);
        server.handlePreamble(0, ((Transmit.Raw) client.pollTransmit(0)).bytes());
        server.handleMessage(0, ((Transmit.Message) client.pollTransmit(0)).body());
        client.handleMessage(0, ((Transmit.Message) server.pollTransmit(0)).body());
        assertThat(client.peer().id()).isEqualTo(bob.id());
        assertThat(cache.contains(key)).isTrue();
    }
}
