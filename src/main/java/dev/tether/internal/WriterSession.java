package dev.tether.internal;

/**
 * What one connection's writer brings to its peer's {@link Backlog}: whether the connection is still open,
 * the acknowledgements this end owes the peer (acknowledged mode), and when frames written on it count as
 * written. Everything but the volatile fields and {@link #preamble} (set before the writer starts) is guarded
 * by the backlog's lock.
 */
final class WriterSession {

    /** When frames written whole on this connection count as written. */
    enum Confirmation {
        /** At once: acknowledged mode (where they then wait for acknowledgements), or a plain peer that accepted. */
        AT_ONCE,
        /** Plain mode before the listener's ACCEPT: held, and sent again if the peer refuses the connection. */
        AWAIT_ACCEPT,
        /** Plain mode, no ACCEPT in time (a peer that is not a tether node): at once, and counted as unconfirmed. */
        UNCONFIRMED
    }

    volatile boolean open = true;
    volatile boolean outputShutDown; // the writer ended the stream after a flush: the peer's end-of-stream that follows is the answer
    java.nio.ByteBuffer preamble;    // written before anything else (ACCEPT or SUCCEEDS, and our hello); the writer's own after it starts
    volatile long preambleSinceNanos; // while the writer writes the preamble, since when (else 0); the watchdog bounds it by handshakeTimeout
    AckState owed;                  // what we owe the peer; null in plain mode; set by the handshake before the loops start
    Confirmation confirmation;
    long acceptDeadlineNanos;       // AWAIT_ACCEPT: when held frames count as written anyway
    boolean refused;                // the peer refused the connection: held frames go back to the queue

    WriterSession(Confirmation confirmation, long acceptDeadlineNanos) {
        this.confirmation = confirmation;
        this.acceptDeadlineNanos = acceptDeadlineNanos;
    }
}
