package dev.tether.cli;

import dev.tether.DisconnectReason;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The failures of one of blast's peers, or the refused connections of one of sink's addresses: how many,
 * and the last one's reason and detail. Thread-safe: tether's event thread records, the summary reads.
 */
final class FailureCount {

    /** One failure: its reason and tether's detail text. */
    record Last(DisconnectReason reason, String detail) {
        /** "handshake failed: TLS handshake with ... failed: ..." */
        String text() {
            return reason.description() + ": " + detail;
        }

        void json(Json j) {
            j.beginObject().field("reason", reason.name()).field("detail", detail).endObject();
        }
    }

    private final AtomicLong count = new AtomicLong();
    private volatile Last last;
    private volatile boolean closed;

    /** Records a failure; false (and nothing recorded) once {@link #close()}d. */
    boolean record(DisconnectReason reason, String detail) {
        if (closed) {
            return false;
        }
        last = new Last(reason, detail);
        count.incrementAndGet();
        return true;
    }

    /** Stops recording: what happens after the run's outcome is known (a sink hanging up when done) is no failure of it. */
    void close() {
        closed = true;
    }

    long count() {
        return count.get();
    }

    /** The last failure, or null if none. */
    Last last() {
        return last;
    }

    /** {@code "last_failure": {...}} or {@code null}. */
    void jsonLast(Json j) {
        Last l = last;
        j.name("last_failure");
        if (l == null) {
            j.value((String) null);
        } else {
            l.json(j);
        }
    }
}
