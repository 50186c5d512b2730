package net.barn.core;

/**
 * Why a link or stream ended. The numeric value travels in GOAWAY and RESET frames and is
 * part of the open protocol (docs/PROTOCOL.md, "Error codes"); never renumber.
 */
public enum ErrorCode {
    NO_ERROR(0, "closed normally"),
    PROTOCOL_ERROR(1, "protocol violation"),
    FRAME_TOO_LARGE(2, "frame too large"),
    HANDSHAKE_FAILED(3, "handshake failed"),
    BAD_SIGNATURE(4, "identity signature does not verify"),
    WEAK_POW(5, "proof of work below the network's difficulty"),
    UNSUPPORTED_VERSION(6, "unsupported protocol version"),
    IDENTITY_MISMATCH(7, "node id differs from the one dialed"),
    HANDSHAKE_TIMEOUT(8, "handshake timed out"),
    FLOW_CONTROL_ERROR(9, "flow-control window exceeded"),
    STREAM_LIMIT(10, "too many streams"),
    PORT_UNREACHABLE(11, "nothing bound at that port or service"),
    DATAGRAM_TOO_LARGE(12, "datagram over the size limit"),
    IDLE_TIMEOUT(13, "link idle too long"),
    SHUTDOWN(14, "node shutting down"),
    CANCELLED(15, "cancelled by the application"),
    INTERNAL_ERROR(16, "internal error"),
    SELF_DIAL(17, "dialed itself"),
    FLOOD(18, "peer exceeded a rate or queue limit"),
    CONNECTION_LOST(19, "connection lost"),
    REFUSED(20, "refused by policy");

    private final int value;
    private final String description;

    ErrorCode(int value, String description) {
        this.value = value;
        this.description = description;
    }

    public int value() {
        return value;
    }

    public String description() {
        return description;
    }

    /** Maps a wire value to its code; values this version does not know read as PROTOCOL_ERROR. */
    public static ErrorCode of(int value) {
        for (ErrorCode c : values()) {
            if (c.value == value) {
                return c;
            }
        }
        return PROTOCOL_ERROR;
    }
}
