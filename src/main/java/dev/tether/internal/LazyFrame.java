package dev.tether.internal;

import java.nio.ByteBuffer;

/**
 * A payload on its way into backlogs, encoded the first time a backlog has room for it: a send or a
 * broadcast that every peer refuses copies nothing. Larger frames are encoded into a {@link Slab} when the
 * node's pool has room, with a reference this call holds until {@link #release()}; a backlog that cannot
 * keep slab memory takes a heap copy ({@link #onHeap()}), one for all of them. Used by one call on one thread.
 */
final class LazyFrame {
    private final Object source; // a byte[], a ByteBuffer or a List<byte[]> (one field: this object stays at 40 bytes)
    private final int size;
    private final int count;
    private Frame frame;
    private Slabs slabs;       // null: encoded on the heap
    private boolean aged;      // the node has a maximum age: the record carries when it was born
    private boolean released;  // the call's slab reference is gone

    private LazyFrame(Object source, int size, int count) {
        this.source = source;
        this.size = size;
        this.count = count;
    }

    static LazyFrame of(byte[] payload) {
        return new LazyFrame(payload, FrameCodec.HEADER_BYTES + payload.length, 1);
    }

    /** The remaining bytes of {@code payload}; its position is never moved. */
    static LazyFrame of(ByteBuffer payload) {
        return new LazyFrame(payload, FrameCodec.HEADER_BYTES + payload.remaining(), 1);
    }

    /** Many payloads as one record: one encoding, one timestamp, one deque slot per peer. */
    static LazyFrame ofBatch(java.util.List<byte[]> payloads, int encodedBytes) {
        return new LazyFrame(payloads, encodedBytes, payloads.size());
    }

    /** Encoded bytes, known before encoding. */
    int size() {
        return size;
    }

    /** Frames it holds. */
    int count() {
        return count;
    }

    /** Marks it to carry its birth time (a monotonic clock read once, at encoding), for the maximum age. */
    LazyFrame aged(boolean on) {
        aged = on;
        return this;
    }

    /** Encodes into {@code pool}'s slabs if the record suits them and the pool has room. */
    LazyFrame sharedFrom(Slabs pool) {
        slabs = pool;
        return this;
    }

    /** Whether {@link #frame()} was called. */
    boolean isEncoded() {
        return frame != null;
    }

    /**
     * The encoded frame: encoded (and stamped) on the first call, the same object after. {@code mayShare}:
     * the backlog asking could keep it in slab memory (its peer is connected), so a slab is worth trying.
     */
    Frame frame(boolean mayShare) {
        if (frame == null) {
            long mono = System.nanoTime(); // one clock read: the wire timestamp and, with a maximum age, the birth time
            long now = FrameCodec.epochNanos(mono);
            long born = aged ? (mono == 0 ? 1 : mono) : 0;
            Slabs.Space space = mayShare && slabs != null && Slabs.suits(size, count) ? slabs.reserve(size) : null;
            if (space != null) {
                frame = inSlab(space, now, born);
            }
            if (frame == null) {
                frame = source instanceof byte[] array ? FrameCodec.encode(array, 0, array.length, now, born)
                        : source instanceof ByteBuffer buffer ? FrameCodec.encode(buffer, now, born)
                        : FrameCodec.encodeBatch(batch(), size, now, born);
            }
        }
        return frame;
    }

    /**
     * Encodes into reserved slab space, if the payload still has the size the space was reserved for (a
     * caller changing its buffer or list during the call must not write over other records); null if not.
     */
    private Frame inSlab(Slabs.Space space, long now, long born) {
        try {
            if (source instanceof byte[] array) {
                return FrameCodec.encode(space, array, now, born);
            }
            if (source instanceof ByteBuffer buffer) {
                if (FrameCodec.HEADER_BYTES + buffer.remaining() == size) {
                    return FrameCodec.encode(space, buffer, now, born);
                }
            } else if (encodedSize(batch()) == size) {
                return FrameCodec.encodeBatch(space, batch(), size, now, born);
            }
        } catch (RuntimeException | Error e) {
            space.slab().release();
            throw e;
        }
        space.slab().release(); // changed under us: encoded on the heap, as it is now
        return null;
    }

    @SuppressWarnings("unchecked") // of(List) is the only way a list gets here
    private java.util.List<byte[]> batch() {
        return (java.util.List<byte[]>) source;
    }

    private static long encodedSize(java.util.List<byte[]> payloads) {
        long bytes = 0;
        for (byte[] p : payloads) {
            bytes += FrameCodec.HEADER_BYTES + p.length;
        }
        return bytes;
    }

    /** The encoded frame on the heap, for a backlog that cannot keep slab memory: one copy, shared (see {@link Frame#onHeap}). */
    Frame onHeap() {
        return frame(false).onHeap();
    }

    /** The call is over: its reference to the slab goes (each backlog holding the record has its own). */
    void release() {
        if (frame != null && frame.slab() != null && !released) {
            released = true;
            frame.slab().release();
        }
    }

}
