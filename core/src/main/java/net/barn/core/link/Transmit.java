package net.barn.core.link;

/** Bytes a link asks its driver to put on the wire, in order. */
public sealed interface Transmit {
    /** Sent as they are: only the initiator's preamble. */
    record Raw(byte[] bytes) implements Transmit {}

    /** One frame body; the wire codec prefixes its 2-byte big-endian length. */
    record Message(byte[] body) implements Transmit {}
}
