package dev.tether.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one listen address received, over every connection made to it: one logical stream of numbered
 * frames. A frame of at least 8 bytes whose first 8 bytes, little-endian, are below 2^48 is numbered; the
 * rest (shorter frames, and frames such as a text hello whose prefix is no plausible sequence number) are
 * counted apart. Shared by {@code sink} and {@code demo}. Thread-safe: connections to one address may
 * overlap for a moment while a sender reconnects.
 */
final class StreamStats {

    /**
     * A snapshot.
     *
     * @param frames numbered frames received, repeats included
     * @param distinct distinct sequence numbers
     * @param bytes payload bytes of every frame, numbered or not
     * @param duplicates numbered frames whose number had been seen before
     * @param outOfOrder new numbers lower than the highest seen before them
     * @param missing numbers never seen: of 0..expect-1 with an expected count, else of 0..highest
     * @param shortFrames frames of fewer than 8 bytes
     * @param unnumbered frames of 8 bytes or more whose prefix is 2^48 or more (a hello, say)
     * @param connections connections accepted on this address
     * @param highest the highest number seen, -1 if none
     */
    record Snapshot(long frames, long distinct, long bytes, long duplicates, long outOfOrder, long missing,
                    long shortFrames, long unnumbered, long connections, long highest) {

        /** Nothing missing, nothing twice, nothing out of order. */
        boolean clean() {
            return missing == 0 && duplicates == 0 && outOfOrder == 0;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    // ---- guarded by lock ----
    private final SeqSet seen = new SeqSet();
    private long frames;
    private long distinct;
    private long bytes;
    private long duplicates;
    private long outOfOrder;
    private long shortFrames;
    private long unnumbered;
    private long connections;
    private long highest = -1;
    private long lastFrameNanos;

    /** Counts one frame; the buffer is only read, between its position and limit. */
    void record(ByteBuffer payload) {
        int length = payload.remaining();
        long seq = -1;
        if (length >= 8) {
            long raw = payload.getLong(payload.position());
            seq = payload.order() == ByteOrder.LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
        }
        long now = System.nanoTime();
        lock.lock();
        try {
            lastFrameNanos = now;
            bytes += length;
            if (length < 8) {
                shortFrames++;
            } else if (seq < 0 || seq >= SeqSet.LIMIT) {
                unnumbered++;
            } else {
                frames++;
                if (!seen.add(seq)) {
                    duplicates++;
                } else {
                    distinct++;
                    if (seq < highest) {
                        outOfOrder++;
                    } else {
                        highest = seq;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Counts one connection accepted on this address. */
    void connected() {
        lock.lock();
        try {
            connections++;
        } finally {
            lock.unlock();
        }
    }

    /** Distinct sequence numbers so far. */
    long distinct() {
        lock.lock();
        try {
            return distinct;
        } finally {
            lock.unlock();
        }
    }

    /** Numbered frames so far, repeats included. */
    long frames() {
        lock.lock();
        try {
            return frames;
        } finally {
            lock.unlock();
        }
    }

    /** {@link System#nanoTime()} of the last frame of any kind, 0 if none. */
    long lastFrameNanos() {
        lock.lock();
        try {
            return lastFrameNanos;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot; {@code expect} is the count the stream should have (0..expect-1), or 0 if unknown. */
    Snapshot snapshot(long expect) {
        lock.lock();
        try {
            long missing = expect > 0 ? expect - seen.countBelow(expect) : highest + 1 - distinct;
            return new Snapshot(frames, distinct, bytes, duplicates, outOfOrder, missing, shortFrames, unnumbered,
                    connections, highest);
        } finally {
            lock.unlock();
        }
    }
}
