package dev.tether.internal;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiving end of one sender's stream, across its connections: which connection may deliver, and
 * (acknowledged mode) the last sequence number delivered. A sender that reconnects gets a new connection
 * while the old one may still hold unread frames on this side; the new one {@link #claim}s the stream, and
 * the old one, which checks {@link #ownedBy} under {@link #lock} before each read's frames, delivers no more.
 * The new connection's first delivery takes the lock too, so it waits for a handler call still running on the
 * old one: frames from one sender never overlap or overtake each other.
 */
final class ReceiveStream {
    /** Held by the owning connection's reader while it delivers one read's frames. */
    final ReentrantLock lock = new ReentrantLock();
    final dev.tether.StreamId id;        // acknowledged mode: whose stream; null for a plain connection's

    private volatile long lastDelivered; // written under lock
    private volatile Connection owner;

    /** A plain connection's stream. */
    ReceiveStream() {
        this(null, 0);
    }

    /** An acknowledged-mode stream, resuming after {@code lastDelivered}. */
    ReceiveStream(dev.tether.StreamId id, long lastDelivered) {
        this.id = id;
        this.lastDelivered = lastDelivered;
    }

    /**
     * Makes {@code connection} the only one that delivers; returns the last sequence number delivered so far.
     * Never waits: a delivery in progress may still raise it, and the new connection skips what it delivered.
     */
    long claim(Connection connection) {
        owner = connection;
        return lastDelivered;
    }

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
