package net.barn.daemon.api;

/**
 * Error codes of the local API beyond the link protocol's (docs/LOCAL-API.md). Codes below
 * 100 are the link protocol's {@link net.barn.core.ErrorCode} values.
 */
public enum LocalError {
    BAD_REQUEST(100, "malformed or out-of-order request"),
    NOT_ALLOWED(101, "not allowed by policy"),
    NO_ROUTE(102, "no link to that node"),
    LIMIT(103, "a session limit was reached"),
    IN_USE(104, "port or service already bound"),
    NOT_FOUND(105, "no such stream or binding"),
    TIMEOUT(106, "timed out");

    private final int value;
    private final String description;

    LocalError(int value, String description) {
        this.value = value;
        this.description = description;
    }

    public int value() {
        return value;
    }

    public String description() {
        return description;
    }
}
