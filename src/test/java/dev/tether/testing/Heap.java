package dev.tether.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/** Heap in use after a full collection: to show that something costs what it should, not what a peer claims. */
public final class Heap {
    private Heap() {
    }

    /** Bytes of heap in use after {@code System.gc()} (a full, stop-the-world collection with the default G1 settings). */
    public static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) { // the smallest of three: a collection can leave garbage that a late finalizer made
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    public static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
