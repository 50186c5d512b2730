package net.barn.core.dht;

import net.barn.core.crypto.Ed25519;

/**
 * Checks Ed25519 signatures. Injected so a simulation of many nodes can share one memo of
 * results; outcomes never differ from {@link #ED25519}.
 */
@FunctionalInterface
public interface SignatureVerifier {
    SignatureVerifier ED25519 = Ed25519::verify;

    boolean verify(byte[] publicKey, byte[] message, byte[] signature);
}
