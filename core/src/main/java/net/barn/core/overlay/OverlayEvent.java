package net.barn.core.overlay;

import net.barn.core.identity.NodeId;

/** What a namespace overlay tells its driver; polled with {@link NamespaceOverlay#pollEvent()}. */
public sealed interface OverlayEvent {
    /**
     * A broadcast reached this member for the first time, {@code hops} links from its origin.
     * {@code payload} is shared with the overlay's cache: read it, do not modify it. {@code kind}
     * is the gossip's kind ({@link OverlayMessage.Gossip#APPLICATION}, ...).
     */
    record Delivered(MessageId id, NodeId origin, byte[] payload, int hops, int kind) implements OverlayEvent {
        /** An application's broadcast. */
        public Delivered(MessageId id, NodeId origin, byte[] payload, int hops) {
            this(id, origin, payload, hops, OverlayMessage.Gossip.APPLICATION);
        }
    }

    /** A peer entered the active view (keep a link to it open). */
    record NeighborUp(NodeId peer) implements OverlayEvent {}

    /** A peer left the active view (its link may be closed unless another layer uses it). */
    record NeighborDown(NodeId peer) implements OverlayEvent {}

    /** The active view became non-empty for the first time since {@code join}. */
    record Joined(int activeNeighbors) implements OverlayEvent {}

    /**
     * Both views are empty and no join is under way: the member cannot reach the overlay.
     * Look up fresh contacts (membership records in the root network) and call {@code join}.
     */
    record Isolated() implements OverlayEvent {}
}
