package net.barn.core.crypto;

/** An Ed25519 key that signs: a node's identity, as overlays and private mazes need it. */
public interface Signer {
    /** The 32-byte public key (a node id is its SHA-256). */
    byte[] publicKey();

    /** The 64-byte Ed25519 signature of {@code message}. */
    byte[] sign(byte[] message);
}
