package dev.tether.cli;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * Prints one progress line a second on its own thread, until {@link #close()}. The line comes from a
 * function of the nanoseconds since start; it should only read counters.
 */
final class Progress implements AutoCloseable {
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PrintStream err;
    private final LongFunction<String> line;
    private final long startNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stop = lock.newCondition();
    private boolean stopped; // guarded by lock
    private final Thread thread;

    private Progress(PrintStream err, LongFunction<String> line) {
        this.err = err;
        this.line = line;
        this.startNanos = System.nanoTime();
        // a platform thread: virtual ones share the carriers with a busy node and would tick late
        this.thread = Thread.ofPlatform().daemon().name("tether-cli-progress").start(this::run);
    }

    /** Starts printing {@code line.apply(nanosSinceStart)} on {@code err} every second. */
    static Progress start(PrintStream err, LongFunction<String> line) {
        return new Progress(err, line);
    }

    private void run() {
        long next = startNanos + TICK_NANOS;
        while (true) {
            lock.lock();
            try {
                long left;
                while (!stopped && (left = next - System.nanoTime()) > 0) {
                    stop.awaitNanos(left);
                }
                if (stopped) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            err.println(line.apply(System.nanoTime() - startNanos));
            next += TICK_NANOS;
            long now = System.nanoTime();
            if (next < now) { // a stalled machine: skip the ticks we missed rather than print a burst
                next = now + TICK_NANOS;
            }
        }
    }

    /** Stops printing and waits for the thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            stopped = true;
            stop.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "[  3.0s]" */
    static String elapsed(long nanos) {
        return String.format(java.util.Locale.ROOT, "[%5.1fs]", nanos / 1e9);
    }
}
