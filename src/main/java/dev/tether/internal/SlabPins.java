package dev.tether.internal;

/**
 * The slabs one backlog's records are in, and how many of its records are in each: the backlog holds one
 * reference per slab, dropped when its last record there leaves (written, acknowledged, dropped or copied
 * out). A record the writer holds counts until the writer reports it, even after the backlog was cleared
 * under it, since its bytes may still be on their way into the kernel. Bounded, so one slow peer keeps at
 * most {@link #MAX_SLABS} slabs (a record in a further slab is copied to the heap instead). Guarded by the
 * lock of the {@link Backlog} that owns it.
 */
final class SlabPins {
    static final int MAX_SLABS = 16;

    private final Slab[] slabs = new Slab[MAX_SLABS];
    private final int[] records = new int[MAX_SLABS];
    private int used;

    /** Whether no record here is in a slab. */
    boolean isEmpty() {
        return used == 0;
    }

    /** A new record {@code f} (in a slab) enters: true if it may stay there (now counted), false if it must be copied. */
    boolean tryPin(Frame f) {
        int i = lastIndexOf(f.slab());
        if (i < 0) {
            if (used == MAX_SLABS) {
                return false;
            }
            f.slab().retain(); // the caller encoding into it holds a reference, so the slab is live
            i = used++;
            slabs[i] = f.slab();
            records[i] = 0;
        }
        records[i]++;
        return true;
    }

    /** {@code part}, a part of a record counted here, becomes a record of its own (before that record leaves). */
    void pinPart(Frame part) {
        if (part.slab() != null) {
            int i = indexOf(part.slab());
            records[i]++;
        }
    }

    /** Record {@code f} left: once none is left in its slab, the slab is let go. No-op for a record on the heap. */
    void unpin(Frame f) {
        if (f.slab() != null) {
            unpin(f.slab(), 1);
        }
    }

    /** {@code n} records in slab {@code s} left. */
    void unpin(Slab s, int n) {
        int i = indexOf(s);
        records[i] -= n;
        if (records[i] < 0) {
            throw new IllegalStateException("more records in a slab left a backlog than it counted");
        }
        if (records[i] == 0) {
            used--;
            System.arraycopy(slabs, i + 1, slabs, i, used - i);
            System.arraycopy(records, i + 1, records, i, used - i);
            slabs[used] = null;
            s.release();
        }
    }

    private int indexOf(Slab s) {
        for (int i = 0; i < used; i++) { // records leave oldest first: mostly the first
            if (slabs[i] == s) {
                return i;
            }
        }
        throw new IllegalStateException("a record in a slab left a backlog that did not count it");
    }

    private int lastIndexOf(Slab s) {
        for (int i = used - 1; i >= 0; i--) { // records arrive newest last
            if (slabs[i] == s) {
                return i;
            }
        }
        return -1;
    }
}
