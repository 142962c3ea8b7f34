package dev.tether.internal;

import dev.tether.BacklogLimits;
import dev.tether.DisconnectReason;
import dev.tether.DropReason;
import dev.tether.SendResult;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One peer's queue of frames, bounded, surviving reconnects.
 *
 * <p>Producers append to {@code pending} under the lock. The peer's writer takes everything pending at
 * once by swapping in an empty deque of its own (one pointer swap under the lock, so producers and the
 * writer meet once per batch, not once per frame), writes the batch outside the lock, and reports after
 * each write call which frames the kernel took whole. Until then those frames still count here
 * ({@code taken}); a frame cut off by a failed write goes back to the head with the rest of the unwritten
 * batch and is written whole, first, on the next connection. In acknowledged mode a frame written whole
 * moves to {@code unacked} and leaves only when the peer acknowledges it; when the connection drops, the
 * unacknowledged frames go back to the head too.
 *
 * <p>The writer is woken only when {@code pending} goes from empty to non-empty (or an acknowledgement
 * falls due, or the connection ends): one signal per burst, not per frame.
 */
public final class Backlog {

    /** {@link #awaitBatch} result: a batch (possibly only an acknowledgement) is ready. */
    public static final int BATCH = 0;
    /** {@link #awaitBatch} result: the connection is over, the writer ends. */
    public static final int CONNECTION_OVER = -1;
    /** {@link #awaitBatch} result: the node is closing and everything is written (and acknowledged): send end-of-stream and end. */
    public static final int SHUT_DOWN_OUTPUT = -2;

    /** Who may append. */
    enum Admission {
        /** Up to the bound. */
        OPEN,
        /** Down under DROP_BACKLOG: every frame is dropped and counted. */
        DROPPING,
        /** The peer is closed. */
        CLOSED
    }

    private final long maxFrames;
    private final long maxBytes;
    private final long lowWaterFrames;
    private final long lowWaterBytes;
    private final boolean acknowledged;

    private final ReentrantLock lock = new ReentrantLock();
    /** The writer waits here for frames, a due acknowledgement, or the end of its connection. */
    private final Condition work = lock.newCondition();
    /** Blocked producers wait here for room. */
    private final Condition space = lock.newCondition();
    /** Close and awaitFlushed wait here for an empty backlog. */
    private final Condition flushed = lock.newCondition();

    // ---- guarded by lock ----
    private ArrayDeque<Frame> pending = new ArrayDeque<>();         // appended by producers, not yet taken by the writer
    private int taken;                                              // frames the writer holds, not yet written whole
    private final ArrayDeque<Frame> unacked = new ArrayDeque<>();   // written whole, not yet acknowledged (acknowledged mode)
    private long queuedBytes;                                       // bytes of pending, taken and unacked frames
    private long nextSeq = 1;                                       // sequence number of the next frame appended
    private long ackedThrough;                                      // highest cumulative acknowledgement received
    private long epoch;                                             // bumped when the queue is cleared under a writer
    private Admission admission = Admission.OPEN;
    private boolean sealed;                                         // the node is closing; one-way
    private boolean flushOnClose;                                   // sealed gracefully: end-of-stream once empty
    private boolean writerParked;
    private int producersWaiting;
    private int flushWaiters;
    private volatile long saturatedSinceNanos;                      // first refusal since last below low water; 0 if none (read without the lock)
    private long framesWritten;
    private long bytesWritten;
    private long framesAcknowledged;
    private long highWaterFrames;                                   // most frames ever queued at once
    private long periodHighWater;                                   // most frames queued at once since takePeriodHighWater
    private final long[] dropped = new long[DropReason.values().length];
    private volatile long droppedTotal;                             // sum of dropped[], readable without the lock

    public Backlog(BacklogLimits limits, boolean acknowledged) {
        this.maxFrames = limits.maxFrames();
        this.maxBytes = limits.maxBytes();
        this.lowWaterFrames = limits.limitsFrames() ? maxFrames / 2 : Long.MAX_VALUE;
        this.lowWaterBytes = limits.limitsBytes() ? maxBytes / 2 : Long.MAX_VALUE;
        this.acknowledged = acknowledged;
    }

    // ------------------------------------------------------------------ producers

    /** Appends if there is room; never blocks. */
    public SendResult offer(Frame frame) {
        lock.lock();
        try {
            if (admission == Admission.OPEN && !sealed && hasRoom(frame.size())) { // the common case, checked once
                append(frame);
                return SendResult.ACCEPTED;
            }
            SendResult refusal = refusal();
            if (refusal != null) {
                return refusal;
            }
            if (!hasRoom(frame.size())) {
                saturated();
                dropped(DropReason.BACKLOG_FULL, 1);
                return SendResult.BACKLOG_FULL;
            }
            append(frame);
            return SendResult.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /** Appends if there is room; a full backlog returns BACKLOG_FULL without counting a drop (the caller will wait). */
    public SendResult offerWithoutDropping(Frame frame) {
        lock.lock();
        try {
            if (admission == Admission.OPEN && !sealed) {
                if (!hasRoom(frame.size())) {
                    saturated();
                    return SendResult.BACKLOG_FULL;
                }
                append(frame);
                return SendResult.ACCEPTED;
            }
            SendResult refusal = refusal();
            if (refusal != null) {
                return refusal;
            }
            append(frame);
            return SendResult.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends, waiting up to {@code timeoutNanos} for room. Returns BACKLOG_FULL (counted as dropped) if
     * there is still none; throws IllegalStateException if the node closes meanwhile.
     */
    public SendResult offer(Frame frame, long timeoutNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long left = timeoutNanos;
            while (true) {
                SendResult refusal = refusal();
                if (refusal != null) {
                    return refusal;
                }
                if (hasRoom(frame.size())) {
                    append(frame);
                    return SendResult.ACCEPTED;
                }
                saturated();
                if (left <= 0) {
                    dropped(DropReason.BACKLOG_FULL, 1);
                    return SendResult.BACKLOG_FULL;
                }
                producersWaiting++;
                try {
                    left = space.awaitNanos(left);
                } finally {
                    producersWaiting--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private SendResult refusal() {
        if (sealed) { // checked first: a producer blocked across close() learns the node closed, not just the peer
            throw new IllegalStateException("node closed: sends after close() are rejected");
        }
        return switch (admission) {
            case OPEN -> null;
            case DROPPING -> {
                dropped(DropReason.DISCONNECTED, 1);
                yield SendResult.DROPPED_DISCONNECTED;
            }
            case CLOSED -> SendResult.PEER_CLOSED;
        };
    }

    private long queued() {
        return pending.size() + taken + unacked.size();
    }

    private boolean hasRoom(int size) {
        return queued() < maxFrames && queuedBytes + size <= maxBytes;
    }

    private void append(Frame frame) {
        boolean wasEmpty = pending.isEmpty();
        pending.addLast(frame);
        queuedBytes += frame.size();
        nextSeq++;
        long queued = queued();
        if (queued > periodHighWater) {
            periodHighWater = queued;
            if (queued > highWaterFrames) {
                highWaterFrames = queued;
            }
        }
        if (wasEmpty && writerParked) {
            work.signal();
        }
    }

    private void saturated() {
        if (saturatedSinceNanos == 0) {
            saturatedSinceNanos = nonZero(System.nanoTime());
        }
    }

    // ------------------------------------------------------------------ the writer

    /**
     * Waits until there is something to write on {@code connection}. If frames are pending, hands all of
     * them to the writer in {@code connection.batch}, swapping in {@code empty} (an empty deque the writer
     * owns) for producers to append to; a due acknowledgement goes to {@code connection.ackToWrite}.
     * Returns {@link #BATCH}, {@link #CONNECTION_OVER} or {@link #SHUT_DOWN_OUTPUT}.
     */
    public int awaitBatch(Connection connection, ArrayDeque<Frame> empty) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            AckState ack = connection.ackState();
            while (true) {
                if (!connection.isOpen()) {
                    return CONNECTION_OVER;
                }
                long now = ack == null ? 0 : System.nanoTime();
                boolean ackDue = ack != null && (ack.isDue(now) || (flushOnClose && ack.hasPending())); // closing: pay what we owe now
                if (!pending.isEmpty() || ackDue) {
                    break;
                }
                if (flushOnClose && taken == 0 && unacked.isEmpty()) {
                    return SHUT_DOWN_OUTPUT;
                }
                writerParked = true;
                try {
                    if (ack != null && ack.hasPending()) {
                        work.awaitNanos(ack.nanosUntilDue(now));
                    } else {
                        work.await();
                    }
                } finally {
                    writerParked = false;
                }
            }
            if (ack != null && ack.hasPending()) {
                connection.ackToWrite = ack.take(); // piggyback: any pending acknowledgement rides with this batch
            }
            connection.batchEpoch = epoch;
            if (pending.isEmpty()) {
                connection.batch = null;
            } else {
                connection.batch = pending;
                taken += pending.size();
                pending = empty;
            }
            return BATCH;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The writer wrote {@code frames[from..to)}, the oldest frames it holds, whole ({@code bytes} in all).
     * Plain mode: they leave the backlog. Acknowledged mode: they wait in {@code unacked}, unless the peer
     * already acknowledged them (a fast receiver can, before our write call has even returned).
     */
    public void written(Connection connection, Frame[] frames, int from, int to, long bytes) {
        lock.lock();
        try {
            if (connection.batchEpoch != epoch) {
                return; // the queue was cleared under the writer (peer closed): those frames are gone already
            }
            int count = to - from;
            taken -= count;
            framesWritten += count;
            bytesWritten += bytes;
            if (!acknowledged) {
                queuedBytes -= bytes;
                released();
                return;
            }
            long seq = nextSeq - pending.size() - taken - count; // of frames[from]
            long ackedBytes = 0;
            int acked = 0;
            for (int i = from; i < to; i++, seq++) {
                if (seq <= ackedThrough && unacked.isEmpty()) {
                    ackedBytes += frames[i].size();
                    acked++;
                } else {
                    unacked.addLast(frames[i]);
                }
            }
            acknowledged(acked, ackedBytes);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The connection ended with {@code frames[from..to)} still unwritten (the first possibly cut off): they
     * go back to the head, in order, to be written first on the next connection.
     */
    public void unwritten(Connection connection, Frame[] frames, int from, int to) {
        lock.lock();
        try {
            if (connection.batchEpoch != epoch) {
                return; // cleared meanwhile: already counted as dropped
            }
            for (int i = to - 1; i >= from; i--) {
                pending.addFirst(frames[i]);
            }
            taken -= to - from;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the writer to look at its connection again (it ended, or must shut down its output). */
    public void wakeWriter() {
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ acknowledged mode

    /** The peer acknowledged every frame up to {@code seq}. */
    public void acknowledge(long seq) throws DisconnectException {
        lock.lock();
        try {
            long lastSent = nextSeq - pending.size() - 1; // frames the writer took may be on the wire already
            if (seq > lastSent) {
                throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR,
                        "peer acknowledged frame " + seq + " but only frames up to " + lastSent + " were sent");
            }
            if (seq <= ackedThrough) {
                return;
            }
            ackedThrough = seq;
            releaseThrough(unacked, nextSeq - pending.size() - taken - unacked.size(), seq);
        } finally {
            lock.unlock();
        }
    }

    /** The receiver has {@link AckState} fields guarded by this lock; the reader records deliveries here. */
    public void delivered(AckState ack, long seq, int frames) {
        lock.lock();
        try {
            if (ack.delivered(seq, frames, System.nanoTime()) && writerParked) {
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The connection ended (its writer returned what it held): unacknowledged frames go back to the head. */
    public void requeueUnacked() {
        lock.lock();
        try {
            for (Iterator<Frame> it = unacked.descendingIterator(); it.hasNext(); ) {
                pending.addFirst(it.next());
            }
            unacked.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A new connection's receiver says it delivered everything up to {@code lastDelivered}: those frames
     * leave the head. Returns the sequence number of the first frame the writer will send.
     */
    public long resumeAfter(long lastDelivered) {
        lock.lock();
        try {
            long head = nextSeq - queued();
            head += releaseThrough(pending, head, lastDelivered);
            if (lastDelivered > ackedThrough) {
                ackedThrough = lastDelivered;
            }
            return head;
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds the lock. Drops delivered frames, numbered from {@code head}, off {@code deque} up to {@code through}. */
    private int releaseThrough(ArrayDeque<Frame> deque, long head, long through) {
        long bytes = 0;
        int count = 0;
        while (head + count <= through && !deque.isEmpty()) {
            bytes += deque.pollFirst().size();
            count++;
        }
        acknowledged(count, bytes);
        return count;
    }

    /** Caller holds the lock. */
    private void acknowledged(int count, long bytes) {
        if (count > 0) {
            framesAcknowledged += count;
            queuedBytes -= bytes;
            released();
        }
    }

    private void released() {
        long queued = queued();
        boolean belowLowWater = queued <= lowWaterFrames && queuedBytes <= lowWaterBytes;
        if (saturatedSinceNanos != 0 && belowLowWater) {
            saturatedSinceNanos = 0;
        }
        if (producersWaiting > 0 && (belowLowWater || queued == 0)) {
            // wake blocked producers at half the bound, not on every write: one wake-up per half a bound, not per system call
            space.signalAll();
        }
        if (flushWaiters > 0 && queued == 0) {
            flushed.signalAll();
        }
        if (flushOnClose && writerParked && queued == 0) {
            work.signal(); // closing and the last acknowledgement came in: the writer may now send end-of-stream
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Connected (again): frames are accepted up to the bound. */
    public void open() {
        setAdmission(Admission.OPEN);
    }

    /**
     * Down under DROP_BACKLOG: clears the queue (counted as dropped, reason DISCONNECTED) and drops what
     * is sent until the next {@link #open()}. Returns the frames cleared.
     */
    public long dropWhileDown() {
        lock.lock();
        try {
            if (admission == Admission.OPEN) {
                admission = Admission.DROPPING;
            }
            return clear(DropReason.DISCONNECTED);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The node is closing: refuse new frames and release blocked producers. If {@code graceful}, the
     * writer drains what is queued, then sends end-of-stream; otherwise the sockets are about to be closed.
     */
    public void seal(boolean graceful) {
        lock.lock();
        try {
            sealed = true;
            flushOnClose = graceful;
            space.signalAll();
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True if nothing is queued. */
    public boolean isEmpty() {
        lock.lock();
        try {
            return queued() == 0;
        } finally {
            lock.unlock();
        }
    }

    /** The peer is closed: refuse everything, drop what is queued under {@code reason}. Returns the frames dropped. */
    public long close(DropReason reason) {
        lock.lock();
        try {
            admission = Admission.CLOSED;
            long n = clear(reason);
            work.signalAll();
            space.signalAll();
            flushed.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    private void setAdmission(Admission next) {
        lock.lock();
        try {
            if (admission == Admission.CLOSED) {
                return; // closing is one-way
            }
            admission = next;
            space.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private long clear(DropReason reason) {
        long n = queued();
        dropped(reason, n);
        pending.clear();
        unacked.clear();
        taken = 0;
        queuedBytes = 0;
        ackedThrough = nextSeq - 1; // numbers are never reused: a receiver may have delivered some of these
        epoch++;
        released();
        return n;
    }

    /** Waits until nothing is queued (in acknowledged mode: nothing unacknowledged) or the deadline passes. */
    public boolean awaitFlushed(long deadlineNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            flushWaiters++;
            try {
                while (queued() != 0) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0 || admission == Admission.CLOSED) {
                        return false;
                    }
                    flushed.awaitNanos(left);
                }
                return true;
            } finally {
                flushWaiters--;
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ observation

    /** Since when a connected peer has been refused frames for lack of room, or 0. */
    public long saturatedSinceNanos() {
        return saturatedSinceNanos;
    }

    /** A consistent snapshot of the counters. */
    public Counters counters() {
        lock.lock();
        try {
            return new Counters(queued(), queuedBytes, unacked.size(), framesWritten,
                    bytesWritten, framesAcknowledged, dropped[0], dropped[1], dropped[2], highWaterFrames);
        } finally {
            lock.unlock();
        }
    }

    /** The most frames queued at once since the last call (0 if nothing was queued meanwhile); restarts from now. */
    public long takePeriodHighWater() {
        lock.lock();
        try {
            long high = periodHighWater;
            periodHighWater = queued();
            return high;
        } finally {
            lock.unlock();
        }
    }

    /** Frames queued now. */
    public long queuedFrames() {
        lock.lock();
        try {
            return queued();
        } finally {
            lock.unlock();
        }
    }

    /** Test hook: the frames queued and not held by a writer, head first. */
    public Frame[] snapshot() {
        lock.lock();
        try {
            ArrayDeque<Frame> all = new ArrayDeque<>(unacked);
            all.addAll(pending);
            return all.toArray(new Frame[0]);
        } finally {
            lock.unlock();
        }
    }

    /** Frames dropped per reason, indexed by {@link DropReason#ordinal()}. */
    public long[] droppedCounts() {
        lock.lock();
        try {
            return dropped.clone();
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds the lock. */
    private void dropped(DropReason reason, long frames) {
        dropped[reason.ordinal()] += frames;
        droppedTotal += frames;
    }

    /** Frames dropped so far for any reason; no lock, so the watchdog can look at every peer cheaply. */
    public long droppedTotal() {
        return droppedTotal;
    }

    private static long nonZero(long nanos) {
        return nanos == 0 ? 1 : nanos;
    }

    /** Counter values read together under the lock. */
    public record Counters(long queuedFrames, long queuedBytes, long unackedFrames, long framesWritten,
                           long bytesWritten, long framesAcknowledged, long droppedBacklogFull,
                           long droppedDisconnected, long droppedClosed, long highWaterFrames) {
    }
}
