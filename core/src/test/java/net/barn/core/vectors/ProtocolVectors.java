package net.barn.core.vectors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import net.barn.core.ErrorCode;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.identity.ProofOfWork;
import net.barn.core.link.Link;
import net.barn.core.link.LinkConfig;
import net.barn.core.link.LinkCredentials;
import net.barn.core.link.Transmit;
import net.barn.core.link.VerifiedKeys;
import net.barn.core.mux.Frame;
import net.barn.core.mux.FrameCodec;

/**
 * The test vectors of docs/PROTOCOL.md, computed from fixed keys. {@link #main} prints them
 * in the document's format; {@code ProtocolVectorsTest} checks the document against them.
 */
public final class ProtocolVectors {
    private static final HexFormat HEX = HexFormat.of();

    /** Fixed inputs: 32-byte values written as hex so a reader can copy them. */
    static final byte[] INITIATOR_SEED = HEX.parseHex("0101010101010101010101010101010101010101010101010101010101010101");
    static final byte[] RESPONDER_SEED = HEX.parseHex("0202020202020202020202020202020202020202020202020202020202020202");
    static final byte[] INITIATOR_NOISE_STATIC = HEX.parseHex("1111111111111111111111111111111111111111111111111111111111111111");
    static final byte[] RESPONDER_NOISE_STATIC = HEX.parseHex("2222222222222222222222222222222222222222222222222222222222222222");
    static final byte[] INITIATOR_EPHEMERAL = HEX.parseHex("3333333333333333333333333333333333333333333333333333333333333333");
    static final byte[] RESPONDER_EPHEMERAL = HEX.parseHex("4444444444444444444444444444444444444444444444444444444444444444");
    /** Vectors use difficulty 0,8 so that an implementer reproduces them instantly. */
    static final PowParams POW = new PowParams(0, 8);

    private ProtocolVectors() {}

    public static Map<String, String> compute() {
        Map<String, String> v = new LinkedHashMap<>();
        Identity initiator = identity(INITIATOR_SEED);
        Identity responder = identity(RESPONDER_SEED);
        v.put("initiator.identity_seed", HEX.formatHex(INITIATOR_SEED));
        v.put("initiator.identity_key", HEX.formatHex(initiator.publicKey()));
        v.put("initiator.node_id_hex", initiator.id().toHex());
        v.put("initiator.node_id", initiator.id().toString());
        v.put("initiator.pow_nonce", Long.toString(initiator.powNonce()));
        v.put("initiator.pow_hash", HEX.formatHex(powHash(initiator.id(), initiator.powNonce())));
        v.put("responder.identity_seed", HEX.formatHex(RESPONDER_SEED));
        v.put("responder.node_id", responder.id().toString());
        v.put("responder.pow_nonce", Long.toString(responder.powNonce()));
        v.put("invite", "barn:" + responder.id() + "@127.0.0.1:7345,[::1]:7345");

        X25519.KeyPair iStatic = X25519.fromPrivate(INITIATOR_NOISE_STATIC);
        X25519.KeyPair rStatic = X25519.fromPrivate(RESPONDER_NOISE_STATIC);
        v.put("initiator.noise_static_private", HEX.formatHex(INITIATOR_NOISE_STATIC));
        v.put("initiator.noise_static_public", HEX.formatHex(iStatic.publicKey()));
        v.put("responder.noise_static_private", HEX.formatHex(RESPONDER_NOISE_STATIC));
        v.put("initiator.ephemeral_private", HEX.formatHex(INITIATOR_EPHEMERAL));
        v.put("responder.ephemeral_private", HEX.formatHex(RESPONDER_EPHEMERAL));
        LinkCredentials iCreds = new LinkCredentials(initiator, iStatic);
        LinkCredentials rCreds = new LinkCredentials(responder, rStatic);
        LinkConfig config = new LinkConfig(POW, 10_000_000_000L, LinkConfig.CAPABILITIES, java.util.List.of(),
                net.barn.core.mux.MuxConfig.DEFAULT);

        // The payload a second implementation builds independently: fields 1-5 in order.
        byte[] signed = concat("barn-link-v1 noise static key".getBytes(StandardCharsets.US_ASCII), rStatic.publicKey());
        v.put("responder.static_key_signature", HEX.formatHex(responder.sign(signed)));
        byte[] payload = net.barn.wire.link.HandshakePayload.newBuilder()
                .setIdentityKey(com.google.protobuf.ByteString.copyFrom(responder.publicKey()))
                .setPowNonce(responder.powNonce())
                .setStaticKeySignature(com.google.protobuf.ByteString.copyFrom(responder.sign(signed)))
                .setVersion(1)
                .addCapabilities("mux/1").addCapabilities("dgram/1")
                .build().toByteArray();
        v.put("responder.handshake_payload", HEX.formatHex(payload));

        Link client = Link.initiate(iCreds, config, responder.id(), SeededEntropy.fixed(INITIATOR_EPHEMERAL),
                new VerifiedKeys(4), 0);
        Link server = Link.accept(rCreds, config, SeededEntropy.fixed(RESPONDER_EPHEMERAL), new VerifiedKeys(4), 0);
        byte[] preamble = ((Transmit.Raw) client.pollTransmit(0)).bytes();
        v.put("handshake.preamble", HEX.formatHex(preamble));
        server.handlePreamble(0, preamble);
        byte[] m1 = ((Transmit.Message) client.pollTransmit(0)).body();
        v.put("handshake.message1", HEX.formatHex(m1));
        server.handleMessage(0, m1);
        byte[] m2 = ((Transmit.Message) server.pollTransmit(0)).body();
        v.put("handshake.message2", HEX.formatHex(m2));
        client.handleMessage(0, m2);
        byte[] m3 = ((Transmit.Message) client.pollTransmit(0)).body();
        v.put("handshake.message3", HEX.formatHex(m3));
        server.handleMessage(0, m3);
        if (client.state() != Link.State.ESTABLISHED || server.state() != Link.State.ESTABLISHED) {
            throw new IllegalStateException("vector handshake did not complete");
        }

        int stream = client.mux().openStream(7);
        client.mux().write(stream, ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        client.mux().finish(stream);
        // One transport message: OPEN(stream 1, port 7) then DATA(stream 1, FIN, "hello").
        v.put("transport.message1_plaintext", HEX.formatHex(FrameCodec.encode(new Frame.Open(stream, 7, null)))
                + HEX.formatHex(FrameCodec.encode(new Frame.Data(stream, true,
                        ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII))))));
        v.put("transport.message1", HEX.formatHex(((Transmit.Message) client.pollTransmit(0)).body()));

        v.put("frame.data_fin", frame(new Frame.Data(1, true, ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)))));
        v.put("frame.open_port", frame(new Frame.Open(1, 7, null)));
        v.put("frame.open_service", frame(new Frame.Open(3, 0, "echo")));
        v.put("frame.window_update", frame(new Frame.WindowUpdate(1, 262144)));
        v.put("frame.reset", frame(new Frame.Reset(3, ErrorCode.PORT_UNREACHABLE, "nothing bound at port 31337")));
        v.put("frame.datagram", frame(new Frame.Datagram(7, 4000, ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)))));
        v.put("frame.ping", frame(new Frame.Ping(false, 1)));
        v.put("frame.pong", frame(new Frame.Ping(true, 1)));
        v.put("frame.goaway", frame(new Frame.GoAway(ErrorCode.SHUTDOWN, "node shutting down")));
        // Moving a stream (section 5.10): the vector link's tag, a continuation of its stream 1 on
        // another link (stream 3 there, to port 7), and the MOVE of stream 1.
        v.put("link.tag", String.format("%016x", client.tag()));
        v.put("frame.open_continuation", frame(new Frame.Open(3, 7, null, client.tag(), 1)));
        v.put("frame.move", frame(new Frame.Move(1)));

        // Root network: an owned record of the responder's, and a FIND_NODE request.
        net.barn.core.dht.Record record = net.barn.core.dht.RecordTypes.owned(responder, "greeting",
                "hello".getBytes(StandardCharsets.US_ASCII), 7, 1_800_000_000_000L);
        v.put("record.owned_key", HEX.formatHex(record.key().toBytes()));
        v.put("record.signed_bytes", HEX.formatHex(net.barn.core.dht.RecordTypes.signedBytes(record.type(), record.key(),
                record.value(), record.sequence(), record.expiresAtMillis(), record.publisherKey(), record.name())));
        v.put("record.signature", HEX.formatHex(record.signature()));
        v.put("record.encoded", HEX.formatHex(net.barn.core.dht.DhtCodec.encodeRecord(record)));
        net.barn.core.dht.Contact sender = new net.barn.core.dht.Contact(initiator.id(),
                net.barn.core.identity.PeerAddress.parse("127.0.0.1:7345"));
        v.put("dht.find_node", HEX.formatHex(net.barn.core.dht.DhtCodec.encode(
                new net.barn.core.dht.DhtMessage.FindNode(1, sender, record.key()))));

        // Root namespace: the initiator claims "irc"; the responder countersigned its commitment.
        var rules = net.barn.core.namespace.NameRules.DEFAULT.withIdPow(POW).withPow(64, 1, 4);
        byte[] salt = new byte[16];
        java.util.Arrays.fill(salt, (byte) 5);
        var nameKey = net.barn.core.namespace.NameRecords.nameKey("irc");
        byte[] commitment = net.barn.core.namespace.NameRecords.commitment("irc", initiator.publicKey(), salt);
        long nonce = net.barn.core.namespace.NamePow.solve(commitment, 0, rules);
        long at = 1_799_999_000_000L;
        byte[] countersigned = net.barn.core.dht.Countersigning.signedBytes(nameKey, commitment, at);
        byte[] countersignature = responder.sign(countersigned);
        v.put("name.key", HEX.formatHex(nameKey.toBytes()));
        v.put("name.commitment", HEX.formatHex(commitment));
        v.put("name.pow_nonce", Long.toString(nonce));
        v.put("name.pow_output", HEX.formatHex(net.barn.core.namespace.NamePow.attempt(commitment, nonce, rules)));
        v.put("name.countersigned_bytes", HEX.formatHex(countersigned));
        v.put("name.countersignature", HEX.formatHex(countersignature));
        var claim = net.barn.core.namespace.NameClaims.firstClaim("irc", initiator, salt, nonce,
                java.util.List.of(new net.barn.core.dht.DhtMessage.Countersigned(0, sender, true, "", at, responder.publicKey(),
                        responder.powNonce(), countersignature)),
                net.barn.core.namespace.NameClaims.Terms.soleOwner(initiator, 365L * 86_400_000L), at + 60_000, rules);
        var parts = net.barn.core.namespace.NameRecords.parts(claim);
        v.put("name.claim", HEX.formatHex(parts.claimBytes()));
        v.put("name.owner_signature", HEX.formatHex(parts.signatures().get(0).getSignature().toByteArray()));
        v.put("name.record_encoded", HEX.formatHex(net.barn.core.dht.DhtCodec.encodeRecord(claim)));
        return v;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Identity identity(byte[] seed) {
        Identity probe = Identity.restore(seed, 0);
        return Identity.restore(seed, ProofOfWork.solveDynamic(probe.id(), POW));
    }

    private static byte[] powHash(NodeId id, long nonce) {
        byte[] nonceBytes = ByteBuffer.allocate(8).putLong(nonce).array();
        return net.barn.core.crypto.Sha256.hash("barn-pow-v1".getBytes(StandardCharsets.US_ASCII), id.toBytes(), nonceBytes);
    }

    private static String frame(Frame f) {
        return HEX.formatHex(FrameCodec.encode(f));
    }

    /** Prints the vectors as they appear in docs/PROTOCOL.md. */
    public static void main(String[] args) {
        compute().forEach((k, val) -> System.out.println(k + " = " + val));
    }
}
