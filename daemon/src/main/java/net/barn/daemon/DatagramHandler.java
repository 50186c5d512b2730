package net.barn.daemon;

import java.nio.ByteBuffer;

/** Receives datagrams for a bound port, on the link's event-loop thread. */
@FunctionalInterface
public interface DatagramHandler {
    void onDatagram(PeerLink from, int destinationPort, int sourcePort, ByteBuffer payload);
}
