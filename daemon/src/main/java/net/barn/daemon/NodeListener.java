package net.barn.daemon;

import net.barn.core.ErrorCode;

/** Observes links coming and going. Called on event-loop threads; must not block. */
public interface NodeListener {
    default void linkUp(PeerLink link) {}

    default void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {}
}
