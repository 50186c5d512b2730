package net.barn.core.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import net.barn.core.crypto.X25519;
import net.barn.core.noise.HandshakeState;
import net.barn.core.noise.NoiseCipher;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md's vectors are exactly what the implementation produces, and self-consistent. */
class ProtocolVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    static Map<String, String> documented() throws IOException {
        String doc = Files.readString(Path.of("docs/PROTOCOL.md"));
        int begin = doc.indexOf("<!-- vectors:begin -->");
        int end = doc.indexOf("<!-- vectors:end -->");
        assertThat(begin).as("vector block in docs/PROTOCOL.md").isPositive();
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : doc.substring(begin, end).split("\n")) {
            int eq = line.indexOf(" = ");
            if (eq > 0) {
                out.put(line.substring(0, eq).trim(), line.substring(eq + 3).trim());
            }
        }
        return out;
    }

    @Test
    void documentListsExactlyTheVectorsTheCodeComputes() throws IOException {
        assertThat(documented()).containsExactlyEntriesOf(ProtocolVectors.compute());
    }

    /**
     * What a second implementation would do: run plain Noise XX with the documented keys and
     * payloads, and arrive at the documented messages.
     */
    @Test
    void documentedHandshakeFollowsFromTheDocumentedKeysAndPayloads() throws Exception {
        Map<String, String> v = documented();
        byte[] prologue = HEX.parseHex(v.get("handshake.preamble"));
        HandshakeState initiator = HandshakeState.builder("XX", true).cipher(NoiseCipher.CHACHAPOLY).prologue(prologue)
                .localStatic(X25519.fromPrivate(HEX.parseHex(v.get("initiator.noise_static_private"))))
                .localEphemeral(X25519.fromPrivate(HEX.parseHex(v.get("initiator.ephemeral_private"))))
                .build();
        HandshakeState responder = HandshakeState.builder("XX", false).cipher(NoiseCipher.CHACHAPOLY).prologue(prologue)
                .localStatic(X25519.fromPrivate(HEX.parseHex(v.get("responder.noise_static_private"))))
                .localEphemeral(X25519.fromPrivate(HEX.parseHex(v.get("responder.ephemeral_private"))))
                .build();
        byte[] m1 = initiator.writeMessage(new byte[0]);
        assertThat(HEX.formatHex(m1)).isEqualTo(v.get("handshake.message1"));
        responder.readMessage(m1);
        byte[] m2 = responder.writeMessage(HEX.parseHex(v.get("responder.handshake_payload")));
        assertThat(HEX.formatHex(m2)).isEqualTo(v.get("handshake.message2"));
        initiator.readMessage(m2);
        // Message 3 carries the initiator's signature, which only its identity key can make:
        // check that it decrypts and names the documented proof-of-work nonce.
        byte[] payload3 = responder.readMessage(HEX.parseHex(v.get("handshake.message3")));
        assertThat(HEX.formatHex(responder.handshakeHash()).substring(0, 16)).as("the link tag is h's first 8 bytes")
                .isEqualTo(v.get("link.tag"));
        assertThat(net.barn.wire.link.HandshakePayload.parseFrom(payload3).getPowNonce())
                .isEqualTo(Long.parseLong(v.get("initiator.pow_nonce")));
        byte[] transport = HEX.parseHex(v.get("transport.message1"));
        assertThat(HEX.formatHex(responder.receiver().decryptWithAd(new byte[0], transport)))
                .isEqualTo(v.get("transport.message1_plaintext"));
    }
}
