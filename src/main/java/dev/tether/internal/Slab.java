package dev.tether.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A block of direct memory that records are encoded into once and that every peer's writer writes from
 * with gathering writes, so no writer copies the bytes. It is reused only once nothing refers to it:
 * {@code refs} counts the pool's hold while it is the block being filled, each call still encoding into it,
 * and each backlog holding records in it ({@link SlabPins}). Bytes reserved are never moved or rewritten
 * until then.
 */
final class Slab {
    private final ByteBuffer memory;
    private final Slabs pool;
    private final AtomicInteger refs = new AtomicInteger();
    private final AtomicInteger used = new AtomicInteger(); // bytes reserved since the last reuse
    private final ConcurrentHashMap<Frame, Frame> heapCopies = new ConcurrentHashMap<>(); // records copied out, shared

    Slab(int bytes, Slabs pool) {
        this.memory = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.pool = pool;
    }

    /** The memory: absolute reads and writes only, its position and limit are never moved. */
    ByteBuffer memory() {
        return memory;
    }

    /** Where {@code bytes} more bytes start, or -1 if they do not fit. Caller holds a reference. */
    int reserve(int bytes) {
        int at = used.getAndAdd(bytes);
        return at <= memory.capacity() - bytes ? at : -1;
    }

    /** A further reference, taken by a holder of one. */
    void retain() {
        refs.incrementAndGet();
    }

    /** A reference unless the slab is free (nothing refers to it): false then. */
    boolean tryRetain() {
        for (int r = refs.get(); r > 0; r = refs.get()) {
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Drops one reference; the last one returns the slab to its pool. */
    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            used.set(0);
            heapCopies.clear(); // the copies live on in the backlogs that took them
            pool.recycle(this);
            return;
        }
        if (r < 0) {
            throw new IllegalStateException("slab released more often than retained: a record's memory may have been reused");
        }
    }

    /** The heap copy of {@code f}, a record in this slab, made once. Caller holds a reference. */
    Frame heapCopy(Frame f) {
        return heapCopies.computeIfAbsent(f, Frame::copiedToHeap);
    }

    /** References now (for tests and statistics: it may change at once). */
    int references() {
        return refs.get();
    }

    /** Taken from the pool as the block to fill: the pool's hold. */
    void startFilling() {
        refs.set(1);
    }

    /** The payload length in the frame header at {@code at}. */
    int payloadLength(int at) {
        return memory.getInt(at);
    }

    /** A view of {@code [at, at + length)}, whose limit may be moved forward over the next bytes of the slab. */
    ByteBuffer view(int at, int length) {
        return memory.duplicate().limit(at + length).position(at);
    }
}
