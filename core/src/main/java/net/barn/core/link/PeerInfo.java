package net.barn.core.link;

import java.util.List;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/** What a completed handshake proved and told about the peer. */
public record PeerInfo(NodeId id, byte[] identityKey, int version, List<String> capabilities,
        List<PeerAddress> listenAddresses) {
    public PeerInfo {
        identityKey = identityKey.clone();
        capabilities = List.copyOf(capabilities);
        listenAddresses = List.copyOf(listenAddresses);
    }

    @Override
    public byte[] identityKey() {
        return identityKey.clone();
    }
}
