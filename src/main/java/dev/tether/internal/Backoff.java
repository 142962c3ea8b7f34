package dev.tether.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: {@code initial * 2^(attempt-1)} capped at {@code max}, less a random share of up to
 * {@code jitter} of it. A pure function of its inputs and the random source, so tests use plain numbers.
 */
final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final double jitter;
    private final DoubleSupplier random;

    /** @param random uniform values in [0, 1) */
    Backoff(Duration initial, Duration max, double jitter, DoubleSupplier random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.jitter = jitter;
        this.random = random;
    }

    /** The delay before attempt {@code attempt + 1}, after {@code attempt} (1 or more) failures or drops in a row. */
    Duration delay(int attempt) {
        int doublings = Math.max(0, Math.min(attempt - 1, 62));
        long base = initialNanos;
        for (int i = 0; i < doublings && base < maxNanos; i++) {
            base = base > maxNanos / 2 ? maxNanos : base * 2;
        }
        base = Math.min(base, maxNanos);
        long off = (long) (base * jitter * random.getAsDouble());
        return Duration.ofNanos(Math.max(0, base - off));
    }
}
