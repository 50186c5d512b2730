package net.barn.core.noise;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Noise handshake pattern (spec sections 7 and 18): pre-messages and the token sequence of
 * each message, with psk modifiers applied. Messages alternate, initiator first.
 */
public record HandshakePattern(
        String name, List<Token> initiatorPreMessage, List<Token> responderPreMessage,
        List<List<Token>> messages, boolean oneWay, boolean usesPsk) {

    /** The tokens a handshake message may contain. */
    public enum Token { E, S, EE, ES, SE, SS, PSK }

    private static final Pattern MODIFIER = Pattern.compile("psk(\\d)");

    // name -> "pre-initiator | pre-responder | msg1 | msg2 ..."; tokens comma-separated.
    private static final Map<String, String> BASE = Map.ofEntries(
            Map.entry("N", " | s | e,es"),
            Map.entry("K", "s | s | e,es,ss"),
            Map.entry("X", " | s | e,es,s,ss"),
            Map.entry("NN", " | | e | e,ee"),
            Map.entry("NK", " | s | e,es | e,ee"),
            Map.entry("NX", " | | e | e,ee,s,es"),
            Map.entry("KN", "s | | e | e,ee,se"),
            Map.entry("KK", "s | s | e,es,ss | e,ee,se"),
            Map.entry("KX", "s | | e | e,ee,se,s,es"),
            Map.entry("XN", " | | e | e,ee | s,se"),
            Map.entry("XK", " | s | e,es | e,ee | s,se"),
            Map.entry("XX", " | | e | e,ee,s,es | s,se"),
            Map.entry("IN", " | | e,s | e,ee,se"),
            Map.entry("IK", " | s | e,es,s,ss | e,ee,se"),
            Map.entry("IX", " | | e,s | e,ee,se,s,es"),
            Map.entry("NK1", " | s | e | e,ee,es"),
            Map.entry("NX1", " | | e | e,ee,s | es"),
            Map.entry("X1N", " | | e | e,ee | s | se"),
            Map.entry("X1K", " | s | e,es | e,ee | s | se"),
            Map.entry("XK1", " | s | e | e,ee,es | s,se"),
            Map.entry("X1K1", " | s | e | e,ee,es | s | se"),
            Map.entry("X1X", " | | e | e,ee,s,es | s | se"),
            Map.entry("XX1", " | | e | e,ee,s | es,s,se"),
            Map.entry("X1X1", " | | e | e,ee,s | es,s | se"),
            Map.entry("K1N", "s | | e | e,ee | se"),
            Map.entry("K1K", "s | s | e,es | e,ee | se"),
            Map.entry("KK1", "s | s | e | e,ee,se,es"),
            Map.entry("K1K1", "s | s | e | e,ee,es | se"),
            Map.entry("K1X", "s | | e | e,ee,s,es | se"),
            Map.entry("KX1", "s | | e | e,ee,se,s | es"),
            Map.entry("K1X1", "s | | e | e,ee,s | se,es"),
            Map.entry("I1N", " | | e,s | e,ee | se"),
            Map.entry("I1K", " | s | e,es,s | e,ee | se"),
            Map.entry("IK1", " | s | e,s | e,ee,se,es"),
            Map.entry("I1K1", " | s | e,s | e,ee,es | se"),
            Map.entry("I1X", " | | e,s | e,ee,s,es | se"),
            Map.entry("IX1", " | | e,s | e,ee,se,s | es"),
            Map.entry("I1X1", " | | e,s | e,ee,s | se,es"));

    /** Parses a pattern with modifiers, e.g. "XX", "XXpsk3", "NNpsk0+psk2". */
    public static HandshakePattern parse(String patternWithModifiers) {
        int split = 0;
        while (split < patternWithModifiers.length()
                && (Character.isUpperCase(patternWithModifiers.charAt(split))
                        || Character.isDigit(patternWithModifiers.charAt(split)))) {
            split++;
        }
        String base = patternWithModifiers.substring(0, split);
        String spec = BASE.get(base);
        if (spec == null) {
            throw new IllegalArgumentException("unknown Noise pattern " + patternWithModifiers);
        }
        String[] parts = spec.split("\\|", -1);
        List<Token> preInitiator = tokens(parts[0]);
        List<Token> preResponder = tokens(parts[1]);
        List<List<Token>> messages = new ArrayList<>();
        for (int i = 2; i < parts.length; i++) {
            messages.add(new ArrayList<>(tokens(parts[i])));
        }
        boolean psk = false;
        String modifiers = patternWithModifiers.substring(split);
        if (!modifiers.isEmpty()) {
            for (String modifier : modifiers.split("\\+")) {
                Matcher m = MODIFIER.matcher(modifier);
                if (!m.matches()) {
                    throw new IllegalArgumentException("unsupported Noise modifier " + modifier);
                }
                int n = Integer.parseInt(m.group(1));
                if (n > messages.size()) {
                    throw new IllegalArgumentException(modifier + " beyond the pattern's messages");
                }
                if (n == 0) {
                    messages.get(0).add(0, Token.PSK);
                } else {
                    messages.get(n - 1).add(Token.PSK);
                }
                psk = true;
            }
        }
        List<List<Token>> frozen = messages.stream().map(List::copyOf).toList();
        return new HandshakePattern(patternWithModifiers, preInitiator, preResponder, frozen, base.length() == 1, psk);
    }

    private static List<Token> tokens(String part) {
        String trimmed = part.trim();
        if (trimmed.isEmpty()) {
            return List.of();
        }
        List<Token> out = new ArrayList<>();
        for (String t : trimmed.split(",")) {
            out.add(Token.valueOf(t.trim().toUpperCase(java.util.Locale.ROOT)));
        }
        return List.copyOf(out);
    }
}
