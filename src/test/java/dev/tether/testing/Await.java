package dev.tether.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until a deadline; never a bare sleep. */
public final class Await {
    private Await() {
    }

    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> whatWeWaitedFor) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + whatWeWaitedFor.get());
            }
            LockSupport.parkNanos(2_000_000L);
        }
    }

    public static void until(BooleanSupplier condition, Supplier<String> whatWeWaitedFor) {
        until(Duration.ofSeconds(20), condition, whatWeWaitedFor);
    }

    public static void until(BooleanSupplier condition, String whatWeWaitedFor) {
        until(Duration.ofSeconds(20), condition, () -> whatWeWaitedFor);
    }
}
