package net.barn.core.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import net.barn.core.crypto.X25519;

/**
 * Noise HandshakeState (spec section 5.3) for {@code Noise_<pattern>_25519_<cipher>_SHA256}.
 * A pure state machine: ephemeral keys come from the injected entropy source.
 */
public final class HandshakeState {
    /** Every Noise message, handshake or transport, is at most this long (spec section 3). */
    public static final int MAX_MESSAGE_LENGTH = 65535;
    private static final int DH_LENGTH = X25519.KEY_LENGTH;

    private final HandshakePattern pattern;
    private final boolean initiator;
    private final SymmetricState symmetric;
    private final SecureRandom entropy;
    private final Deque<byte[]> psks;
    private X25519.KeyPair localStatic;
    private X25519.KeyPair localEphemeral;
    private byte[] remoteStatic;
    private byte[] remoteEphemeral;
    private int messageIndex;
    private CipherState[] split;

    private HandshakeState(Builder b) {
        this.pattern = HandshakePattern.parse(b.pattern);
        this.initiator = b.initiator;
        this.entropy = b.entropy;
        this.localStatic = b.localStatic;
        this.localEphemeral = b.localEphemeral;
        this.remoteStatic = b.remoteStatic;
        this.remoteEphemeral = b.remoteEphemeral;
        this.psks = new ArrayDeque<>(b.psks);
        String name = "Noise_" + b.pattern + "_25519_" + b.cipher.noiseName() + "_SHA256";
        this.symmetric = new SymmetricState(name, b.cipher);
        symmetric.mixHash(b.prologue);
        mixPreMessage(pattern.initiatorPreMessage(), initiator);
        mixPreMessage(pattern.responderPreMessage(), !initiator);
    }

    private void mixPreMessage(List<HandshakePattern.Token> tokens, boolean ours) {
        for (HandshakePattern.Token token : tokens) {
            byte[] key = switch (token) {
                case S -> ours ? require(localStatic, "local static key").publicKey()
                        : require(remoteStatic, "remote static key");
                case E -> ours ? require(localEphemeral, "local ephemeral key").publicKey()
                        : require(remoteEphemeral, "remote ephemeral key");
                default -> throw new IllegalStateException("pre-messages carry only keys");
            };
            symmetric.mixHash(key);
        }
    }

    private static <T> T require(T value, String what) {
        if (value == null) {
            throw new IllegalStateException("the pattern needs a " + what + " before the handshake");
        }
        return value;
    }

    public static Builder builder(String pattern, boolean initiator) {
        return new Builder(pattern, initiator);
    }

    /** True when the next handshake message is ours to write. */
    public boolean isMyTurn() {
        return !isComplete() && (messageIndex % 2 == 0) == initiator;
    }

    public boolean isComplete() {
        return split != null;
    }

    public boolean isInitiator() {
        return initiator;
    }

    public byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }

    public byte[] remoteStaticKey() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    /** Writes the next handshake message around {@code payload}. */
    public byte[] writeMessage(byte[] payload) throws NoiseException {
        if (!isMyTurn()) {
            throw new IllegalStateException("not our turn to write a handshake message");
        }
        ByteSink out = new ByteSink();
        for (HandshakePattern.Token token : pattern.messages().get(messageIndex)) {
            switch (token) {
                case E -> {
                    if (localEphemeral == null) {
                        localEphemeral = X25519.generate(require(entropy, "entropy source"));
                    }
                    byte[] pub = localEphemeral.publicKey();
                    out.write(pub);
                    symmetric.mixHash(pub);
                    if (pattern.usesPsk()) {
                        symmetric.mixKey(pub);
                    }
                }
                case S -> out.write(symmetric.encryptAndHash(require(localStatic, "local static key").publicKey()));
                case PSK -> symmetric.mixKeyAndHash(nextPsk());
                default -> mixDh(token);
            }
        }
        out.write(symmetric.encryptAndHash(payload));
        if (out.size() > MAX_MESSAGE_LENGTH) {
            throw new NoiseException("handshake message over the Noise limit of 65535 bytes");
        }
        finishMessage();
        return out.toByteArray();
    }

    /** Reads the peer's next handshake message and returns its payload. */
    public byte[] readMessage(byte[] message) throws NoiseException {
        if (isComplete() || isMyTurn()) {
            throw new NoiseException("unexpected handshake message");
        }
        if (message.length > MAX_MESSAGE_LENGTH) {
            throw new NoiseException("handshake message over the Noise limit of 65535 bytes");
        }
        int offset = 0;
        for (HandshakePattern.Token token : pattern.messages().get(messageIndex)) {
            switch (token) {
                case E -> {
                    if (message.length - offset < DH_LENGTH) {
                        throw new NoiseException("handshake message too short for an ephemeral key");
                    }
                    remoteEphemeral = Arrays.copyOfRange(message, offset, offset + DH_LENGTH);
                    offset += DH_LENGTH;
                    symmetric.mixHash(remoteEphemeral);
                    if (pattern.usesPsk()) {
                        symmetric.mixKey(remoteEphemeral);
                    }
                }
                case S -> {
                    int len = DH_LENGTH + (symmetric.hasKey() ? NoiseCipher.TAG_LENGTH : 0);
                    if (message.length - offset < len) {
                        throw new NoiseException("handshake message too short for a static key");
                    }
                    remoteStatic = symmetric.decryptAndHash(Arrays.copyOfRange(message, offset, offset + len));
                    offset += len;
                }
                case PSK -> symmetric.mixKeyAndHash(nextPsk());
                default -> mixDh(token);
            }
        }
        byte[] payload = symmetric.decryptAndHash(Arrays.copyOfRange(message, offset, message.length));
        finishMessage();
        return payload;
    }

    private void mixDh(HandshakePattern.Token token) throws NoiseException {
        // "es" is DH(initiator e, responder s); each side picks its own half of the pair.
        byte[] secret = switch (token) {
            case EE -> dh(localEphemeral, remoteEphemeral);
            case ES -> initiator ? dh(localEphemeral, remoteStatic) : dh(localStatic, remoteEphemeral);
            case SE -> initiator ? dh(localStatic, remoteEphemeral) : dh(localEphemeral, remoteStatic);
            case SS -> dh(localStatic, remoteStatic);
            default -> throw new IllegalStateException("not a DH token: " + token);
        };
        symmetric.mixKey(secret);
    }

    private static byte[] dh(X25519.KeyPair local, byte[] remote) throws NoiseException {
        if (local == null || remote == null) {
            throw new NoiseException("a key the pattern needs is missing");
        }
        try {
            return X25519.agree(local.privateKey(), remote);
        } catch (GeneralSecurityException e) {
            throw new NoiseException("X25519 rejected the peer's key", e);
        }
    }

    private byte[] nextPsk() throws NoiseException {
        byte[] psk = psks.poll();
        if (psk == null || psk.length != 32) {
            throw new NoiseException("the pattern needs a 32-byte pre-shared key");
        }
        return psk;
    }

    private void finishMessage() {
        messageIndex++;
        if (messageIndex == pattern.messages().size()) {
            split = symmetric.split();
        }
    }

    /** The transport cipher for messages we send (valid once the handshake is complete). */
    public CipherState sender() {
        requireComplete();
        return initiator ? split[0] : split[1];
    }

    /** The transport cipher for messages we receive (valid once the handshake is complete). */
    public CipherState receiver() {
        requireComplete();
        return initiator ? split[1] : split[0];
    }

    /** One-way patterns carry transport data from initiator to responder only. */
    public boolean isOneWay() {
        return pattern.oneWay();
    }

    private void requireComplete() {
        if (split == null) {
            throw new IllegalStateException("the handshake is not complete");
        }
    }

    /** Configures a handshake; keys are raw 32-byte X25519 values. */
    public static final class Builder {
        private final String pattern;
        private final boolean initiator;
        private NoiseCipher cipher = NoiseCipher.CHACHAPOLY;
        private byte[] prologue = new byte[0];
        private SecureRandom entropy;
        private X25519.KeyPair localStatic;
        private X25519.KeyPair localEphemeral;
        private byte[] remoteStatic;
        private byte[] remoteEphemeral;
        private List<byte[]> psks = List.of();

        private Builder(String pattern, boolean initiator) {
            this.pattern = pattern;
            this.initiator = initiator;
        }

        public Builder cipher(NoiseCipher value) {
            cipher = value;
            return this;
        }

        public Builder prologue(byte[] value) {
            prologue = value.clone();
            return this;
        }

        public Builder prologue(String value) {
            return prologue(value.getBytes(StandardCharsets.US_ASCII));
        }

        public Builder entropy(SecureRandom value) {
            entropy = value;
            return this;
        }

        public Builder localStatic(X25519.KeyPair value) {
            localStatic = value;
            return this;
        }

        /** Fixes the ephemeral key; only test vectors do this. */
        public Builder localEphemeral(X25519.KeyPair value) {
            localEphemeral = value;
            return this;
        }

        public Builder remoteStatic(byte[] value) {
            remoteStatic = value == null ? null : value.clone();
            return this;
        }

        public Builder remoteEphemeral(byte[] value) {
            remoteEphemeral = value == null ? null : value.clone();
            return this;
        }

        public Builder psks(List<byte[]> value) {
            psks = List.copyOf(value);
            return this;
        }

        public HandshakeState build() {
            return new HandshakeState(this);
        }
    }

    private static final class ByteSink extends java.io.ByteArrayOutputStream {
        @Override
        public void write(byte[] bytes) {
            write(bytes, 0, bytes.length);
        }
    }
}
