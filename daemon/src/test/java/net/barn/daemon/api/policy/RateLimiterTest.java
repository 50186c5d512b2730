package net.barn.daemon.api.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void burstOfOneSecondIsFreeThenTheDebtIsPaidAtTheRate() {
        RateLimiter r = new RateLimiter(1000, 0);
        assertThat(r.spend(0, 1000)).isZero();
        assertThat(r.spend(0, 500)).isEqualTo(SECOND / 2);
        assertThat(r.spend(SECOND / 2, 0)).isZero();
    }

    @Test
    void idleTimeRefillsButNeverBeyondOneSecond() {
        RateLimiter r = new RateLimiter(100, 0);
        r.spend(0, 100);
        assertThat(r.spend(10 * SECOND, 150)).isEqualTo(SECOND / 2);
    }
}
