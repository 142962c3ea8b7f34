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
                dumpThreads();
                throw new AssertionError("timed out after " + timeout + " waiting for: " + whatWeWaitedFor.get());
            }
            LockSupport.parkNanos(2_000_000L);
        }
    }

    /** Writes every thread's stack (virtual ones too) to target/, to see what a timed-out wait was stuck on. */
    public static void dumpThreads() {
        try {
            java.nio.file.Path file = java.nio.file.Path.of("target", "threads-" + System.nanoTime() + ".txt");
            java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toAbsolutePath().toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            System.err.println("thread dump: " + file.toAbsolutePath());
            Process ss = new ProcessBuilder("ss", "-tnoi").redirectErrorStream(true).start();
            java.nio.file.Files.write(java.nio.file.Path.of("target", "ss-" + System.nanoTime() + ".txt"), ss.getInputStream().readAllBytes());
        } catch (Exception e) {
            System.err.println("no thread dump: " + e);
        }
    }

    public static void until(BooleanSupplier condition, Supplier<String> whatWeWaitedFor) {
        until(Duration.ofSeconds(20), condition, whatWeWaitedFor);
    }

    public static void until(BooleanSupplier condition, String whatWeWaitedFor) {
        until(Duration.ofSeconds(20), condition, () -> whatWeWaitedFor);
    }
}
