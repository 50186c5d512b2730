package net.barn.sdk;

import java.io.IOException;

/**
 * The node refused a request or ended a stream. {@link #code()} is a docs/PROTOCOL.md error
 * code (below 100) or a local API one (docs/LOCAL-API.md), 0 when the node is unreachable.
 */
public class BarnException extends IOException {
    public static final int NOT_ALLOWED = 101;
    public static final int NO_ROUTE = 102;
    public static final int LIMIT = 103;
    public static final int IN_USE = 104;
    public static final int CONNECTION_LOST = 19;
    public static final int PORT_UNREACHABLE = 11;
    public static final int CANCELLED = 15;

    private final int code;

    public BarnException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
