package dev.tether.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget for bytes held by the read buffers of all its connections beyond each one's small
 * initial buffer: what partly received frames may cost together. A reader reserves before it grows its
 * buffer and releases when it shrinks it or its connection ends, so input alone can never exhaust the heap.
 */
final class InboundBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    InboundBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("inbound memory budget must be positive, was " + limit);
        }
        this.limit = limit;
    }

    /** Takes {@code bytes} from the budget if all of them fit; false, and nothing taken, if not. */
    boolean tryReserve(long bytes) {
        while (true) {
            long current = used.get();
            if (bytes > limit - current) {
                return false;
            }
            if (used.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes taken by {@link #tryReserve}. */
    void release(long bytes) {
        long after = used.addAndGet(-bytes);
        assert after >= 0 : "released more than was reserved: " + after;
    }

    long limit() {
        return limit;
    }

    /** Bytes reserved now, over all connections. */
    long inUse() {
        return used.get();
    }
}
