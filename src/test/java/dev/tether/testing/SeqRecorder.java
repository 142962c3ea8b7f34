package dev.tether.testing;

import dev.tether.MessageHandler;
import dev.tether.Peer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.concurrent.locks.ReentrantLock;

/** A message handler that checks a stream of numbered frames as they arrive: duplicates, reordering, gaps. */
public final class SeqRecorder implements MessageHandler {
    private final ReentrantLock lock = new ReentrantLock();
    private final BitSet seen = new BitSet();
    private long last = -1;
    private long first = -1;
    private long distinct;
    private long duplicates;
    private long reordered;
    private long other;

    @Override
    public void onMessage(Peer peer, ByteBuffer payload, long sentAtEpochNanos) {
        if (payload.remaining() < 8) {
            lock.lock();
            try {
                other++;
            } finally {
                lock.unlock();
            }
            return;
        }
        long seq = payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position());
        lock.lock();
        try {
            if (seq < 0 || seq > Integer.MAX_VALUE) {
                other++;
                return;
            }
            if (first < 0) {
                first = seq;
            }
            if (seen.get((int) seq)) {
                duplicates++;
            } else {
                seen.set((int) seq);
                distinct++;
            }
            if (seq < last) {
                reordered++;
            }
            last = Math.max(last, seq);
        } finally {
            lock.unlock();
        }
    }

    public long distinct() {
        lock.lock();
        try {
            return distinct;
        } finally {
            lock.unlock();
        }
    }

    public long duplicates() {
        lock.lock();
        try {
            return duplicates;
        } finally {
            lock.unlock();
        }
    }

    public long reordered() {
        lock.lock();
        try {
            return reordered;
        } finally {
            lock.unlock();
        }
    }

    public long last() {
        lock.lock();
        try {
            return last;
        } finally {
            lock.unlock();
        }
    }

    public long first() {
        lock.lock();
        try {
            return first;
        } finally {
            lock.unlock();
        }
    }

    public boolean has(long seq) {
        lock.lock();
        try {
            return seen.get((int) seq);
        } finally {
            lock.unlock();
        }
    }

    /** Numbers in [0, count) never seen. */
    public long missing(long count) {
        lock.lock();
        try {
            return count - seen.get(0, (int) count).cardinality();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "distinct=" + distinct + " duplicates=" + duplicates + " reordered=" + reordered + " first=" + first
                    + " last=" + last + " other=" + other;
        } finally {
            lock.unlock();
        }
    }
}
