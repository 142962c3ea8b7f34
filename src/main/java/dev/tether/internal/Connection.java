package dev.tether.internal;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One live connection of a peer: its transport, the reader's frame buffer, and how it ended. The first
 * thread to see it end records the reason with {@link #fail}; that closes the transport, which unblocks the
 * other loop, and wakes the writer. A peer outlives many connections; its backlog outlives them all.
 */
public final class Connection {
    private final PeerCore peer;
    private final Transport transport;
    private final FrameReader reader;
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final CountDownLatch loops = new CountDownLatch(2);
    private final Instant establishedAt = Instant.now();
    private volatile boolean open = true;
    private volatile boolean closingLocally;

    // ---- acknowledged mode; set by the handshake before the loops start ----
    private AckState ackState;          // what we owe the peer; guarded by the peer's backlog lock
    private ReceiveStream receiveStream; // where deliveries from the peer are remembered

    // ---- owned by the writer thread ----
    long ackToWrite = -1;  // an acknowledgement to put before the next batch
    long batchEpoch;       // the backlog epoch the current batch was taken in
    java.util.ArrayDeque<Frame> batch; // frames handed over by the last awaitBatch, or null

    Connection(PeerCore peer, Transport transport, int maxFrameSize) {
        this.peer = peer;
        this.transport = transport;
        this.reader = new FrameReader(transport, maxFrameSize);
    }

    public PeerCore peer() {
        return peer;
    }

    public Transport transport() {
        return transport;
    }

    FrameReader reader() {
        return reader;
    }

    public boolean isOpen() {
        return open;
    }

    /** Records why the connection ended, if nobody has yet, and closes it. Returns true for the first caller. */
    public boolean fail(Failure why) {
        if (!failure.compareAndSet(null, why)) {
            return false;
        }
        open = false;
        transport.close();
        peer.backlog().wakeWriter();
        return true;
    }

    /** The reason recorded by {@link #fail}, or null while open. */
    public Failure failure() {
        return failure.get();
    }

    /** The writer is about to send end-of-stream: the peer's own end-of-stream that follows is our doing. */
    void closingLocally() {
        closingLocally = true;
    }

    /** True once this node began closing the connection, so the peer's end-of-stream is our doing. */
    boolean isClosingLocally() {
        return closingLocally;
    }

    void loopEnded() {
        loops.countDown();
    }

    /** Waits for both loops; returns false if they are still running at the deadline. */
    boolean awaitLoops(long timeoutNanos) throws InterruptedException {
        return loops.await(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    Instant establishedAt() {
        return establishedAt;
    }

    AckState ackState() {
        return ackState;
    }

    ReceiveStream receiveStream() {
        return receiveStream;
    }

    void acknowledged(AckState ack, ReceiveStream stream) {
        this.ackState = ack;
        this.receiveStream = stream;
    }
}
