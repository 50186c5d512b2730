package net.barn.core.overlay;

/**
 * Parameters of a namespace overlay. The walk lengths, sample sizes and limits shape the
 * protocol and should match across a namespace; the timers are local policy.
 *
 * @param activeViewSize HyParView active view: the neighbours messages travel over (log(n) + c)
 * @param passiveViewSize HyParView passive view: known members kept as replacements
 * @param activeRandomWalkLength ARWL: hops a ForwardJoin walks before it adds the new member
 * @param passiveRandomWalkLength PRWL: at this remaining TTL a ForwardJoin adds the new member to the passive view
 * @param shufflePeriodNanos how often a member starts a shuffle (jittered by up to a quarter)
 * @param shuffleActive ka: active neighbours a shuffle sample carries
 * @param shufflePassive kp: passive peers a shuffle sample carries
 * @param lazyPushDelayNanos IHave announcements to a peer are batched for this long
 * @param ihaveTimeoutNanos a message announced but not received this long is grafted from the announcer
 * @param graftRetryNanos after a Graft, wait this long before grafting from the next announcer
 * @param optimizationHops a lazy peer announcing a message at least this many hops shorter than the
 *     eager copy took becomes the eager link in its place (Plumtree's tree optimisation; 0: never)
 * @param maxPayloadBytes largest broadcast payload sent or accepted
 * @param dedupCacheSize message ids remembered at most, to drop duplicates
 * @param dedupAgeNanos message ids are forgotten after this long (a duplicate older than that is delivered again)
 * @param payloadCacheSize delivered messages kept at most, to answer Grafts
 * @param payloadKeepNanos delivered messages are kept this long to answer Grafts
 * @param heartbeatIntervalNanos a neighbour sent nothing for this long gets a Heartbeat
 * @param failureTimeoutNanos a neighbour heard nothing from for this long has failed
 * @param requestTimeoutNanos a Join or Neighbor request unanswered this long has failed
 * @param maxOutbound messages queued for the driver at most (the oldest are dropped past it)
 */
public record OverlayConfig(int activeViewSize, int passiveViewSize, int activeRandomWalkLength, int passiveRandomWalkLength,
        long shufflePeriodNanos, int shuffleActive, int shufflePassive, long lazyPushDelayNanos, long ihaveTimeoutNanos,
        long graftRetryNanos, int optimizationHops, int maxPayloadBytes, int dedupCacheSize, long dedupAgeNanos, int payloadCacheSize,
        long payloadKeepNanos, long heartbeatIntervalNanos, long failureTimeoutNanos, long requestTimeoutNanos,
        int maxOutbound) {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;

    public static final OverlayConfig DEFAULT = new OverlayConfig(5, 30, 6, 3, 10 * SECOND, 3, 4, 500 * MS, SECOND,
            500 * MS, 3, 8192, 8192, 10 * 60 * SECOND, 512, 60 * SECOND, 5 * SECOND, 15 * SECOND, 3 * SECOND, 4096);

    public OverlayConfig {
        require(activeViewSize >= 1 && activeViewSize <= 32, "1 <= activeViewSize <= 32");
        require(passiveViewSize >= 1 && passiveViewSize <= 1024, "1 <= passiveViewSize <= 1024");
        require(activeRandomWalkLength >= 1 && activeRandomWalkLength <= OverlayCodec.MAX_TTL,
                "1 <= ARWL <= " + OverlayCodec.MAX_TTL);
        require(passiveRandomWalkLength >= 0 && passiveRandomWalkLength <= activeRandomWalkLength, "0 <= PRWL <= ARWL");
        require(shuffleActive >= 0 && shufflePassive >= 0 && shuffleActive + shufflePassive + 1 <= OverlayCodec.MAX_SAMPLE,
                "ka, kp >= 0 and ka + kp + 1 <= " + OverlayCodec.MAX_SAMPLE);
        require(maxPayloadBytes >= 1 && maxPayloadBytes <= OverlayCodec.MAX_PAYLOAD, "1 <= maxPayloadBytes <= "
                + OverlayCodec.MAX_PAYLOAD);
        require(dedupCacheSize >= 16 && payloadCacheSize >= 1 && payloadCacheSize <= dedupCacheSize,
                "dedupCacheSize >= 16, 1 <= payloadCacheSize <= dedupCacheSize");
        require(shufflePeriodNanos > 0 && lazyPushDelayNanos >= 0 && ihaveTimeoutNanos > 0 && graftRetryNanos > 0
                && dedupAgeNanos > 0 && payloadKeepNanos > 0 && payloadKeepNanos <= dedupAgeNanos && requestTimeoutNanos > 0,
                "timers must be positive, payloadKeep <= dedupAge");
        require(heartbeatIntervalNanos > 0 && failureTimeoutNanos >= 2 * heartbeatIntervalNanos,
                "failureTimeout must be at least twice the heartbeat interval");
        require(maxOutbound >= 64, "maxOutbound >= 64");
        require(optimizationHops >= 0 && optimizationHops <= OverlayCodec.MAX_HOPS, "0 <= optimizationHops <= "
                + OverlayCodec.MAX_HOPS);
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("bad overlay config: need " + what);
        }
    }

    public OverlayConfig withViews(int active, int passive) {
        return new OverlayConfig(active, passive, activeRandomWalkLength, passiveRandomWalkLength, shufflePeriodNanos,
                shuffleActive, shufflePassive, lazyPushDelayNanos, ihaveTimeoutNanos, graftRetryNanos, optimizationHops, maxPayloadBytes,
                dedupCacheSize, dedupAgeNanos, payloadCacheSize, payloadKeepNanos, heartbeatIntervalNanos,
                failureTimeoutNanos, requestTimeoutNanos, maxOutbound);
    }

    public OverlayConfig withOptimizationHops(int hops) {
        return new OverlayConfig(activeViewSize, passiveViewSize, activeRandomWalkLength, passiveRandomWalkLength,
                shufflePeriodNanos, shuffleActive, shufflePassive, lazyPushDelayNanos, ihaveTimeoutNanos, graftRetryNanos,
                hops, maxPayloadBytes, dedupCacheSize, dedupAgeNanos, payloadCacheSize, payloadKeepNanos,
                heartbeatIntervalNanos, failureTimeoutNanos, requestTimeoutNanos, maxOutbound);
    }

    public OverlayConfig withDedup(int cacheSize, long ageNanos, int payloads, long payloadKeep) {
        return new OverlayConfig(activeViewSize, passiveViewSize, activeRandomWalkLength, passiveRandomWalkLength,
                shufflePeriodNanos, shuffleActive, shufflePassive, lazyPushDelayNanos, ihaveTimeoutNanos, graftRetryNanos,
                optimizationHops, maxPayloadBytes, cacheSize, ageNanos, payloads, payloadKeep, heartbeatIntervalNanos, failureTimeoutNanos,
                requestTimeoutNanos, maxOutbound);
    }

    public OverlayConfig withFailureDetection(long heartbeatInterval, long failureTimeout) {
        return new OverlayConfig(activeViewSize, passiveViewSize, activeRandomWalkLength, passiveRandomWalkLength,
                shufflePeriodNanos, shuffleActive, shufflePassive, lazyPushDelayNanos, ihaveTimeoutNanos, graftRetryNanos,
                optimizationHops, maxPayloadBytes, dedupCacheSize, dedupAgeNanos, payloadCacheSize, payloadKeepNanos, heartbeatInterval,
                failureTimeout, requestTimeoutNanos, maxOutbound);
    }
}
