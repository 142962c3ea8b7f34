package dev.tether.testing;

import dev.tether.MessageHandler;
import dev.tether.Peer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A message handler that checks a stream of numbered frames as they arrive: duplicates, reordering, gaps;
 * and, for payloads made by {@link #numbered}, that every byte after the number is what was sent.
 */
public final class SeqRecorder implements MessageHandler {
    private final ReentrantLock lock = new ReentrantLock();
    private final BitSet seen = new BitSet();
    private long last = -1;
    private long first = -1;
    private long distinct;
    private long duplicates;
    private long reordered;
    private long other;
    private long corrupt;

    /** Fills {@code payload} (from 0 to its limit) with {@code seq} and then bytes that only {@code seq} gives. */
    public static ByteBuffer numbered(ByteBuffer payload, long seq) {
        payload.order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq);
        for (int j = 8; j < payload.limit(); j++) {
            payload.put(j, pattern(seq, j));
        }
        return payload;
    }

    /** Whether {@code payload}, made by {@link #numbered}, arrived with every byte as sent. */
    public static boolean intact(byte[] payload) {
        long seq = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        for (int j = 8; j < payload.length; j++) {
            if (payload[j] != pattern(seq, j)) {
                return false;
            }
        }
        return true;
    }

    private static byte pattern(long seq, int j) {
        return (byte) (seq * 31 + j);
    }

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
        boolean intact = true;
        for (int j = 8; j < payload.remaining() && intact; j++) {
            intact = payload.get(payload.position() + j) == pattern(seq, j);
        }
        lock.lock();
        try {
            if (seq < 0 || seq > Integer.MAX_VALUE) {
                other++;
                return;
            }
            if (!intact) {
                corrupt++;
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

    /** Payloads longer than their number whose other bytes are not those {@link #numbered} gave it. */
    public long corrupt() {
        lock.lock();
        try {
            return corrupt;
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
            return "distinct=" + distinct + " duplicates=" + duplicates + " reordered=" + reordered + " corrupt=" + corrupt + " first=" + first
                    + " last=" + last + " other=" + other;
        } finally {
            lock.unlock();
        }
    }
}
