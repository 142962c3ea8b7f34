package dev.tether.internal;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One live connection of a peer: its transport, the reader's frame buffer, what its writer brings to the
 * backlog, and how it ended. The first thread to see it end records the reason with {@link #fail} (a writer
 * whose write fails before the listener answered first lets the reader name it: {@link #awaitEndByReader}); that
 * closes the transport (an outbound connection that ends in a failure with a reset, so it can never deliver
 * after the connection that replaces it has started; otherwise gracefully),
 * which unblocks the other loop, and wakes the writer. A peer outlives many connections; its backlog
 * outlives them all.
 */
final class Connection {
    private final Backlog backlog;
    private final Transport transport;
    private final FrameReader reader;
    private final InetSocketAddress remoteAddress;
    private final WriterSession session;
    private final Instant establishedAt = Instant.now();
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final CountDownLatch failed = new CountDownLatch(1);
    private volatile boolean writerAwaitsReader;
    private volatile boolean refusedLate; // the listener's refusal was read after another reason was recorded
    private volatile long endedAtNanos;   // when the first failure was recorded (0: open)
    private final boolean ours;          // outbound: a connection this node will replace with a new one when it ends

    // ---- set up before the loops start, then read-only ----
    private ReceiveStream receiveStream; // where deliveries are ordered (acknowledged mode; plain inbound)
    private long acceptId;               // plain mode: the id in the listener's ACCEPT (ours if inbound, the peer's if outbound)
    private long startSeq;               // acknowledged mode: the number of the peer's first frame (its START)

    Connection(Backlog backlog, Transport transport, FrameReader reader, InetSocketAddress remoteAddress,
               WriterSession session, boolean ours) {
        this.ours = ours;
        this.backlog = backlog;
        this.transport = transport;
        this.reader = reader;
        this.remoteAddress = remoteAddress;
        this.session = session;
    }

    Transport transport() {
        return transport;
    }

    FrameReader reader() {
        return reader;
    }

    InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    WriterSession session() {
        return session;
    }

    Instant establishedAt() {
        return establishedAt;
    }

    boolean isOpen() {
        return session.open;
    }

    /** Records why the connection ended, if nobody has yet, and closes it. Returns true for the first caller. */
    boolean fail(Failure why) {
        if (!failure.compareAndSet(null, why)) {
            if (why.refused()) {
                refusedLate = true; // what the writer holds was still not taken: it goes back to the queue
            }
            return false;
        }
        long now = System.nanoTime();
        endedAtNanos = now == 0 ? 1 : now;
        session.open = false;
        if (why.graceful() || !ours) { // only a connection we replace must never deliver after its successor starts
            transport.close();
        } else {
            transport.abort();
        }
        backlog.wakeWriter();
        failed.countDown();
        return true;
    }

    /**
     * The writer's write failed before the listener answered: waits up to {@code nanos} for another thread
     * (the reader, normally within microseconds) to end the connection, since a refusal the listener sent
     * just before the reset that failed the write is still there to be read, and names the real reason.
     */
    void awaitEndByReader(long nanos) {
        writerAwaitsReader = true;
        try {
            failed.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // keep the interrupt; the caller fails the connection at once
        } finally {
            writerAwaitsReader = false;
        }
    }

    /** Whether the writer is in {@link #awaitEndByReader} now: the connection is ending (the watchdog leaves it be). */
    boolean writerAwaitsReader() {
        return writerAwaitsReader;
    }

    /** When the connection's end was first recorded ({@link System#nanoTime()}); 0 while it is open. */
    long endedAtNanos() {
        return endedAtNanos;
    }

    /** Whether the listener refused this connection after another reason ended it (see {@link #fail}). */
    boolean refusedLate() {
        return refusedLate;
    }

    /** The reason recorded by {@link #fail}, or null while open. */
    Failure failure() {
        return failure.get();
    }

    ReceiveStream receiveStream() {
        return receiveStream;
    }

    void receiveStream(ReceiveStream stream) {
        this.receiveStream = stream;
    }

    long startSeq() {
        return startSeq;
    }

    void startSeq(long seq) {
        this.startSeq = seq;
    }

    long acceptId() {
        return acceptId;
    }

    void acceptId(long id) {
        this.acceptId = id;
    }
}
