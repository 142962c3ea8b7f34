package dev.tether.internal;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiving end of one sender's stream in acknowledged mode: the last sequence number handed to the
 * handler, and which connection may deliver next. A reconnecting sender gets a new connection while the
 * old one may still be draining on this side; {@link #claim} waits for a delivery in progress on the old
 * one, then hands the stream over, so no frame is delivered twice.
 */
final class ReceiveStream {
    final ReentrantLock lock = new ReentrantLock();
    private long lastDelivered;   // guarded by lock
    private Connection owner;     // guarded by lock

    /** Makes {@code connection} the only one that delivers; returns the last sequence number delivered. */
    long claim(Connection connection) {
        lock.lock();
        try {
            owner = connection;
            return lastDelivered;
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds {@link #lock}. */
    boolean ownedBy(Connection connection) {
        return owner == connection;
    }

    /** Caller holds {@link #lock}. */
    long lastDelivered() {
        return lastDelivered;
    }

    /** Caller holds {@link #lock}. */
    void delivered(long seq) {
        lastDelivered = seq;
    }
}
