package net.barn.core.namespace;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;

/**
 * What a name may look like, and its one normal form (docs/PROTOCOL.md section 11.1).
 * A top-level name is one label; a sub-name is a path of labels under it ("irc/#barn").
 * Normalising: Unicode NFC, then full case folding (upper then lower case, so "ß" folds to
 * "ss"), then NFC again. A label is 1..32 code points and at most 63 bytes of UTF-8, made of
 * letters, combining marks, decimal digits, '-' and '_', not starting or ending with '-' or
 * '_'; a sub-name label may start with '#' (channels) or '@' (nicks). Two names are the same
 * name exactly when their normal forms are equal.
 */
public final class NameSyntax {
    public static final int MAX_LABEL_CODE_POINTS = 32;
    public static final int MAX_LABEL_BYTES = 63;
    public static final int MAX_DEPTH = 4;

    private NameSyntax() {}

    /** The normal form of a top-level name, or an {@link IllegalArgumentException} saying why it has none. */
    public static String normaliseTopLevel(String raw) {
        String n = fold(raw);
        String why = labelProblem(n, false);
        if (why != null) {
            throw new IllegalArgumentException("name \"" + raw + "\": " + why);
        }
        return n;
    }

    /** The normal form of a full name, top level and optional sub-labels separated by '/'. */
    public static String normalise(String raw) {
        String n = fold(raw);
        String[] labels = n.split("/", -1);
        if (labels.length > MAX_DEPTH) {
            throw new IllegalArgumentException("name \"" + raw + "\": more than " + MAX_DEPTH + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            String why = labelProblem(labels[i], i > 0);
            if (why != null) {
                throw new IllegalArgumentException("name \"" + raw + "\": label " + (i + 1) + ": " + why);
            }
        }
        return n;
    }

    /** True if {@code name} is a top-level name already in normal form. */
    public static boolean isNormalTopLevel(String name) {
        return fold(name).equals(name) && labelProblem(name, false) == null;
    }

    /** True if {@code label} is a sub-name label already in normal form. */
    public static boolean isNormalSubLabel(String label) {
        return fold(label).equals(label) && labelProblem(label, true) == null;
    }

    private static String fold(String raw) {
        if (raw == null) {
            throw new IllegalArgumentException("no name");
        }
        String nfc = Normalizer.normalize(raw, Normalizer.Form.NFC);
        return Normalizer.normalize(nfc.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT), Normalizer.Form.NFC);
    }

    private static String labelProblem(String label, boolean sub) {
        int points = label.codePointCount(0, label.length());
        if (points == 0) {
            return "empty";
        }
        if (points > MAX_LABEL_CODE_POINTS || label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
            return "longer than " + MAX_LABEL_CODE_POINTS + " characters or " + MAX_LABEL_BYTES + " bytes";
        }
        int first = label.codePointAt(0);
        int start = 0;
        if (sub && (first == '#' || first == '@')) {
            start = 1;
            if (points == 1) {
                return "a sigil needs a name after it";
            }
        }
        String body = label.substring(start);
        int b0 = body.codePointAt(0);
        int bLast = body.codePointBefore(body.length());
        if (b0 == '-' || b0 == '_' || bLast == '-' || bLast == '_') {
            return "may not start or end with '-' or '_'";
        }
        if (Character.getType(b0) == Character.NON_SPACING_MARK || Character.getType(b0) == Character.COMBINING_SPACING_MARK) {
            return "may not start with a combining mark";
        }
        for (int i = 0; i < body.length(); ) {
            int cp = body.codePointAt(i);
            if (!allowed(cp)) {
                return String.format(Locale.ROOT, "character U+%04X is not allowed (letters, digits, '-', '_')", cp);
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    private static boolean allowed(int cp) {
        if (cp == '-' || cp == '_') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.LOWERCASE_LETTER, Character.OTHER_LETTER, Character.MODIFIER_LETTER, Character.TITLECASE_LETTER,
                    Character.UPPERCASE_LETTER, Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER -> true;
            default -> false;
        };
    }
}
