package net.barn.core.noise;

/** A handshake or transport message failed authentication or was malformed. */
public final class NoiseException extends Exception {
    public NoiseException(String message) {
        super(message);
    }

    public NoiseException(String message, Throwable cause) {
        super(message, cause);
    }
}
