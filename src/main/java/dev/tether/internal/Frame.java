package dev.tether.internal;

/**
 * One or more data frames, encoded once into one array: each a 12-byte header and its payload, back to
 * back. Immutable by convention: nothing writes to {@code bytes} after {@link FrameCodec#encode}. A
 * broadcast appends the same instance to every peer's backlog; the part of a record that a broken
 * connection cut off is a new instance over the same array.
 *
 * @param bytes the encoded frames; this record's are {@code [offset, offset + length)}
 * @param offset where this record's first frame starts in {@code bytes}
 * @param length encoded bytes of this record's frames: headers plus payloads
 * @param count how many frames this record holds, at least 1
 * @param bornNanos {@link System#nanoTime()} when it was encoded (and queued), for the maximum age; 0 when the
 *     node has none, so no clock is read for it
 */
public record Frame(byte[] bytes, int offset, int length, int count, long bornNanos) {

    /** Encoded size of the frames in this record. */
    public int size() {
        return length;
    }

    /** The end, in {@code bytes}, of the frame that starts at {@code start}. */
    int frameEnd(int start) {
        return start + FrameCodec.HEADER_BYTES + FrameCodec.payloadLength(bytes, start);
    }

    /** The first {@code frames} frames of this record. */
    Frame head(int frames) {
        int end = offset;
        for (int i = 0; i < frames; i++) {
            end = frameEnd(end);
        }
        return new Frame(bytes, offset, end - offset, frames, bornNanos);
    }

    /** This record without its first {@code skip} frames. */
    Frame tail(int skip) {
        int at = offset;
        for (int i = 0; i < skip; i++) {
            at = frameEnd(at);
        }
        return new Frame(bytes, at, offset + length - at, count - skip, bornNanos);
    }
}
