package dev.tether.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and tracks the virtual threads of one node, so that closing the node can wait for every one of
 * them. Also counts, over the whole JVM, the tether threads alive and the exceptions that escaped one
 * (there should be none: every loop catches its own), which the tests check after each test.
 */
final class TetherThreads {
    private static final Logger log = LoggerFactory.getLogger(TetherThreads.class);
    private static final AtomicInteger LIVE = new AtomicInteger();
    private static final AtomicLong UNCAUGHT = new AtomicLong();

    private final String prefix;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.locks.ReentrantLock starting = new java.util.concurrent.locks.ReentrantLock(); // add-and-start is one step for joinAll

    TetherThreads(String prefix) {
        this.prefix = prefix;
    }

    /** Starts a virtual thread named {@code <node>-<name>}. */
    Thread start(String name, Runnable task) {
        Thread thread = Thread.ofVirtual()
                .name(prefix + "-" + name)
                .uncaughtExceptionHandler(TetherThreads::uncaught)
                .unstarted(() -> {
                    try {
                        task.run();
                    } finally {
                        threads.remove(Thread.currentThread());
                        LIVE.decrementAndGet();
                    }
                });
        starting.lock();
        try {
            LIVE.incrementAndGet();
            threads.add(thread);
            try {
                thread.start();
            } catch (RuntimeException | Error e) { // never started (no carrier could be made, say): not counted, or close would wait for nothing
                threads.remove(thread);
                LIVE.decrementAndGet();
                throw e;
            }
        } finally {
            starting.unlock();
        }
        return thread;
    }

    /** Waits until every thread started here has ended, or the deadline passes. Returns the ones still alive. */
    Set<Thread> joinAll(long deadlineNanos) {
        boolean waited = true;
        while (waited) { // threads may start others as they end (a supervisor's next connection): repeat until none is left
            waited = false;
            java.util.List<Thread> snapshot;
            starting.lock();
            try { // every thread in the snapshot has been started
                snapshot = java.util.List.copyOf(threads);
            } finally {
                starting.unlock();
            }
            for (Thread t : snapshot) {
                if (t == Thread.currentThread() || !t.isAlive()) {
                    continue;
                }
                long left = deadlineNanos - System.nanoTime();
                try {
                    if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
                        waited = false;
                        break;
                    }
                    waited = true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    waited = false;
                    break;
                }
            }
        }
        Set<Thread> alive = ConcurrentHashMap.newKeySet();
        for (Thread t : threads) {
            if (t != Thread.currentThread() && t.isAlive()) {
                alive.add(t);
            }
        }
        return alive;
    }

    /** Threads of this node still running. */
    int live() {
        return threads.size();
    }

    /** Those threads, each with its state, for a test's failure message. */
    String describeLive() {
        StringBuilder b = new StringBuilder();
        for (Thread t : threads) {
            b.append(b.isEmpty() ? "" : ", ").append(t.getName()).append(' ').append(t.getState());
        }
        return b.toString();
    }

    /** Tether threads alive in this JVM, over all nodes. */
    static int liveInJvm() {
        return LIVE.get();
    }

    /** Exceptions that escaped a tether thread in this JVM (a bug if ever non-zero). */
    static long uncaughtInJvm() {
        return UNCAUGHT.get();
    }


    private static void uncaught(Thread t, Throwable e) {
        UNCAUGHT.incrementAndGet();
        log.error("uncaught exception in {}: a tether bug, please report it", t.getName(), e);
    }
}
