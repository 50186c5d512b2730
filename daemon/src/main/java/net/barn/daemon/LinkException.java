package net.barn.daemon;

import java.io.IOException;
import net.barn.core.ErrorCode;

/** A link failed or ended, with the protocol's error code. */
public final class LinkException extends IOException {
    private final ErrorCode code;

    public LinkException(ErrorCode code, String reason) {
        super(code + ": " + reason);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
