package dev.tether.internal;

/**
 * What a receiver owes its sender in acknowledged mode: the last sequence number delivered and when the
 * next cumulative acknowledgement falls due (after {@code every} frames or {@code interval}, whichever comes
 * first). Guarded by the lock of the connection's {@link Backlog}, which the writer already holds when it
 * decides what to write next.
 */
final class AckState {
    private final int every;
    private final long intervalNanos;
    private long delivered;    // last sequence number handed to the handler
    private long sent;         // last sequence number acknowledged on the wire (or in RESUME)
    private int framesSinceSent;
    private long dueNanos;     // meaningful only while delivered > sent

    AckState(int every, long intervalNanos, long resumedAt) {
        this.every = every;
        this.intervalNanos = intervalNanos;
        this.delivered = resumedAt;
        this.sent = resumedAt;
    }

    /** Records deliveries; returns true if the writer should wake to reconsider when to acknowledge. */
    boolean delivered(long seq, int frames, long nowNanos) {
        boolean hadPending = hasPending();
        delivered = seq;
        framesSinceSent += frames;
        if (framesSinceSent >= every) {
            boolean earlier = !hadPending || dueNanos - nowNanos > 0;
            dueNanos = nowNanos;
            return earlier;
        }
        if (!hadPending) {
            dueNanos = nowNanos + intervalNanos;
            return true;
        }
        return false;
    }

    boolean hasPending() {
        return delivered > sent;
    }

    boolean isDue(long nowNanos) {
        return hasPending() && nowNanos - dueNanos >= 0;
    }

    long nanosUntilDue(long nowNanos) {
        return Math.max(1, dueNanos - nowNanos);
    }

    /** The acknowledgement to write now. */
    long take() {
        sent = delivered;
        framesSinceSent = 0;
        return delivered;
    }
}
