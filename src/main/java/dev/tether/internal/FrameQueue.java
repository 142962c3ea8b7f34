package dev.tether.internal;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A deque of records that keeps its frame and byte counts with it, so nothing that moves records can forget
 * one. Guarded by the lock of the {@link Backlog} that owns it.
 */
final class FrameQueue {
    private ArrayDeque<Frame> deque = new ArrayDeque<>();
    private long frames;
    private long bytes;

    long frames() {
        return frames;
    }

    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return deque.isEmpty();
    }

    Frame peekFirst() {
        return deque.peekFirst();
    }

    void addLast(Frame f) {
        deque.addLast(f);
        frames += f.count();
        bytes += f.size();
    }

    void addFirst(Frame f) {
        deque.addFirst(f);
        frames += f.count();
        bytes += f.size();
    }

    Frame pollFirst() {
        Frame f = deque.pollFirst();
        if (f != null) {
            frames -= f.count();
            bytes -= f.size();
        }
        return f;
    }

    /** Everything at once: {@code spare}, an empty deque, takes the place of the one handed out. */
    ArrayDeque<Frame> takeAll(ArrayDeque<Frame> spare) {
        ArrayDeque<Frame> all = deque;
        deque = spare;
        frames = 0;
        bytes = 0;
        return all;
    }

    /** Records from the head into {@code into}, at least one, then as long as they stay within both limits. */
    ArrayDeque<Frame> take(ArrayDeque<Frame> into, long maxFrames, long maxBytes) {
        long n = 0;
        long b = 0;
        Frame f;
        while ((f = deque.peekFirst()) != null && (n == 0 || (n + f.count() <= maxFrames && b + f.size() <= maxBytes))) {
            into.addLast(pollFirst());
            n += f.count();
            b += f.size();
        }
        return into;
    }

    /** Every record of this queue goes in front of {@code other}'s, in order; this one is empty after. */
    void moveInFrontOf(FrameQueue other) {
        for (Iterator<Frame> it = deque.descendingIterator(); it.hasNext(); ) {
            other.addFirst(it.next());
        }
        clear();
    }

    void clear() {
        deque.clear();
        frames = 0;
        bytes = 0;
    }

    /** Drops every record, letting {@code pins} know those in slabs left. */
    void clear(SlabPins pins) {
        if (!pins.isEmpty()) {
            for (Frame f : deque) {
                pins.unpin(f);
            }
        }
        clear();
    }

    /** Replaces every record in a slab with a heap copy, so this queue keeps no slab memory. */
    void unshare(SlabPins pins) {
        if (pins.isEmpty()) {
            return;
        }
        ArrayDeque<Frame> copies = new ArrayDeque<>(deque.size());
        for (Frame f : deque) {
            Frame h = f.onHeap();
            copies.addLast(h);
            pins.unpin(f); // after the copy: its bytes are safe until then
        }
        deque = copies;
    }

    /** The records, head first, as an array (a copy). */
    Frame[] toArray() {
        return deque.toArray(new Frame[0]);
    }
}
