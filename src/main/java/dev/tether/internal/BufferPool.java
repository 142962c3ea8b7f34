package dev.tether.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Write buffers shared by the writers of one node. A writer holds one only while it writes a batch, so
 * ten thousand idle peers hold none, and the few writers busy at once reuse a few buffers.
 */
final class BufferPool {
    private final int bufferSize;
    private final boolean direct;
    private final int maxRetained;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>(); // guarded by lock

    BufferPool(int bufferSize, boolean direct, int maxRetained) {
        this.bufferSize = bufferSize;
        this.direct = direct;
        this.maxRetained = maxRetained;
    }

    ByteBuffer acquire() {
        lock.lock();
        try {
            ByteBuffer b = free.pollFirst();
            if (b != null) {
                return b;
            }
        } finally {
            lock.unlock();
        }
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(bufferSize) : ByteBuffer.allocate(bufferSize);
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    void release(ByteBuffer b) {
        b.clear();
        lock.lock();
        try {
            if (free.size() < maxRetained) {
                free.addFirst(b); // most recently used first: likely still in cache
            }
        } finally {
            lock.unlock();
        }
    }
}
