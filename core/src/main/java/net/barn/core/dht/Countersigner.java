package net.barn.core.dht;

/** This node's identity as far as countersigning claim commitments needs it. */
public interface Countersigner {
    byte[] publicKey();

    long powNonce();

    byte[] sign(byte[] message);
}
