package net.barn.core;

/** A peer broke the protocol: carries the error code to close the link (or stream) with. */
public final class ProtocolException extends Exception {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String reason) {
        super(reason);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
