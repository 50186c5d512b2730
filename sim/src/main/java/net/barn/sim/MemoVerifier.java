package net.barn.sim;

import java.util.HashMap;
import java.util.Map;
import net.barn.core.crypto.Ed25519;
import net.barn.core.dht.SignatureVerifier;

/**
 * Ed25519 verification shared by every simulated node, remembering results: ten thousand
 * nodes checking one record's signature pay for one check. The answers are exactly
 * Ed25519's; only the work is shared.
 */
final class MemoVerifier implements SignatureVerifier {
    private record Input(String key, String message, String signature) {}

    private final Map<Input, Boolean> memo = new HashMap<>();

    @Override
    public boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        java.util.HexFormat hex = java.util.HexFormat.of();
        return memo.computeIfAbsent(new Input(hex.formatHex(publicKey), hex.formatHex(message), hex.formatHex(signature)),
                i -> Ed25519.verify(publicKey, message, signature));
    }
}
