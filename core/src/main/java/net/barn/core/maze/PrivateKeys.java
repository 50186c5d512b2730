package net.barn.core.maze;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.NodeId;
import net.barn.wire.maze.PrivatePayload;

/**
 * The payloads of a private maze (barn/maze.proto, PrivatePayload) and their cryptography:
 * what is signed, sealed and derived, byte for byte as docs/PROTOCOL.md 13.10 gives it.
 * Decoding checks every length and count; anything else is a {@link BadPayload}.
 */
public final class PrivateKeys {
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    /** Keys one KeyShare carries at most; more recipients take several KeyShares. */
    public static final int MAX_KEYS = 128;
    /** Entries in each of a Hello's want lists, at most. */
    public static final int MAX_WANTS = 256;
    /** Bytes a Sealed adds around the application payload, at most (tag, signature, header, framing). */
    public static final int SEALED_OVERHEAD = 128;

    static final byte[] HELLO_LABEL = ascii("barn-maze-hello-v1");
    static final byte[] KEYS_LABEL = ascii("barn-maze-keys-v1");
    static final byte[] DATA_LABEL = ascii("barn-maze-data-v1");
    static final byte[] SHARE_LABEL = ascii("barn-maze-share-v1");
    static final byte[] RATCHET_LABEL = ascii("barn-maze-ratchet-v1");

    private PrivateKeys() {}

    /** A PrivatePayload. */
    public sealed interface Payload {}

    public record Hello(byte[] identityKey, byte[] boxKey, byte[] signature, List<NodeId> wantHello, List<KeyWant> wantKeys)
            implements Payload {
        public Hello {
            wantHello = List.copyOf(wantHello);
            wantKeys = List.copyOf(wantKeys);
        }
    }

    public record KeyWant(NodeId member, int generation) {}

    public record SealedKey(NodeId member, byte[] sealed) {}

    public record KeyShare(byte[] identityKey, int generation, int step, byte[] ephemeral, List<SealedKey> keys, byte[] signature)
            implements Payload {
        public KeyShare {
            keys = List.copyOf(keys);
        }
    }

    public record Sealed(int generation, int step, long counter, byte[] ciphertext, byte[] signature) implements Payload {}

    /** A payload that is not a valid PrivatePayload. */
    public static final class BadPayload extends Exception {
        BadPayload(String why) {
            super(why);
        }
    }

    // ---------------------------------------------------------------- encoding

    public static byte[] encode(Payload p) {
        PrivatePayload.Builder b = PrivatePayload.newBuilder();
        switch (p) {
            case Hello h -> b.setHello(net.barn.wire.maze.Hello.newBuilder().setIdentityKey(bs(h.identityKey()))
                    .setBoxKey(bs(h.boxKey())).setSignature(bs(h.signature()))
                    .addAllWantHello(h.wantHello().stream().map(id -> bs(id.toBytes())).toList())
                    .addAllWantKeys(h.wantKeys().stream().map(w -> net.barn.wire.maze.KeyWant.newBuilder()
                            .setMember(bs(w.member().toBytes())).setGeneration(w.generation()).build()).toList()));
            case KeyShare k -> b.setKeyShare(net.barn.wire.maze.KeyShare.newBuilder().setIdentityKey(bs(k.identityKey()))
                    .setGeneration(k.generation()).setStep(k.step()).setEphemeral(bs(k.ephemeral()))
                    .addAllKeys(k.keys().stream().map(s -> net.barn.wire.maze.SealedKey.newBuilder()
                            .setMember(bs(s.member().toBytes())).setSealed(bs(s.sealed())).build()).toList())
                    .setSignature(bs(k.signature())));
            case Sealed s -> b.setSealed(net.barn.wire.maze.Sealed.newBuilder().setGeneration(s.generation()).setStep(s.step())
                    .setCounter(s.counter()).setCiphertext(bs(s.ciphertext())).setSignature(bs(s.signature())));
        }
        return b.build().toByteArray();
    }

    public static Payload decode(byte[] bytes) throws BadPayload {
        PrivatePayload p;
        try {
            p = PrivatePayload.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new BadPayload("not a PrivatePayload");
        }
        return switch (p.getKindCase()) {
            case HELLO -> {
                net.barn.wire.maze.Hello h = p.getHello();
                if (h.getWantHelloCount() > MAX_WANTS || h.getWantKeysCount() > MAX_WANTS) {
                    throw new BadPayload("a Hello wants at most " + MAX_WANTS + " of each");
                }
                List<NodeId> wantHello = new ArrayList<>();
                for (ByteString id : h.getWantHelloList()) {
                    wantHello.add(id(id));
                }
                List<KeyWant> wantKeys = new ArrayList<>();
                for (net.barn.wire.maze.KeyWant w : h.getWantKeysList()) {
                    wantKeys.add(new KeyWant(id(w.getMember()), generation(w.getGeneration())));
                }
                yield new Hello(fixed(h.getIdentityKey(), KEY_LENGTH, "identity key"), fixed(h.getBoxKey(), KEY_LENGTH, "box key"),
                        fixed(h.getSignature(), Ed25519.SIGNATURE_LENGTH, "signature"), wantHello, wantKeys);
            }
            case KEY_SHARE -> {
                net.barn.wire.maze.KeyShare k = p.getKeyShare();
                if (k.getKeysCount() < 1 || k.getKeysCount() > MAX_KEYS) {
                    throw new BadPayload("a KeyShare carries 1.." + MAX_KEYS + " keys, got " + k.getKeysCount());
                }
                List<SealedKey> keys = new ArrayList<>();
                Set<NodeId> seen = new HashSet<>();
                for (net.barn.wire.maze.SealedKey s : k.getKeysList()) {
                    NodeId to = id(s.getMember());
                    if (!seen.add(to)) {
                        throw new BadPayload("a KeyShare names a member twice");
                    }
                    keys.add(new SealedKey(to, fixed(s.getSealed(), KEY_LENGTH + TAG_LENGTH, "sealed key")));
                }
                yield new KeyShare(fixed(k.getIdentityKey(), KEY_LENGTH, "identity key"), generation(k.getGeneration()),
                        step(k.getStep()), fixed(k.getEphemeral(), KEY_LENGTH, "ephemeral key"), keys,
                        fixed(k.getSignature(), Ed25519.SIGNATURE_LENGTH, "signature"));
            }
            case SEALED -> {
                net.barn.wire.maze.Sealed s = p.getSealed();
                if (s.getCiphertext().size() < TAG_LENGTH) {
                    throw new BadPayload("a ciphertext shorter than its tag");
                }
                if (s.getCounter() < 1 || s.getCounter() > MazeCodec.MAX_SEQ) {
                    throw new BadPayload("counter out of range");
                }
                yield new Sealed(generation(s.getGeneration()), step(s.getStep()), s.getCounter(), s.getCiphertext().toByteArray(),
                        fixed(s.getSignature(), Ed25519.SIGNATURE_LENGTH, "signature"));
            }
            case KIND_NOT_SET -> throw new BadPayload("an empty PrivatePayload");
        };
    }

    private static int generation(int g) throws BadPayload {
        if (g < 1) {
            throw new BadPayload("generation " + Integer.toUnsignedString(g) + ": from 1 to 2^31-1");
        }
        return g;
    }

    private static int step(int s) throws BadPayload {
        if (s < 0) {
            throw new BadPayload("step " + Integer.toUnsignedString(s) + ": below 2^31");
        }
        return s;
    }

    private static NodeId id(ByteString b) throws BadPayload {
        return NodeId.of(fixed(b, NodeId.LENGTH, "node id"));
    }

    private static byte[] fixed(ByteString b, int length, String what) throws BadPayload {
        if (b.size() != length) {
            throw new BadPayload("a " + what + " of " + b.size() + " bytes, want " + length);
        }
        return b.toByteArray();
    }

    private static ByteString bs(byte[] b) {
        return ByteString.copyFrom(b);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---------------------------------------------------------------- what is signed

    /** "barn-maze-hello-v1" || maze || box key (maze: its length as one byte, then its UTF-8, here and below). */
    public static byte[] helloSigned(String maze, byte[] boxKey) {
        return concat(HELLO_LABEL, utf8(maze), boxKey);
    }

    /** "barn-maze-keys-v1" || maze || generation || step || ephemeral || (member || sealed)*. */
    public static byte[] keysSigned(String maze, KeyShare k) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(KEYS_LABEL);
        out.writeBytes(utf8(maze));
        out.writeBytes(ByteBuffer.allocate(8).putInt(k.generation()).putInt(k.step()).array());
        out.writeBytes(k.ephemeral());
        for (SealedKey s : k.keys()) {
            out.writeBytes(s.member().toBytes());
            out.writeBytes(s.sealed());
        }
        return out.toByteArray();
    }

    /** "barn-maze-data-v1" || maze || sender || generation || step || counter || ciphertext. */
    public static byte[] dataSigned(String maze, NodeId sender, int generation, int step, long counter, byte[] ciphertext) {
        return concat(dataAad(maze, sender, generation, step, counter), ciphertext);
    }

    /** The associated data of a Sealed: "barn-maze-data-v1" || maze || sender || generation || step || counter. */
    public static byte[] dataAad(String maze, NodeId sender, int generation, int step, long counter) {
        return concat(DATA_LABEL, utf8(maze), sender.toBytes(), ByteBuffer.allocate(16).putInt(generation).putInt(step)
                .putLong(counter).array());
    }

    /** 4 zero bytes, then the counter as 8 bytes big-endian. */
    public static byte[] dataNonce(long counter) {
        return ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
    }

    // ---------------------------------------------------------------- keys

    /** The next step of a sending key: HMAC-SHA256(key, "barn-maze-ratchet-v1"). One way: earlier steps cannot be derived. */
    public static byte[] ratchet(byte[] key) {
        return hmac(key, RATCHET_LABEL);
    }

    /**
     * The key that seals a sending key to one member: HKDF-SHA256 (RFC 5869) with salt
     * "barn-maze-share-v1", input X25519(ephemeral, box key), info ephemeral public || box key,
     * 32 bytes.
     */
    static byte[] shareKey(byte[] dh, byte[] ephemeralPublic, byte[] boxKey) {
        byte[] prk = hmac(SHARE_LABEL, dh);
        return hmac(prk, concat(ephemeralPublic, boxKey, new byte[] {1}));
    }

    /** AAD of a sealed key: "barn-maze-share-v1" || maze || sender || recipient || generation || step. */
    static byte[] shareAad(String maze, NodeId sender, NodeId to, int generation, int step) {
        return concat(SHARE_LABEL, utf8(maze), sender.toBytes(), to.toBytes(), ByteBuffer.allocate(8).putInt(generation)
                .putInt(step).array());
    }

    public static byte[] sealShare(byte[] ephemeralPrivate, byte[] boxKey, String maze, NodeId sender, NodeId to, int generation,
            int step, byte[] sendingKey) {
        try {
            byte[] dh = X25519.agree(ephemeralPrivate, boxKey);
            byte[] eph = X25519.fromPrivate(ephemeralPrivate).publicKey();
            return seal(shareKey(dh, eph, boxKey), new byte[12], shareAad(maze, sender, to, generation, step), sendingKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 failed on a box key that passed its Hello's checks", e);
        }
    }

    public static byte[] openShare(byte[] boxPrivate, byte[] ephemeralPublic, String maze, NodeId sender, NodeId to, int generation,
            int step, byte[] sealed) throws GeneralSecurityException {
        byte[] dh = X25519.agree(boxPrivate, ephemeralPublic);
        byte[] boxPublic = X25519.fromPrivate(boxPrivate).publicKey();
        return open(shareKey(dh, ephemeralPublic, boxPublic), new byte[12], shareAad(maze, sender, to, generation, step), sealed);
    }

    // ---------------------------------------------------------------- primitives (JDK)

    public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
        try {
            Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            c.updateAAD(aad);
            return c.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 unavailable", e);
        }
    }

    public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        c.updateAAD(aad);
        return c.doFinal(ciphertext);
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    /** The maze's name as one length byte (it is at most 255 bytes of UTF-8) and its bytes. */
    private static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte) b.length}, b);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
