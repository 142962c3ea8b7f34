package dev.tether.internal;

import java.nio.ByteBuffer;

/**
 * A payload on its way into backlogs, encoded the first time a backlog has room for it: a send or a
 * broadcast that every peer refuses copies nothing. Used by one call on one thread.
 */
final class LazyFrame {
    private final byte[] array;
    private final ByteBuffer buffer;
    private final int size;
    private Frame frame;

    private LazyFrame(byte[] array, ByteBuffer buffer, Frame frame, int payloadLength) {
        this.array = array;
        this.buffer = buffer;
        this.frame = frame;
        this.size = FrameCodec.HEADER_BYTES + payloadLength;
    }

    static LazyFrame of(byte[] payload) {
        return new LazyFrame(payload, null, null, payload.length);
    }

    /** The remaining bytes of {@code payload}; its position is never moved. */
    static LazyFrame of(ByteBuffer payload) {
        return new LazyFrame(null, payload, null, payload.remaining());
    }

    static LazyFrame of(Frame encoded) {
        return new LazyFrame(null, null, encoded, encoded.size() - FrameCodec.HEADER_BYTES);
    }

    /** Encoded bytes, known before encoding. */
    int size() {
        return frame != null ? frame.size() : size;
    }

    /** Frames it holds. */
    int count() {
        return frame != null ? frame.count() : 1;
    }

    /** The encoded frame: encoded (and stamped) on the first call, the same object after. */
    Frame frame() {
        if (frame == null) {
            long now = FrameCodec.epochNanos();
            frame = array != null ? FrameCodec.encode(array, 0, array.length, now) : FrameCodec.encode(buffer, now);
        }
        return frame;
    }

    /** Whether any backlog took it. */
    boolean encoded() {
        return frame != null;
    }
}
