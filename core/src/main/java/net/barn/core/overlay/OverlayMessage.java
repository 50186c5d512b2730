package net.barn.core.overlay;

import java.util.List;
import net.barn.core.identity.NodeId;

/**
 * A namespace overlay's messages (barn/overlay.proto): HyParView membership, Plumtree
 * broadcast and the idle heartbeat. Each names its namespace; the sender is the link's peer.
 */
public sealed interface OverlayMessage {
    String namespace();

    /** Neighbour request priority: HIGH when the requester has no active neighbour. */
    enum Priority { LOW, HIGH }

    record Join(String namespace) implements OverlayMessage {}

    record ForwardJoin(String namespace, NodeId newMember, int ttl) implements OverlayMessage {}

    record Neighbor(String namespace, Priority priority) implements OverlayMessage {}

    record NeighborReply(String namespace, boolean accepted) implements OverlayMessage {}

    /** {@code leaving}: the sender leaves the namespace, so do not keep it as a passive peer. */
    record Disconnect(String namespace, boolean leaving) implements OverlayMessage {}

    record Shuffle(String namespace, NodeId origin, int ttl, List<NodeId> sample) implements OverlayMessage {
        public Shuffle {
            sample = List.copyOf(sample);
        }
    }

    record ShuffleReply(String namespace, List<NodeId> sample) implements OverlayMessage {
        public ShuffleReply {
            sample = List.copyOf(sample);
        }
    }

    /**
     * A broadcast, pushed eagerly. {@code payload} is not copied: treat it as immutable.
     * {@code kind} says whose it is: {@link #APPLICATION} or {@link #STEWARD_VOTE}.
     */
    record Gossip(String namespace, MessageId id, NodeId origin, int hops, byte[] payload, int kind, byte[] originKey,
            byte[] signature) implements OverlayMessage {
        /** An application's broadcast. */
        public static final int APPLICATION = 0;
        /** A steward's signed vote (docs/PROTOCOL.md, namespace stewards). */
        public static final int STEWARD_VOTE = 1;
        private static final byte[] DOMAIN = "barn-gossip-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        /** Unsigned (members that require signatures refuse it). */
        public Gossip(String namespace, MessageId id, NodeId origin, int hops, byte[] payload, int kind) {
            this(namespace, id, origin, hops, payload, kind, new byte[0], new byte[0]);
        }

        /** An application's broadcast, unsigned. */
        public Gossip(String namespace, MessageId id, NodeId origin, int hops, byte[] payload) {
            this(namespace, id, origin, hops, payload, APPLICATION);
        }

        /** The same message as relayed with {@code hops} (hops are not signed). */
        public Gossip withHops(int hops) {
            return new Gossip(namespace, id, origin, hops, payload, kind, originKey, signature);
        }

        public boolean isSigned() {
            return originKey.length > 0;
        }

        /** What the origin signs: "barn-gossip-v1" || len(ns) || ns || id || origin || kind (4, BE) || payload. */
        public static byte[] signedBytes(String namespace, MessageId id, NodeId origin, int kind, byte[] payload) {
            byte[] ns = namespace.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return java.nio.ByteBuffer.allocate(DOMAIN.length + 1 + ns.length + 32 + 32 + 4 + payload.length).put(DOMAIN)
                    .put((byte) ns.length).put(ns).put(id.toBytes()).put(origin.toBytes()).putInt(kind).put(payload).array();
        }

        /** Null if signed by its origin's own key, else why not. */
        public String signatureProblem(net.barn.core.dht.SignatureVerifier verifier) {
            if (!isSigned()) {
                return "an unsigned broadcast";
            }
            if (!NodeId.ofPublicKey(originKey).equals(origin)) {
                return "a broadcast signed by a key that is not its origin's";
            }
            if (!verifier.verify(originKey, signedBytes(namespace, id, origin, kind, payload), signature)) {
                return "a broadcast whose signature does not verify";
            }
            return null;
        }
    }

    /** A message the sender has, and the hops it would have arrived with had it been pushed. */
    record Announcement(MessageId id, int hops) {}

    record IHave(String namespace, List<Announcement> announcements) implements OverlayMessage {
        public IHave {
            announcements = List.copyOf(announcements);
        }

        public List<MessageId> ids() {
            return announcements.stream().map(Announcement::id).toList();
        }
    }

    record Graft(String namespace, List<MessageId> ids) implements OverlayMessage {
        public Graft {
            ids = List.copyOf(ids);
        }
    }

    record Prune(String namespace) implements OverlayMessage {}

    record Heartbeat(String namespace) implements OverlayMessage {}
}
