package net.barn.daemon.api.policy;

/**
 * A token bucket: {@code rate} tokens per second, holding at most one second's worth.
 * Spending may go into debt; {@link #waitNanos} says how long until the debt is paid, which
 * is how long the session stops reading. Time is passed in, so tests drive it.
 */
public final class RateLimiter {
    private final double rate;
    private double tokens;
    private long lastNanos;

    public RateLimiter(double ratePerSecond, long nowNanos) {
        this.rate = ratePerSecond;
        this.tokens = ratePerSecond;
        this.lastNanos = nowNanos;
    }

    /** Spends {@code amount} tokens; returns nanoseconds to wait before taking more (0 if none). */
    public long spend(long nowNanos, double amount) {
        refill(nowNanos);
        tokens -= amount;
        return waitNanos();
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(rate, tokens + rate * elapsed / 1e9);
            lastNanos = nowNanos;
        }
    }

    private long waitNanos() {
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / rate * 1e9);
    }
}
