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
        long prefix = 0;
        if (length >= 8) {
            long raw = payload.getLong(payload.position());
            prefix = payload.order() == ByteOrder.LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
        }
        count(length, prefix, System.nanoTime());
    }

    /**
     * Counts a frame an earlier run of this sink processed ({@code sink --resume-file}): its length and first 8
     * bytes as a little-endian number (0 if shorter). It is not a frame arriving now, for the idle timeout.
     */
    void replay(int length, long prefix) {
        count(length, prefix, 0);
    }

    private void count(int length, long prefix, long now) {
        lock.lock();
        try {
            if (now != 0) {
                lastFrameNanos = now;
            }
            bytes += length;
            if (length < 8) {
                shortFrames++;
            } else if (prefix < 0 || prefix >= SeqSet.LIMIT) {
                unnumbered++;
            } else {
                frames++;
                if (!seen.add(prefix)) {
                    duplicates++;
                } else {
                    distinct++;
                    if (prefix < highest) {
                        outOfOrder++;
                    } else {
                        highest = prefix;
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
