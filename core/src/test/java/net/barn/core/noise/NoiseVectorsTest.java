package net.barn.core.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import net.barn.core.crypto.X25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.DynamicTest;

/** Every vector in the shared cacophony file: all patterns, psk modes, deferred patterns, both ciphers. */
class NoiseVectorsTest {
    /** The cacophony vectors (public domain), filtered to the 25519 + SHA-256 suites; kept with the tests. */
    private static final String VECTORS = "/vectors/noise-25519-sha256.json";
    private static final HexFormat HEX = HexFormat.of();

    static List<JsonNode> vectors() throws IOException {
        JsonNode root;
        try (var in = NoiseVectorsTest.class.getResourceAsStream(VECTORS)) {
            if (in == null) {
                throw new IOException("test resource " + VECTORS + " is missing");
            }
            root = new ObjectMapper().readTree(in);
        }
        List<JsonNode> out = new ArrayList<>();
        root.get("vectors").forEach(out::add);
        return out;
    }

    @Test
    void vectorFileHoldsEveryXxVariant() throws IOException {
        List<String> names = vectors().stream().map(v -> v.get("protocol_name").asText()).toList();
        assertThat(names).contains("Noise_XX_25519_ChaChaPoly_SHA256", "Noise_XX_25519_AESGCM_SHA256",
                "Noise_XXpsk3_25519_ChaChaPoly_SHA256", "Noise_XX1_25519_ChaChaPoly_SHA256");
        assertThat(names).hasSizeGreaterThanOrEqualTo(100);
    }

    @TestFactory
    Stream<DynamicTest> everyVectorReproducesItsCiphertextsAndHash() throws IOException {
        return vectors().stream().map(v -> DynamicTest.dynamicTest(v.get("protocol_name").asText(), () -> check(v)));
    }

    private static void check(JsonNode v) throws NoiseException {
        String[] parts = v.get("protocol_name").asText().split("_");
        String pattern = parts[1];
        NoiseCipher cipher = NoiseCipher.byNoiseName(parts[3]);
        HandshakeState initiator = side(v, "init", pattern, cipher, true);
        HandshakeState responder = side(v, "resp", pattern, cipher, false);

        CipherState[] initToResp = new CipherState[2];
        int i = 0;
        for (JsonNode message : v.get("messages")) {
            byte[] payload = HEX.parseHex(message.get("payload").asText());
            byte[] expected = HEX.parseHex(message.get("ciphertext").asText());
            boolean handshake = !initiator.isComplete();
            if (handshake) {
                HandshakeState writer = initiator.isMyTurn() ? initiator : responder;
                HandshakeState reader = writer == initiator ? responder : initiator;
                byte[] wire = writer.writeMessage(payload);
                assertThat(HEX.formatHex(wire)).as("handshake message %d", i).isEqualTo(HEX.formatHex(expected));
                assertThat(reader.readMessage(wire)).isEqualTo(payload);
                if (initiator.isComplete()) {
                    assertThat(responder.isComplete()).isTrue();
                    assertThat(HEX.formatHex(initiator.handshakeHash())).isEqualTo(v.get("handshake_hash").asText());
                    assertThat(responder.handshakeHash()).isEqualTo(initiator.handshakeHash());
                    initToResp[0] = initiator.sender();
                    initToResp[1] = responder.receiver();
                }
            } else {
                // Transport messages keep alternating, except that one-way patterns only send forward.
                boolean forward = initiator.isOneWay() || i % 2 == 0;
                CipherState send = forward ? initToResp[0] : responder.sender();
                CipherState receive = forward ? initToResp[1] : initiator.receiver();
                byte[] wire = send.encryptWithAd(new byte[0], payload);
                assertThat(HEX.formatHex(wire)).as("transport message %d", i).isEqualTo(HEX.formatHex(expected));
                assertThat(receive.decryptWithAd(new byte[0], wire)).isEqualTo(payload);
            }
            i++;
        }
        assertThat(initiator.isComplete()).as("handshake finished within the vector").isTrue();
    }

    private static HandshakeState side(JsonNode v, String who, String pattern, NoiseCipher cipher, boolean initiator) {
        HandshakeState.Builder b = HandshakeState.builder(pattern, initiator)
                .cipher(cipher)
                .prologue(HEX.parseHex(v.get(who + "_prologue").asText()));
        if (v.has(who + "_ephemeral")) {
            b.localEphemeral(X25519.fromPrivate(HEX.parseHex(v.get(who + "_ephemeral").asText())));
        }
        if (v.has(who + "_static")) {
            b.localStatic(X25519.fromPrivate(HEX.parseHex(v.get(who + "_static").asText())));
        }
        if (v.has(who + "_remote_static")) {
            b.remoteStatic(HEX.parseHex(v.get(who + "_remote_static").asText()));
        }
        if (v.has(who + "_psks")) {
            List<byte[]> psks = new ArrayList<>();
            v.get(who + "_psks").forEach(p -> psks.add(HEX.parseHex(p.asText())));
            b.psks(psks);
        }
        return b.build();
    }

    @Test
    void tamperedHandshakeMessageFailsAuthentication() throws Exception {
        JsonNode xx = vectors().stream()
                .filter(v -> v.get("protocol_name").asText().equals("Noise_XX_25519_ChaChaPoly_SHA256"))
                .findFirst().orElseThrow();
        HandshakeState initiator = side(xx, "init", "XX", NoiseCipher.CHACHAPOLY, true);
        HandshakeState responder = side(xx, "resp", "XX", NoiseCipher.CHACHAPOLY, false);
        responder.readMessage(initiator.writeMessage(new byte[0]));
        byte[] second = responder.writeMessage(new byte[] {1, 2, 3});
        second[40] ^= 1; // inside the encrypted static key
        assertThatThrownBy(() -> initiator.readMessage(second)).isInstanceOf(NoiseException.class);
    }

    @Test
    void truncatedHandshakeMessageIsRejected() throws Exception {
        JsonNode xx = vectors().stream()
                .filter(v -> v.get("protocol_name").asText().equals("Noise_XX_25519_ChaChaPoly_SHA256"))
                .findFirst().orElseThrow();
        HandshakeState responder = side(xx, "resp", "XX", NoiseCipher.CHACHAPOLY, false);
        assertThatThrownBy(() -> responder.readMessage(new byte[31]))
                .isInstanceOf(NoiseException.class).hasMessageContaining("too short");
    }
}
