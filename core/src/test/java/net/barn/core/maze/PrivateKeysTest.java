package net.barn.core.maze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.X25519;
import net.barn.core.crypto.Sha256;
import net.barn.core.identity.NodeId;
import net.barn.wire.maze.KeyShare;
import net.barn.wire.maze.PrivatePayload;
import net.barn.wire.maze.Sealed;
import net.barn.wire.maze.SealedKey;
import org.junit.jupiter.api.Test;

/**
 * Private-maze payloads: the test vectors of docs/PROTOCOL.md 13.10 (computed independently
 * with Python's cryptography package) and the refusal of malformed payloads.
 */
class PrivateKeysTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String MAZE = "irc/#barn";

    private static byte[] range(int from) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void matchesTheProtocolsTestVectors() throws Exception {
        Ed25519.SigningKey identity = Ed25519.fromSeed(range(1));
        assertThat(HEX.formatHex(identity.publicKey())).isEqualTo("79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664");
        NodeId sender = NodeId.ofPublicKey(identity.publicKey());
        assertThat(sender.toHex()).isEqualTo("65b60673d6ed884bf01c2c222d82ada0740f29ac3355d6a925c81f17f47a27b8");
        byte[] k = range(0x20);
        assertThat(HEX.formatHex(PrivateKeys.ratchet(k))).isEqualTo("54c51da485b0700fb819a35ff4ea724bbc465c416f9038584d28f924449a3556");

        byte[] ct = PrivateKeys.seal(k, PrivateKeys.dataNonce(7), PrivateKeys.dataAad(MAZE, sender, 2, 3, 7),
                "hello, maze".getBytes(StandardCharsets.UTF_8));
        assertThat(HEX.formatHex(ct)).isEqualTo("3e8b6594509e1accbc7087404b581bb68b340221d5196360b0b78e");
        assertThat(HEX.formatHex(identity.sign(PrivateKeys.dataSigned(MAZE, sender, 2, 3, 7, ct)))).isEqualTo(
                "95db102dc6ad477cd3b02116356b8aff49e6688e6cc60d5ddd9d12461f987863e97cc0f26e76758652b7fa417074868ca5b611d53876f0ab9d8334fd4487d106");

        X25519.KeyPair box = X25519.fromPrivate(range(0x60));
        assertThat(HEX.formatHex(box.publicKey())).isEqualTo("675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f");
        NodeId to = NodeId.of(Sha256.hash("recipient".getBytes(StandardCharsets.US_ASCII)));
        byte[] sealedKey = PrivateKeys.sealShare(range(0x40), box.publicKey(), MAZE, sender, to, 2, 3, k);
        assertThat(HEX.formatHex(sealedKey)).isEqualTo(
                "0c9e096baaf5adb924519a60f76762e86c6763260683c8cb3627e8a32921a6e5aab9940283b64ae88d47745db04353e7");
        byte[] eph = X25519.fromPrivate(range(0x40)).publicKey();
        assertThat(HEX.formatHex(eph)).isEqualTo("79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a");
        assertThat(PrivateKeys.openShare(box.privateKey(), eph, MAZE, sender, to, 2, 3, sealedKey)).isEqualTo(k);
        assertThat(HEX.formatHex(identity.sign(PrivateKeys.helloSigned(MAZE, box.publicKey())))).isEqualTo(
                "3fbcba29994d78a0f67fa9a1b5ccf269669fa141e12be820ae193dc5cd48df5b5336f02f8f2f3c432c36efd73d0bd68c93b18db7ab73547a1e44b24cd5b50606");
    }

    @Test
    void payloadsSurviveARoundTrip() throws Exception {
        NodeId a = NodeId.of(range(1));
        List<PrivateKeys.Payload> all = List.of(
                new PrivateKeys.Hello(range(2), range(3), new byte[64], List.of(a), List.of(new PrivateKeys.KeyWant(a, 4))),
                new PrivateKeys.KeyShare(range(2), 1, 0, range(5), List.of(new PrivateKeys.SealedKey(a, new byte[48])), new byte[64]),
                new PrivateKeys.Sealed(3, 9, 12, new byte[40], new byte[64]));
        for (PrivateKeys.Payload p : all) {
            PrivateKeys.Payload back = PrivateKeys.decode(PrivateKeys.encode(p));
            assertThat(PrivateKeys.encode(back)).isEqualTo(PrivateKeys.encode(p));
        }
    }

    @Test
    void malformedPayloadsAreRefusedWithAReason() {
        byte[] id = range(1);
        Sealed.Builder sealed = Sealed.newBuilder().setGeneration(1).setCounter(1)
                .setCiphertext(com.google.protobuf.ByteString.copyFrom(new byte[20]))
                .setSignature(com.google.protobuf.ByteString.copyFrom(new byte[64]));
        bad(new byte[] {1, 2, 3}, "not a PrivatePayload");
        bad(new byte[0], "empty");
        bad(PrivatePayload.newBuilder().setSealed(sealed.clone().setGeneration(0)).build().toByteArray(), "generation 0");
        bad(PrivatePayload.newBuilder().setSealed(sealed.clone().setCounter(0)).build().toByteArray(), "counter");
        bad(PrivatePayload.newBuilder().setSealed(sealed.clone().setCiphertext(com.google.protobuf.ByteString.copyFrom(new byte[8])))
                .build().toByteArray(), "shorter than its tag");
        bad(PrivatePayload.newBuilder().setSealed(sealed.clone().setSignature(com.google.protobuf.ByteString.copyFrom(new byte[63])))
                .build().toByteArray(), "signature of 63 bytes");

        KeyShare.Builder share = KeyShare.newBuilder().setIdentityKey(com.google.protobuf.ByteString.copyFrom(range(2)))
                .setGeneration(1).setEphemeral(com.google.protobuf.ByteString.copyFrom(range(3)))
                .setSignature(com.google.protobuf.ByteString.copyFrom(new byte[64]));
        SealedKey key = SealedKey.newBuilder().setMember(com.google.protobuf.ByteString.copyFrom(id))
                .setSealed(com.google.protobuf.ByteString.copyFrom(new byte[48])).build();
        bad(PrivatePayload.newBuilder().setKeyShare(share.clone()).build().toByteArray(), "1..128 keys, got 0");
        bad(PrivatePayload.newBuilder().setKeyShare(share.clone().addKeys(key).addKeys(key)).build().toByteArray(), "twice");
        List<SealedKey> many = new ArrayList<>();
        for (int i = 0; i < 129; i++) {
            byte[] m = range(i);
            many.add(key.toBuilder().setMember(com.google.protobuf.ByteString.copyFrom(m)).build());
        }
        bad(PrivatePayload.newBuilder().setKeyShare(share.clone().addAllKeys(many)).build().toByteArray(), "got 129");
        bad(PrivatePayload.newBuilder().setKeyShare(share.clone().addKeys(key.toBuilder()
                .setSealed(com.google.protobuf.ByteString.copyFrom(new byte[47])))).build().toByteArray(), "sealed key of 47 bytes");
        bad(PrivatePayload.newBuilder().setKeyShare(share.clone().setStep(-1).addKeys(key)).build().toByteArray(), "step");
        bad(PrivatePayload.newBuilder().setHello(net.barn.wire.maze.Hello.newBuilder()
                .setIdentityKey(com.google.protobuf.ByteString.copyFrom(new byte[31]))).build().toByteArray(), "identity key of 31");
    }

    private static void bad(byte[] payload, String why) {
        assertThatThrownBy(() -> PrivateKeys.decode(payload)).isInstanceOf(PrivateKeys.BadPayload.class).hasMessageContaining(why);
    }
}
