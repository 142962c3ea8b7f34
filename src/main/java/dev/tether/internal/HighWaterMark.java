package dev.tether.internal;

/**
 * When a producer that waits should wait before appending, though the bound has room: while the peer is
 * connected and its writer keeps up, once the bytes not yet written pass the mark, until the writer has
 * brought them back under it (the backlog wakes such a producer at every write call). A producer faster than
 * its peer then runs at the peer's pace over a short queue that stays in the cache and dies young. It
 * applies only after the queue was below half the mark since the connection came up
 * (a replay does not hold producers back), and stops while the writer makes no progress (a stalled peer
 * fills up to the bound, as for a slow consumer). Guarded by the lock of the {@link Backlog} that owns it.
 */
final class HighWaterMark {
    /** No write call or acknowledgement for this long: the peer is stuck, the bound takes over. */
    private static final long STUCK_NANOS = 20_000_000L;

    private final long markBytes; // 0: off
    private final long halfBytes;
    private boolean connected;
    private boolean pacing;       // connected, and below half the mark since: the writer keeps up
    private boolean stalled;      // pacing suspended because the writer made no progress
    private long progressNanos;   // the last write call or acknowledgement

    /** {@code markBytes} 0 turns it off; so does a mark at or past the bound's bytes. */
    HighWaterMark(long markBytes, long boundBytes) {
        this.markBytes = markBytes > 0 && markBytes < boundBytes ? markBytes : 0;
        this.halfBytes = this.markBytes / 2;
    }

    boolean isOn() {
        return markBytes > 0;
    }

    /**
     * How long a producer with {@code leftNanos} to wait should wait before appending {@code frameBytes}
     * to a queue with {@code unwrittenBytes} not yet written; 0 to append now.
     */
    long pause(long unwrittenBytes, int frameBytes, long leftNanos) {
        if (leftNanos <= 0 || !mayPause(unwrittenBytes, frameBytes)) {
            return 0;
        }
        long idle = System.nanoTime() - progressNanos;
        if (idle >= STUCK_NANOS) {
            pacing = false; // the peer stopped taking data: the backlog absorbs it up to the bound
            stalled = true; // until the writer makes progress again
            return 0;
        }
        return Math.min(leftNanos, STUCK_NANOS - idle);
    }

    /** Whether {@link #pause} might ask a producer to wait; reads only, so callable without the lock as a hint. */
    boolean mayPause(long unwrittenBytes, int frameBytes) {
        return pacing && unwrittenBytes > 0 && unwrittenBytes + frameBytes > markBytes;
    }

    /** A connection came up. */
    void connected(long unwrittenBytes) {
        connected = true;
        progressNanos = System.nanoTime();
        stalled = false;
        pacing = isOn() && unwrittenBytes <= halfBytes;
    }

    /** The connection ended; true if producers waiting at the mark must be woken (they may now fill the bound). */
    boolean disconnected() {
        connected = false;
        stalled = false;
        boolean wasPacing = pacing;
        pacing = false;
        return wasPacing;
    }

    /** The writer wrote, or the peer acknowledged, at {@code nowNanos} (read before the lock: it is held briefly). */
    void progress(long nowNanos) {
        if (isOn()) {
            progressNanos = nowNanos;
            if (stalled && connected) { // taking data again: producers that wait keep to the mark again
                stalled = false;
                pacing = true;
            }
        }
    }

    /** Frames left: once the unwritten bytes are below half the mark, the writer keeps up and the mark applies. */
    void drained(long unwrittenBytes) {
        if (connected && isOn() && unwrittenBytes <= halfBytes) {
            pacing = true; // the writer caught up: from now on producers that wait keep the queue short
        }
    }
}
