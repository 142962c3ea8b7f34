package dev.tether.internal;

import java.nio.ByteBuffer;

/**
 * One or more data frames, encoded once: each a 12-byte header and its payload, back to back, in a heap
 * array or in a {@link Slab} of direct memory. Immutable by convention: nothing writes to those bytes after
 * encoding (a slab's bytes are rewritten only once no record refers to them). A broadcast appends the same
 * instance to every peer's backlog; the part of a record that a broken connection cut off is a new instance
 * over the same bytes.
 *
 * @param bytes the encoded frames on the heap, or null if they are in {@code slab}; this record's are
 *     {@code [offset, offset + length)}
 * @param slab the slab holding the encoded frames, or null if they are in {@code bytes}
 * @param offset where this record's first frame starts in {@code bytes} or {@code slab}
 * @param length encoded bytes of this record's frames: headers plus payloads
 * @param count how many frames this record holds, at least 1
 * @param bornNanos {@link System#nanoTime()} when it was encoded (and queued), for the maximum age; 0 when the
 *     node has none, so no clock is read for it
 */
public record Frame(byte[] bytes, Slab slab, int offset, int length, int count, long bornNanos) {

    /** A record on the heap. */
    public Frame(byte[] bytes, int offset, int length, int count, long bornNanos) {
        this(bytes, null, offset, length, count, bornNanos);
    }

    /** Encoded size of the frames in this record. */
    public int size() {
        return length;
    }

    /** The end, in {@code bytes} or {@code slab}, of the frame that starts at {@code start}. */
    int frameEnd(int start) {
        int payload = slab == null ? FrameCodec.payloadLength(bytes, start) : slab.payloadLength(start);
        return start + FrameCodec.HEADER_BYTES + payload;
    }

    /** The first {@code frames} frames of this record. */
    Frame head(int frames) {
        int end = offset;
        for (int i = 0; i < frames; i++) {
            end = frameEnd(end);
        }
        return new Frame(bytes, slab, offset, end - offset, frames, bornNanos);
    }

    /** This record without its first {@code skip} frames. */
    Frame tail(int skip) {
        int at = offset;
        for (int i = 0; i < skip; i++) {
            at = frameEnd(at);
        }
        return new Frame(bytes, slab, at, offset + length - at, count - skip, bornNanos);
    }

    /** Copies {@code length} bytes of this record, from {@code from} bytes into it, into {@code out} at its position. */
    void copyTo(ByteBuffer out, int from, int length) {
        if (slab == null) {
            out.put(bytes, offset + from, length);
        } else {
            out.put(out.position(), slab.memory(), offset + from, length);
            out.position(out.position() + length);
        }
    }

    /**
     * The same frames on the heap: this record if it is there already, else a copy, one per record however
     * many backlogs ask (a broadcast's record copied out for a hundred peers that went down is one array).
     * Only while the caller holds a reference to the slab.
     */
    Frame onHeap() {
        return slab == null ? this : slab.heapCopy(this);
    }

    /** A copy of this slab record's bytes in a heap array of its own. */
    Frame copiedToHeap() {
        byte[] copy = new byte[length];
        slab.memory().get(offset, copy);
        return new Frame(copy, null, 0, length, count, bornNanos);
    }
}
