package net.barn.sdk;

/** A datagram received on a bound port. */
public record Datagram(String peer, int port, int sourcePort, byte[] data) {}
