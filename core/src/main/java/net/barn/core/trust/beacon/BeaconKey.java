package net.barn.core.trust.beacon;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.barn.core.crypto.Ed25519;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import org.bouncycastle.crypto.bls.BLS12_381ProofOfPossession;

/**
 * A beacon member's BLS public key bound to its node identity, with two proofs: the BLS proof
 * of possession (the key signs its own encoding under the distinct DST {@value #POP_DST_TEXT},
 * so nobody can register a key derived from others' keys, the rogue-key attack on
 * aggregation) and an Ed25519 signature by the node identity over
 * {@value #DOMAIN} || BLS public key (so the key cannot be claimed by another node).
 */
public final class BeaconKey {
    public static final String DOMAIN = "barn-beacon-key-v1";
    public static final String POP_DST_TEXT = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    static {
        if (!Arrays.equals(POP_DST_TEXT.getBytes(StandardCharsets.US_ASCII), BLS12_381ProofOfPossession.POP_DST)) {
            throw new IllegalStateException("BouncyCastle's proof-of-possession DST is not " + POP_DST_TEXT);
        }
    }

    private final byte[] nodeKey;
    private final BlsPublicKey blsKey;
    private final BlsSignature possession;
    private final byte[] identitySignature;

    private BeaconKey(byte[] nodeKey, BlsPublicKey blsKey, BlsSignature possession, byte[] identitySignature) {
        this.nodeKey = nodeKey;
        this.blsKey = blsKey;
        this.possession = possession;
        this.identitySignature = identitySignature;
    }

    /** Binds {@code key} to {@code identity}: both proofs made here. */
    public static BeaconKey create(Identity identity, BlsSecretKey key) {
        BlsPublicKey pk = key.publicKey();
        BlsSignature pop = BlsSignature.of(BLS12_381ProofOfPossession.popProve(key.scalar()));
        return new BeaconKey(identity.publicKey(), pk, pop, identity.sign(identityMessage(pk)));
    }

    /** Decodes and checks a binding from its parts: valid with the binding, or why not. */
    public static Checked<BeaconKey> verify(byte[] nodeKey, byte[] blsKey, byte[] possession, byte[] identitySignature) {
        if (nodeKey == null || nodeKey.length != Ed25519.KEY_LENGTH) {
            return Checked.invalid("a node key is " + Ed25519.KEY_LENGTH + " bytes");
        }
        if (!(BlsPublicKey.decode(blsKey) instanceof Checked.Valid<BlsPublicKey>(BlsPublicKey pk))) {
            return Checked.invalid("bad BLS key: " + BlsPublicKey.decode(blsKey).reason());
        }
        if (!(BlsSignature.decode(possession) instanceof Checked.Valid<BlsSignature>(BlsSignature pop))) {
            return Checked.invalid("bad proof of possession: " + BlsSignature.decode(possession).reason());
        }
        boolean popValid;
        try {
            popValid = BLS12_381ProofOfPossession.popVerify(pk.point(), pop.point());
        } catch (RuntimeException e) {
            popValid = false;
        }
        if (!popValid) {
            return Checked.invalid("the proof of possession does not verify under the BLS key");
        }
        if (!Ed25519.verify(nodeKey, identityMessage(pk), identitySignature)) {
            return Checked.invalid("the node identity did not sign this BLS key");
        }
        return Checked.valid(new BeaconKey(nodeKey.clone(), pk, pop, identitySignature.clone()));
    }

    /** What the node identity signs: the domain, then the 48-byte compressed BLS key. */
    static byte[] identityMessage(BlsPublicKey key) {
        byte[] domain = DOMAIN.getBytes(StandardCharsets.US_ASCII);
        byte[] pk = key.toBytes();
        byte[] out = Arrays.copyOf(domain, domain.length + pk.length);
        System.arraycopy(pk, 0, out, domain.length, pk.length);
        return out;
    }

    public NodeId nodeId() {
        return NodeId.ofPublicKey(nodeKey);
    }

    public byte[] nodeKey() {
        return nodeKey.clone();
    }

    public BlsPublicKey blsKey() {
        return blsKey;
    }

    public BlsSignature possession() {
        return possession;
    }

    public byte[] identitySignature() {
        return identitySignature.clone();
    }
}
