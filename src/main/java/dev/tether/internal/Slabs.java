package dev.tether.internal;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A node's pool of {@link Slab}s: direct memory that records of larger frames are encoded into once, so a
 * broadcast's writers write them without a copy per peer. Bounded: once every slab is in use, records are
 * encoded on the heap as before, so a peer that holds slab memory can cost speed, never more memory than
 * the pool's bound. Records of small frames stay on the heap: for them the writer's copy costs less than
 * a gathering write.
 */
final class Slabs {
    static final int SLAB_BYTES = 256 << 10;
    /** Largest record put in a slab; larger ones are encoded on the heap. */
    static final int MAX_RECORD = 64 << 10;
    /** Fewest encoded bytes per frame for a record to go in a slab. */
    static final int MIN_FRAME_BYTES = 512;
    /** Test runs set this so that a slab reused too early turns the frames still in it into garbage that the receiver refuses. */
    private static final boolean POISON = Boolean.getBoolean("dev.tether.internal.slabPoison");

    private final int maxSlabs;
    private final AtomicReference<Slab> filling = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Slab> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger allocated = new AtomicInteger();

    /** Space reserved in a slab, with a reference the caller releases. */
    record Space(Slab slab, int offset) {
    }

    Slabs(int maxSlabs) {
        this.maxSlabs = maxSlabs;
    }

    /** Whether a record of {@code frames} frames and {@code bytes} encoded bytes goes in a slab. */
    static boolean suits(int bytes, int frames) {
        return bytes <= MAX_RECORD && bytes >= MIN_FRAME_BYTES * frames;
    }

    /** Reserves {@code bytes} in the slab being filled (starting another if it is full); null if every slab is in use. */
    Space reserve(int bytes) {
        for (int attempt = 0; attempt < 8; attempt++) {
            Slab s = filling.get();
            if (s == null) {
                s = take();
                if (s == null) {
                    return null;
                }
                s.startFilling();
                if (!filling.compareAndSet(null, s)) {
                    s.release(); // another call started one first
                    continue;
                }
            }
            if (!s.tryRetain()) {
                continue; // retired and freed meanwhile: another is being filled
            }
            int at = s.reserve(bytes);
            if (at >= 0) {
                return new Space(s, at);
            }
            s.release();
            if (filling.compareAndSet(s, null)) {
                s.release(); // full: the pool's hold goes; the slab is free once its records are
            }
        }
        return null;
    }

    /** Slabs allocated so far (none is ever freed while the node runs; the pool's bound caps them). */
    int allocated() {
        return allocated.get();
    }

    /**
     * Slabs that something besides the pool refers to: a call encoding, or a backlog holding records. Exact
     * only while nothing is sent or written.
     */
    int inUse() {
        Slab f = filling.get();
        return allocated.get() - free.size() - (f != null && f.references() == 1 ? 1 : 0);
    }

    void recycle(Slab slab) {
        if (POISON) {
            byte[] junk = new byte[SLAB_BYTES];
            Arrays.fill(junk, (byte) 0x7f); // a header of 0x7f7f7f7f: a frame far over any maxFrameSize
            slab.memory().put(0, junk);
        }
        free.add(slab);
    }

    private Slab take() {
        Slab s = free.poll();
        if (s != null) {
            return s;
        }
        for (int n = allocated.get(); n < maxSlabs; n = allocated.get()) {
            if (allocated.compareAndSet(n, n + 1)) {
                try {
                    return new Slab(SLAB_BYTES, this);
                } catch (OutOfMemoryError e) { // direct memory capped (MaxDirectMemorySize): the record goes on the heap
                    allocated.decrementAndGet();
                    return null;
                }
            }
        }
        return free.poll();
    }
}
