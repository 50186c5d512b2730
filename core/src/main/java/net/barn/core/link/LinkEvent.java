package net.barn.core.link;

import net.barn.core.ErrorCode;

/** Link lifecycle, polled with {@link Link#pollEvent()}; stream traffic comes from the mux. */
public sealed interface LinkEvent {
    /** The handshake succeeded: the peer proved this identity and the mux is ready. */
    record Established(PeerInfo peer) implements LinkEvent {}

    /** The link is over; the driver closes the transport once the last transmit is written. */
    record Closed(ErrorCode code, String reason, boolean byPeer) implements LinkEvent {}
}
