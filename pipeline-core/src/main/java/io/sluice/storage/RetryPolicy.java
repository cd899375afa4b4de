package io.sluice.storage;

import java.time.Duration;

/**
 * How often and how long a remote store retries a transient failure: at most {@code maxAttempts} tries,
 * waiting {@code firstDelay} after the first failure and twice as long after each further one, and
 * giving up once the next wait would end later than {@code maxTotal} after the first try.
 */
public record RetryPolicy(int maxAttempts, Duration firstDelay, Duration maxTotal) {

    /** Five tries, 100 ms doubling, at most about ten seconds in all. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(10));

    public RetryPolicy {
        if (maxAttempts < 1 || firstDelay.isNegative() || maxTotal.isNegative()) {
            throw new IllegalArgumentException("invalid retry policy: " + maxAttempts + " tries, "
                    + firstDelay + " first delay, " + maxTotal + " in all");
        }
    }

    /** The wait after failed try number {@code attempt} (1-based). */
    public Duration delayAfter(int attempt) {
        return firstDelay.multipliedBy(1L << Math.min(attempt - 1, 30));
    }
}
