package dev.tether.internal;

import dev.tether.DropReason;

/**
 * One backlog's running totals: frames written, frames dropped by reason, and the most queued at once per
 * period. Guarded by the lock of the {@link Backlog} that owns it, except {@link #droppedTotal()}, which the
 * watchdog and the drop reporter read without it.
 */
final class BacklogCounters {
    private long framesWritten;
    private long bytesWritten;
    private long framesUnconfirmed;
    private final long[] dropped = new long[DropReason.values().length];
    private volatile long droppedTotal;
    private long periodHighWater;

    /** Frames written whole that count now; {@code unconfirmed}: to a plain listener that never accepted. */
    void written(Frame f, boolean unconfirmed) {
        written(f.count(), f.size(), unconfirmed);
    }

    /** {@code frames} frames of {@code bytes} bytes written whole that count now. */
    void written(long frames, long bytes, boolean unconfirmed) {
        framesWritten += frames;
        bytesWritten += bytes;
        if (unconfirmed) {
            framesUnconfirmed += frames;
        }
    }

    void dropped(DropReason reason, long frames) {
        dropped[reason.ordinal()] += frames;
        droppedTotal += frames;
    }

    /** Every drop so far, for any reason; readable without the lock. */
    long droppedTotal() {
        return droppedTotal;
    }

    /** {@code queued} frames are queued now. */
    void queuedNow(long queued) {
        if (queued > periodHighWater) {
            periodHighWater = queued;
        }
    }

    /** The most frames queued at once since the last call; the next period starts at {@code queued}. */
    long takePeriodHighWater(long queued) {
        long high = periodHighWater;
        periodHighWater = queued;
        return high;
    }

    Backlog.Snapshot snapshot(long queuedFrames, long queuedBytes, AckLedger ledger) {
        return new Backlog.Snapshot(queuedFrames, queuedBytes, ledger.frames(), framesWritten, bytesWritten,
                framesUnconfirmed, ledger.acknowledgedFrames(), dropped.clone());
    }
}
