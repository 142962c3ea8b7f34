package dev.tether.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static Backoff backoff(double jitter, double random) {
        return new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), jitter, () -> random);
    }

    @Test
    void withoutJitterTheDelayDoublesFromTheInitialUpToTheCap() {
        Backoff b = backoff(0, 0.9);
        assertEquals(Duration.ofMillis(100), b.delay(1));
        assertEquals(Duration.ofMillis(200), b.delay(2));
        assertEquals(Duration.ofMillis(400), b.delay(3));
        assertEquals(Duration.ofMillis(1600), b.delay(5));
        assertEquals(Duration.ofSeconds(2), b.delay(6));
        assertEquals(Duration.ofSeconds(2), b.delay(1000));
    }

    @Test
    void jitterTakesARandomShareOffTheDelay() {
        assertEquals(Duration.ofMillis(100), backoff(0.5, 0.0).delay(1));
        assertEquals(Duration.ofMillis(75), backoff(0.5, 0.5).delay(1));
        assertEquals(Duration.ofMillis(50), backoff(0.5, 1.0).delay(1));
        assertEquals(Duration.ofMillis(0), backoff(1.0, 1.0).delay(1));
        assertEquals(Duration.ofMillis(1000), backoff(1.0, 0.5).delay(10));
    }
}
