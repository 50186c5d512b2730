package net.barn.core.trust.beacon;

/**
 * The outcome of checking untrusted input: the value, or why it was refused. Decoding and
 * verification in this package answer with one instead of throwing, so that no malformed
 * key, signature or share from a peer can escape as an unchecked exception.
 */
public sealed interface Checked<T> {
    record Valid<T>(T value) implements Checked<T> {}

    record Invalid<T>(String reason) implements Checked<T> {}

    static <T> Checked<T> valid(T value) {
        return new Valid<>(value);
    }

    static <T> Checked<T> invalid(String reason) {
        return new Invalid<>(reason);
    }

    default boolean isValid() {
        return this instanceof Valid<T>;
    }

    /** The value; for callers that already know the input is trusted (tests, own keys). */
    default T orElseThrow() {
        return switch (this) {
            case Valid<T> v -> v.value();
            case Invalid<T> i -> throw new IllegalArgumentException(i.reason());
        };
    }

    /** Null when valid, else why not. */
    default String reason() {
        return switch (this) {
            case Valid<T> v -> null;
            case Invalid<T> i -> i.reason();
        };
    }
}
