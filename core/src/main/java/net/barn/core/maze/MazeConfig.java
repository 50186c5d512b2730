package net.barn.core.maze;

/**
 * Parameters of a maze. The member limit and payload limit shape the protocol and should
 * match across a maze; the timers and buffer sizes are local policy.
 *
 * @param maxMembers members a view holds at most, this node included (a Join beyond it is refused)
 * @param heartbeatIntervalNanos every member gets a Heartbeat this often
 * @param failureTimeoutNanos a member not heard from for this long is unheard (its link suspect);
 *     unheard by every member whose heartbeat is this fresh, it has failed
 * @param maxPayloadBytes largest Data payload sent or accepted
 * @param retransmitMessages messages kept per original sender to answer Nacks, at most
 * @param retransmitBytes payload bytes kept per original sender to answer Nacks, at most
 * @param outOfOrderMessages messages held per sender waiting for an earlier one, at most
 * @param outOfOrderBytes payload bytes held per sender waiting for an earlier one, at most
 * @param nackDelayNanos a gap is this old before it is asked for (reordered copies arrive meanwhile)
 * @param nackTimeoutNanos a Nack unanswered this long is sent again, to the next candidate
 * @param maxNackRounds Nacks without progress before the missing messages are skipped as lost
 * @param joinTimeoutNanos Joins unanswered this long: the join has failed
 * @param maxOutbound messages queued for the driver at most (the oldest are dropped past it)
 */
public record MazeConfig(int maxMembers, long heartbeatIntervalNanos, long failureTimeoutNanos, int maxPayloadBytes,
        int retransmitMessages, long retransmitBytes, int outOfOrderMessages, long outOfOrderBytes, long nackDelayNanos,
        long nackTimeoutNanos, int maxNackRounds, long joinTimeoutNanos, int maxOutbound) {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;

    public static final MazeConfig DEFAULT = new MazeConfig(64, SECOND, 5 * SECOND, 16_384, 1024, 1L << 20, 512, 1L << 20,
            100 * MS, 600 * MS, 25, 10 * SECOND, 16_384);

    public MazeConfig {
        require(maxMembers >= 2 && maxMembers <= MazeCodec.MAX_MEMBERS, "2 <= maxMembers <= " + MazeCodec.MAX_MEMBERS);
        require(heartbeatIntervalNanos > 0 && failureTimeoutNanos >= 2 * heartbeatIntervalNanos,
                "failureTimeout at least twice the heartbeat interval");
        require(maxPayloadBytes >= 1 && maxPayloadBytes <= MazeCodec.MAX_PAYLOAD, "1 <= maxPayloadBytes <= " + MazeCodec.MAX_PAYLOAD);
        require(retransmitMessages >= 1 && retransmitBytes >= maxPayloadBytes, "retransmit buffer of >= 1 message and >= one payload");
        require(outOfOrderMessages >= 1 && outOfOrderBytes >= maxPayloadBytes, "out-of-order buffer of >= 1 message and >= one payload");
        require(nackDelayNanos >= 0 && nackTimeoutNanos > 0 && maxNackRounds >= 1 && joinTimeoutNanos > 0, "positive timers");
        require(maxOutbound >= 4 * maxMembers, "maxOutbound >= 4 * maxMembers");
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("bad maze config: need " + what);
        }
    }

    public MazeConfig withMaxMembers(int value) {
        return new MazeConfig(value, heartbeatIntervalNanos, failureTimeoutNanos, maxPayloadBytes, retransmitMessages,
                retransmitBytes, outOfOrderMessages, outOfOrderBytes, nackDelayNanos, nackTimeoutNanos, maxNackRounds,
                joinTimeoutNanos, Math.max(maxOutbound, 4 * value));
    }

    public MazeConfig withRetransmitBuffer(int messages, long bytes) {
        return new MazeConfig(maxMembers, heartbeatIntervalNanos, failureTimeoutNanos, maxPayloadBytes, messages, bytes,
                outOfOrderMessages, outOfOrderBytes, nackDelayNanos, nackTimeoutNanos, maxNackRounds, joinTimeoutNanos, maxOutbound);
    }

    public MazeConfig withMaxPayload(int bytes) {
        return new MazeConfig(maxMembers, heartbeatIntervalNanos, failureTimeoutNanos, bytes, retransmitMessages, retransmitBytes,
                outOfOrderMessages, outOfOrderBytes, nackDelayNanos, nackTimeoutNanos, maxNackRounds, joinTimeoutNanos, maxOutbound);
    }
}
