package net.barn.core.link;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.crypto.Ed25519;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.ProofOfWork;
import net.barn.wire.link.HandshakePayload;

/** Builds this node's handshake payload and checks the peer's, field by field. */
final class HandshakePayloads {
    static final int MAX_PAYLOAD = 4096;
    static final int MAX_LIST = 16;
    static final int MAX_TEXT = 64;

    private HandshakePayloads() {}

    static byte[] build(LinkCredentials credentials, LinkConfig config) {
        HandshakePayload.Builder b = HandshakePayload.newBuilder()
                .setIdentityKey(com.google.protobuf.ByteString.copyFrom(credentials.identity().publicKey()))
                .setPowNonce(credentials.identity().powNonce())
                .setStaticKeySignature(com.google.protobuf.ByteString.copyFrom(credentials.staticKeySignature()))
                .setVersion(Preamble.VERSION)
                .addAllCapabilities(config.capabilities());
        config.listenAddresses().stream().limit(MAX_LIST).forEach(a -> b.addListenAddresses(a.toString()));
        return b.build().toByteArray();
    }

    /**
     * Validates the peer's payload against the Noise static key it proved. Throws with the
     * error code the link closes with.
     */
    static PeerInfo verify(byte[] payload, byte[] remoteStatic, NodeId expectedPeer, NodeId self,
            LinkConfig config, VerifiedKeys cache) throws ProtocolException {
        if (payload.length > MAX_PAYLOAD) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "handshake payload over " + MAX_PAYLOAD + " bytes");
        }
        HandshakePayload p;
        try {
            p = HandshakePayload.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolException(ErrorCode.HANDSHAKE_FAILED, "handshake payload is not a HandshakePayload message");
        }
        if (p.getVersion() != Preamble.VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "peer speaks link version " + p.getVersion() + ", this node " + Preamble.VERSION);
        }
        byte[] identityKey = p.getIdentityKey().toByteArray();
        if (identityKey.length != Ed25519.KEY_LENGTH) {
            throw new ProtocolException(ErrorCode.HANDSHAKE_FAILED, "identity key must be 32 bytes");
        }
        NodeId id = NodeId.ofPublicKey(identityKey);
        if (id.equals(self)) {
            throw new ProtocolException(ErrorCode.SELF_DIAL, "the peer is this node");
        }
        if (expectedPeer != null && !expectedPeer.equals(id)) {
            throw new ProtocolException(ErrorCode.IDENTITY_MISMATCH,
                    "dialed " + expectedPeer.shortForm() + " but " + id.shortForm() + " answered");
        }
        String weak = ProofOfWork.check(id, p.getPowNonce(), config.pow());
        if (weak != null) {
            throw new ProtocolException(ErrorCode.WEAK_POW, "peer " + id.shortForm() + ": " + weak);
        }
        byte[] signature = p.getStaticKeySignature().toByteArray();
        String cacheKey = VerifiedKeys.key(identityKey, remoteStatic, signature);
        if (!cache.contains(cacheKey)) {
            if (!Ed25519.verify(identityKey, LinkCredentials.signedBytes(remoteStatic), signature)) {
                throw new ProtocolException(ErrorCode.BAD_SIGNATURE,
                        "peer " + id.shortForm() + " did not sign its Noise static key");
            }
            cache.add(cacheKey);
        }
        if (p.getCapabilitiesCount() > MAX_LIST || p.getListenAddressesCount() > MAX_LIST) {
            throw new ProtocolException(ErrorCode.HANDSHAKE_FAILED, "more than " + MAX_LIST + " capabilities or addresses");
        }
        List<String> capabilities = new ArrayList<>();
        for (String c : p.getCapabilitiesList()) {
            if (c.isEmpty() || c.length() > MAX_TEXT) {
                throw new ProtocolException(ErrorCode.HANDSHAKE_FAILED, "capability name empty or over " + MAX_TEXT + " chars");
            }
            capabilities.add(c);
        }
        List<PeerAddress> addresses = new ArrayList<>();
        for (String a : p.getListenAddressesList()) {
            try {
                addresses.add(PeerAddress.parse(a));
            } catch (IllegalArgumentException e) {
                // An unusable advertised address is the peer's loss, not a reason to refuse it.
            }
        }
        return new PeerInfo(id, identityKey, p.getVersion(), capabilities, addresses);
    }
}
