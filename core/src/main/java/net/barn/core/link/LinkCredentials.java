package net.barn.core.link;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.Identity;

/**
 * What a node presents on every link: its identity, a Noise static key, and the identity's
 * signature binding the two. Made once per node run; the signature is reused by every link.
 */
public final class LinkCredentials {
    /** Domain-separation prefix of the static-key signature. */
    static final byte[] SIGNATURE_DOMAIN = "barn-link-v1 noise static key".getBytes(StandardCharsets.US_ASCII);

    private final Identity identity;
    private final X25519.KeyPair noiseStatic;
    private final byte[] staticKeySignature;

    public LinkCredentials(Identity identity, X25519.KeyPair noiseStatic) {
        this(identity, noiseStatic, identity.sign(signedBytes(noiseStatic.publicKey())));
    }

    private LinkCredentials(Identity identity, X25519.KeyPair noiseStatic, byte[] staticKeySignature) {
        this.identity = identity;
        this.noiseStatic = noiseStatic;
        this.staticKeySignature = staticKeySignature;
    }

    /** Credentials with a given signature: how tests build a peer that lies about its key. */
    static LinkCredentials withSignature(Identity identity, X25519.KeyPair noiseStatic, byte[] signature) {
        return new LinkCredentials(identity, noiseStatic, signature.clone());
    }

    /** Fresh Noise static key for this run of the node. */
    public static LinkCredentials create(Identity identity, SecureRandom entropy) {
        return new LinkCredentials(identity, X25519.generate(entropy));
    }

    static byte[] signedBytes(byte[] noiseStaticPublic) {
        byte[] out = new byte[SIGNATURE_DOMAIN.length + noiseStaticPublic.length];
        System.arraycopy(SIGNATURE_DOMAIN, 0, out, 0, SIGNATURE_DOMAIN.length);
        System.arraycopy(noiseStaticPublic, 0, out, SIGNATURE_DOMAIN.length, noiseStaticPublic.length);
        return out;
    }

    public Identity identity() {
        return identity;
    }

    X25519.KeyPair noiseStatic() {
        return noiseStatic;
    }

    byte[] staticKeySignature() {
        return staticKeySignature.clone();
    }
}
