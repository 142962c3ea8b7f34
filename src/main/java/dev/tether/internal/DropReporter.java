package dev.tether.internal;

import dev.tether.DropReason;
import dev.tether.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a peer's drop counters into {@link Event.FramesDropped} events and WARN lines, at most one per
 * reason per interval, so a million drops a second cost the listener and the log one report a second.
 * Called by the thread that dropped (cheap when not due) and by the watchdog, which reports the rest.
 */
final class DropReporter {
    private static final Logger log = LoggerFactory.getLogger(DropReporter.class);

    private final PeerCore peer;
    private final EventDispatcher events;
    private final long intervalNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] reported = new long[DropReason.values().length]; // guarded by lock
    private volatile long reportedTotal;  // drops already reported: nothing to do while the backlog's total equals it
    private volatile long lastReportNanos;

    DropReporter(PeerCore peer, EventDispatcher events, long intervalNanos) {
        this.peer = peer;
        this.events = events;
        this.intervalNanos = intervalNanos;
        this.lastReportNanos = System.nanoTime() - intervalNanos;
    }

    /** Reports unreported drops if the interval has passed since the last report. */
    void reportIfDue() {
        if (peer.backlog().droppedTotal() == reportedTotal || System.nanoTime() - lastReportNanos < intervalNanos) {
            return;
        }
        report(false);
    }

    /** Reports every unreported drop now (the peer is closing). */
    void reportNow() {
        report(true);
    }

    private void report(boolean force) {
        List<Event> due = new ArrayList<>(0);
        if (force) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return; // someone else is reporting right now
        }
        try {
            long now = System.nanoTime();
            if (!force && now - lastReportNanos < intervalNanos) {
                return;
            }
            long[] totals = peer.backlog().snapshot().dropped();
            long all = 0;
            for (long t : totals) {
                all += t;
            }
            reportedTotal = all;
            for (DropReason reason : DropReason.values()) {
                long delta = totals[reason.ordinal()] - reported[reason.ordinal()];
                if (delta > 0) {
                    reported[reason.ordinal()] = totals[reason.ordinal()];
                    due.add(new Event.FramesDropped(peer.handle(), reason, delta, totals[reason.ordinal()]));
                }
            }
            if (!due.isEmpty()) {
                lastReportNanos = now;
            }
        } finally {
            lock.unlock();
        }
        for (Event e : due) { // outside the lock: the listener may call back into tether
            Event.FramesDropped d = (Event.FramesDropped) e;
            log.warn("{}: dropped {} frames ({}), {} in all", peer, d.frames(), d.reason(), d.totalFrames());
            FlightEvents.framesDropped(peer, d.reason().name(), d.frames(), d.totalFrames());
            events.emit(e);
        }
    }
}
