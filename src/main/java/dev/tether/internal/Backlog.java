package dev.tether.internal;

import dev.tether.BacklogLimits;
import dev.tether.DisconnectReason;
import dev.tether.DropReason;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One peer's bounded queue of frames, surviving reconnects: the one place producers and the peer's writer
 * meet.
 *
 * <p>Producers append records to {@code pending} under the lock. The writer takes everything pending at
 * once by swapping in an empty deque of its own ({@link #awaitWork}: one pointer swap, so producers and the
 * writer meet once per batch, not once per frame), writes outside the lock, and reports after each write
 * call which frames the kernel took whole ({@link #written}). Until then those frames still count here
 * ({@code taken}); what a failed write left unwritten goes back to the head ({@link #unwritten}) and is
 * written whole, first, on the next connection. Frames written whole that wait for the peer's word
 * (acknowledged mode; plain mode before the listener accepted) are in the {@link AckLedger}, and count too.
 * Records in slab memory are counted per slab ({@link SlabPins}) from the moment they are appended until
 * they leave, the writer's included, so no slab is reused while this backlog could still write from it.
 *
 * <p>The writer is woken only when {@code pending} goes from empty to non-empty (or an acknowledgement
 * falls due, or its connection ends): one signal per burst, not per frame.
 */
final class Backlog {

    /** Who may append; set by the peer's lifecycle. */
    enum Admission {
        /** Up to the bound. */
        OPEN,
        /** Down under DROP_BACKLOG: every frame is dropped and counted. */
        DROPPING,
        /** The node is closing: nothing new; the writer flushes what is queued, then ends the stream. */
        SEALED,
        /** The peer is closed. */
        CLOSED
    }

    /** With a policy that drops from pending, the most bytes the writer takes at once: its write buffer's size. */
    private static final long TAKE_BYTES = 256 << 10;

    /** What one offer did. PACED: not appended, the queue is over the high-water mark (see {@link #offer(LazyFrame, long)}). */
    enum Offer { ACCEPTED, FULL, PACED, DROPPED_DISCONNECTED, PEER_CLOSED, NODE_CLOSED }

    private final long maxFrames;
    private final long maxBytes;
    private final long lowWaterFrames;
    private final long lowWaterBytes;
    private final boolean acknowledged;
    private final long maxAgeNanos;   // 0: frames never expire
    private final boolean dropOldest; // at the bound, evict the oldest pending frames instead of refusing the new one
    private final boolean takeLimited; // a policy drops from pending: the writer takes at most takeFrames / takeBytes
    private final long takeFrames;
    private final long takeBytes;

    private final ReentrantLock lock = new ReentrantLock();
    /** The writer waits here for frames, a due acknowledgement, a confirmation deadline, or the end of its connection. */
    private final Condition work = lock.newCondition();
    /** Blocked producers wait here for room. */
    private final Condition space = lock.newCondition();
    /** Close and awaitFlushed wait here for an empty backlog. */
    private final Condition flushed = lock.newCondition();

    // ---- guarded by lock ----
    private final FrameQueue resend = new FrameQueue();  // written before, to go first again; never expired or evicted
    private final FrameQueue pending = new FrameQueue(); // appended by producers, not yet taken by the writer
    private long takenFrames;                                // held by the writer, not yet written whole
    private long takenBytes;
    private boolean takenWrittenBefore;                      // the writer's batch came from resend
    private final SlabPins pins = new SlabPins();            // the slabs this backlog's records are in
    private final AckLedger ledger = new AckLedger(pins);    // written whole, waiting for the peer's word
    private long epoch;                                      // bumped when the queue is cleared under a writer
    private Admission admission = Admission.OPEN;
    private boolean connected;                               // only then are records kept in slab memory
    private Offer closedAs = Offer.PEER_CLOSED;              // what producers get once CLOSED
    private boolean writerParked;
    private int producersWaiting;                            // for room, or at the high-water mark
    private int producersAtMark;                             // of those, at the mark: only they care that it drained
    private int flushWaiters;
    private final BacklogCounters counters = new BacklogCounters();
    private volatile long saturatedSinceNanos;              // first time at the bound since last below low water; 0 if none
    private final HighWaterMark mark;                        // when producers that wait, wait before the bound

    /**
     * Also with a maximum age (0: none), the policy at the bound (evict the oldest pending, or refuse the new)
     * and the high-water mark for producers that wait (0: none).
     */
    Backlog(BacklogLimits limits, boolean acknowledged, long maxAgeNanos, boolean dropOldest, long highWaterBytes) {
        this.maxFrames = limits.maxFrames();
        this.maxBytes = limits.maxBytes();
        this.lowWaterFrames = limits.limitsFrames() ? maxFrames / 2 : Long.MAX_VALUE;
        this.lowWaterBytes = limits.limitsBytes() ? maxBytes / 2 : Long.MAX_VALUE;
        this.acknowledged = acknowledged;
        this.maxAgeNanos = maxAgeNanos;
        this.dropOldest = dropOldest;
        this.takeLimited = maxAgeNanos != 0 || dropOldest;
        this.takeFrames = Math.max(1, Math.min(lowWaterFrames, 1 << 16));
        this.takeBytes = Math.max(1, Math.min(lowWaterBytes, TAKE_BYTES));
        this.mark = new HighWaterMark(dropOldest ? 0 : highWaterBytes, maxBytes); // under DROP_OLDEST nobody waits
    }

    // ------------------------------------------------------------------ producers

    /** Appends if there is room; never blocks. A full backlog counts a drop unless {@code countFull} is false. */
    Offer offer(LazyFrame frame, boolean countFull) {
        return offer(frame, countFull, false);
    }

    /**
     * The same; with {@code paced}, for a caller that will wait: over the high-water mark it appends nothing
     * and returns PACED (then {@link #offer(LazyFrame, long)} waits).
     */
    Offer offer(LazyFrame frame, boolean countFull, boolean paced) {
        encodeEarly(frame);
        lock.lock();
        try {
            if (admission == Admission.OPEN && (hasRoom(frame) || madeRoom(frame))) { // the common case, checked once
                if (paced && pause(frame, 1) > 0) {
                    return Offer.PACED;
                }
                append(frame);
                return Offer.ACCEPTED;
            }
            Offer refusal = refusal(frame);
            if (refusal == Offer.FULL && countFull) {
                counters.dropped(DropReason.BACKLOG_FULL, frame.count());
            }
            return refusal;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends, waiting up to {@code timeoutNanos} for room; still full then, it counts a drop and returns FULL.
     * While the peer is connected and its writer keeps up, it also waits while the queue is over the
     * high-water mark (until the writer brings it back under), so a producer that waits runs at the peer's
     * pace with a short queue, not a full one; at the deadline, or once the writer makes no progress for a
     * while, the frame is appended if the bound has room.
     */
    Offer offer(LazyFrame frame, long timeoutNanos) throws InterruptedException {
        encodeEarly(frame);
        lock.lockInterruptibly();
        try {
            long left = timeoutNanos;
            while (true) {
                if (admission == Admission.OPEN && (hasRoom(frame) || madeRoom(frame))) {
                    long pause = pause(frame, left);
                    if (pause == 0) {
                        append(frame);
                        return Offer.ACCEPTED;
                    }
                    long start = System.nanoTime();
                    producersWaiting++;
                    producersAtMark++;
                    try {
                        space.awaitNanos(pause);
                    } finally {
                        producersWaiting--;
                        producersAtMark--;
                    }
                    left -= System.nanoTime() - start;
                    continue;
                }
                Offer refusal = refusal(frame);
                if (refusal != Offer.FULL) {
                    return refusal;
                }
                if (left <= 0 || dropOldest) { // under DROP_OLDEST nobody waits: nothing evictable means what is queued is on its way
                    counters.dropped(DropReason.BACKLOG_FULL, frame.count());
                    return Offer.FULL;
                }
                long wait = Math.min(left, untilHeadExpires()); // an expiry makes room, and nobody signals it
                long start = System.nanoTime();
                producersWaiting++;
                try {
                    space.awaitNanos(wait);
                } finally {
                    producersWaiting--;
                }
                left -= System.nanoTime() - start;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Encodes {@code frame} before the lock rather than under it (where the writer would wait for the
     * allocation, the clock and the copy) when this backlog looks likely to take it at once. The look is a
     * read without the lock, so only a hint: a wrong guess costs an encoding nobody takes, or an encoding
     * under the lock, never a wrong answer. A backlog that refuses as things stand (down and dropping, or
     * full) encodes nothing; nor does one over its high-water mark, so a frame that will wait there is
     * stamped (and, with a maximum age, born) when it is queued, not before its wait.
     */
    private void encodeEarly(LazyFrame frame) {
        if (!frame.isEncoded() && admission == Admission.OPEN && hasRoom(frame)
                && !mark.mayPause(unwrittenBytes(), frame.size())) {
            frame.frame(connected);
        }
    }

    /** How long a producer with {@code leftNanos} to wait waits at the high-water mark first; 0: none. Caller holds the lock. */
    private long pause(LazyFrame frame, long leftNanos) {
        return mark.pause(unwrittenBytes(), frame.size(), leftNanos);
    }

    /** Why a frame cannot be appended now; a DROPPING refusal is counted here. Caller holds the lock. */
    private Offer refusal(LazyFrame frame) {
        return switch (admission) {
            case OPEN -> {
                saturated();
                yield Offer.FULL;
            }
            case DROPPING -> {
                counters.dropped(DropReason.DISCONNECTED, frame.count());
                yield Offer.DROPPED_DISCONNECTED;
            }
            case SEALED -> Offer.NODE_CLOSED;
            case CLOSED -> closedAs;
        };
    }

    private long queuedFrames() {
        return resend.frames() + pending.frames() + takenFrames + ledger.frames();
    }

    private long queuedBytes() {
        return unwrittenBytes() + ledger.bytes();
    }

    /** Bytes the writer has yet to write: what the high-water mark counts (not what waits for the peer's word). */
    private long unwrittenBytes() {
        return resend.bytes() + pending.bytes() + takenBytes;
    }

    /**
     * At the bound (which starts the slow-consumer clock): drops expired frames from the head, then, under
     * DROP_OLDEST, evicts the oldest pending records (never one the writer took) until the new one fits, if
     * it can fit at all; otherwise evicts nothing. True if it fits now. Caller holds the lock.
     */
    private boolean madeRoom(LazyFrame frame) {
        saturated(); // at the bound, whatever makes room: a connected peer kept there is a slow consumer
        if (maxAgeNanos != 0) {
            expire(System.nanoTime());
        }
        if (dropOldest && fitsWithoutPending(frame)) { // evict only if evicting lets the new frame in
            while (!hasRoom(frame)) {
                removeHead(DropReason.EVICTED);
            }
        }
        return hasRoom(frame);
    }

    /** Whether {@code frame} would fit with every pending record gone: what the writer holds or has written stays. */
    private boolean fitsWithoutPending(LazyFrame frame) {
        return queuedFrames() - pending.frames() + frame.count() <= maxFrames
                && queuedBytes() - pending.bytes() + frame.size() <= maxBytes;
    }

    /** Nanoseconds until the head of {@code pending} is past the maximum age; Long.MAX_VALUE if never. Caller holds the lock. */
    private long untilHeadExpires() {
        Frame head = maxAgeNanos == 0 ? null : pending.peekFirst();
        if (head == null || head.bornNanos() == 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, head.bornNanos() + maxAgeNanos - System.nanoTime() + 1);
    }

    /** Drops the records at the head of {@code pending} older than the maximum age. Caller holds the lock. */
    private void expire(long nowNanos) {
        Frame head;
        while ((head = pending.peekFirst()) != null && head.bornNanos() != 0 && nowNanos - head.bornNanos() > maxAgeNanos) {
            removeHead(DropReason.EXPIRED);
        }
    }

    /** Drops the oldest pending record, never written: it gets no sequence number, so nothing later moves. */
    private void removeHead(DropReason reason) {
        Frame f = pending.pollFirst();
        pins.unpin(f);
        ledger.unappended(f.count());
        counters.dropped(reason, f.count());
        released(false); // room made by dropping is not the peer catching up: the slow-consumer clock runs on
    }

    private boolean hasRoom(LazyFrame frame) {
        return queuedFrames() + frame.count() <= maxFrames && queuedBytes() + frame.size() <= maxBytes;
    }

    private void append(LazyFrame offered) {
        Frame frame = offered.frame(connected);
        if (frame.slab() != null && !(connected && pins.tryPin(frame))) {
            frame = offered.onHeap(); // a peer down or behind keeps no slab memory: the pool stays free for the rest
        }
        boolean wasEmpty = pending.isEmpty();
        pending.addLast(frame);
        ledger.appended(frame.count());
        counters.queuedNow(queuedFrames());
        if (wasEmpty && writerParked) {
            work.signal();
        }
    }

    private void saturated() {
        if (saturatedSinceNanos == 0) {
            long now = System.nanoTime();
            saturatedSinceNanos = now == 0 ? 1 : now;
        }
    }

    // ------------------------------------------------------------------ the writer

    /**
     * Waits until there is something for the writer of {@code session}, and hands it over as a value. Frames
     * are taken all at once, {@code spare} (an empty deque the writer owns) taking their place.
     */
    WriterWork awaitWork(WriterSession session, ArrayDeque<Frame> spare) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            AckState owed = session.owed;
            while (true) {
                if (!session.open) {
                    return WriterWork.CONNECTION_OVER;
                }
                boolean awaitingAccept = session.confirmation == WriterSession.Confirmation.AWAIT_ACCEPT;
                long now = owed != null || awaitingAccept ? System.nanoTime() : 0;
                if (awaitingAccept && now - session.acceptDeadlineNanos >= 0) {
                    confirm(session, WriterSession.Confirmation.UNCONFIRMED); // no word from the peer in time: not a tether listener
                    awaitingAccept = false;
                }
                boolean sealed = admission == Admission.SEALED;
                boolean ackDue = owed != null && (owed.isDue(now) || (sealed && owed.hasPending())); // closing: pay what we owe now
                if (maxAgeNanos != 0 && !pending.isEmpty()) {
                    expire(now == 0 ? System.nanoTime() : now); // stale frames are dropped, not written
                }
                if (!resend.isEmpty() || !pending.isEmpty()) {
                    long ack = owed != null && owed.hasPending() ? owed.take() : -1; // a pending acknowledgement rides along
                    takenWrittenBefore = !resend.isEmpty(); // what was written before goes first, then what is new
                    FrameQueue from = takenWrittenBefore ? resend : pending;
                    long frames = from.frames();
                    long bytes = from.bytes();
                    // with a maximum age or drop-oldest, what the writer holds can no longer expire or be evicted,
                    // so it takes no more than half the bound and one write buffer, leaving the rest droppable
                    ArrayDeque<Frame> batch = takeLimited && !takenWrittenBefore && (frames > takeFrames || bytes > takeBytes)
                            ? from.take(spare, takeFrames, takeBytes)
                            : from.takeAll(spare); // one pointer swap
                    takenFrames += frames - from.frames();
                    takenBytes += bytes - from.bytes();
                    return new WriterWork.Frames(batch, ack, epoch);
                }
                if (ackDue) {
                    return new WriterWork.AckOnly(owed.take());
                }
                if (sealed && takenFrames == 0 && ledger.isEmpty()) {
                    return WriterWork.SHUT_DOWN_OUTPUT;
                }
                long waitNanos = Long.MAX_VALUE;
                if (owed != null && owed.hasPending()) {
                    waitNanos = owed.nanosUntilDue(now);
                }
                if (awaitingAccept && !ledger.isEmpty()) {
                    waitNanos = Math.min(waitNanos, Math.max(1, session.acceptDeadlineNanos - now));
                }
                writerParked = true;
                try {
                    if (waitNanos == Long.MAX_VALUE) {
                        work.await();
                    } else {
                        work.awaitNanos(waitNanos);
                    }
                } finally {
                    writerParked = false;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The writer of {@code session} wrote {@code frames[from..to)}, the oldest records it holds, whole. Plain
     * mode: they leave the backlog, or wait for the listener's ACCEPT. Acknowledged mode: they wait for an
     * acknowledgement.
     */
    void written(long batchEpoch, WriterSession session, Frame[] frames, int from, int to) {
        long count = 0; // plain mode: summed before the lock, since one write call can finish thousands of small frames
        long bytes = 0;
        for (int i = from; !acknowledged && i < to; i++) { // acknowledged mode holds each record, one by one
            count += frames[i].count();
            bytes += frames[i].size();
        }
        long now = mark.isOn() ? System.nanoTime() : 0; // the clock, too: producers wait on every instant this lock is held
        lock.lock();
        try {
            if (batchEpoch != epoch) {
                unpin(frames, from, to); // cleared under the writer (peer closed): counted as dropped already
                return;
            }
            boolean released;
            if (!acknowledged && session.confirmation != WriterSession.Confirmation.AWAIT_ACCEPT) {
                takenFrames -= count; // nothing is held: the lock is held as briefly for thousands of frames as for one
                takenBytes -= bytes;
                unpin(frames, from, to);
                counters.written(count, bytes, session.confirmation == WriterSession.Confirmation.UNCONFIRMED);
                released = true;
            } else {
                released = holdWritten(session, frames, from, to);
            }
            mark.progress(now);
            if (released || mark.isOn()) { // with a mark, what waits for the peer's word no longer counts against it
                released();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Frames written whole that wait for the peer's word: an acknowledgement, or a plain listener's ACCEPT.
     * True if some left the backlog meanwhile. Caller holds the lock.
     */
    private boolean holdWritten(WriterSession session, Frame[] frames, int from, int to) {
        boolean released = false;
        long seq = acknowledged ? ledger.firstUnheldSeq(resend.frames() + pending.frames() + takenFrames) : 0;
        for (int i = from; i < to; i++) {
            Frame f = frames[i];
            takenFrames -= f.count();
            takenBytes -= f.size();
            if (acknowledged) {
                counters.written(f, false);
                released |= !ledger.holdUnlessAcknowledged(f, seq);
                seq += f.count();
            } else {
                ledger.hold(f); // counted as written once the listener accepts
                while (ledger.frames() > lowWaterFrames || ledger.bytes() > lowWaterBytes) {
                    // never more than half the bound waits: a refusal comes within a round trip, and a
                    // listener that never answers must not make the backlog refuse frames meanwhile
                    counters.written(ledger.releaseOldest(), true);
                    released = true;
                }
            }
        }
        return released;
    }

    /** The connection ended with {@code frames[from..to)} unwritten: back to the head, in order, to go first next time. */
    void unwritten(long batchEpoch, Frame[] frames, int from, int to) {
        lock.lock();
        try {
            if (batchEpoch != epoch) {
                unpin(frames, from, to); // cleared meanwhile: already counted as dropped
                return;
            }
            FrameQueue head = takenWrittenBefore ? resend : pending; // written before: they keep their numbers, so never expire
            for (int i = to - 1; i >= from; i--) {
                head.addFirst(frames[i]);
                takenFrames -= frames[i].count();
                takenBytes -= frames[i].size();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records the writer held left the backlog; those in slabs no longer keep them. Caller holds the lock. */
    private void unpin(Frame[] frames, int from, int to) {
        if (pins.isEmpty()) {
            return; // nothing here in a slab: the common case for small frames, no walk
        }
        int i = from;
        while (i < to) {
            Slab s = frames[i].slab();
            int run = 1;
            while (i + run < to && frames[i + run].slab() == s) { // records of one broadcast stream share slabs: one step per run
                run++;
            }
            if (s != null) {
                pins.unpin(s, run);
            }
            i += run;
        }
    }

    /**
     * The writer cut record {@code cut} into {@code head}, written whole, and {@code tail}, to be written
     * again; it reports each next. Both count as records of their own from now on (the same bytes).
     */
    void split(Frame cut, Frame head, Frame tail) {
        lock.lock();
        try {
            pins.pinPart(head);
            pins.pinPart(tail);
            pins.unpin(cut);
        } finally {
            lock.unlock();
        }
    }

    /** The writer of {@code session} must look at its connection again (it ended). */
    void wakeWriter() {
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The connection of {@code session} is over and its writer has returned what it held. Frames waiting for
     * an acknowledgement, or written to a listener that refused the connection, go back to the head; frames
     * that only waited for an ACCEPT that never came count as written, unconfirmed.
     */
    void connectionEnded(WriterSession session, boolean refused) {
        lock.lock();
        try {
            connected = false; // from here on (before the lifecycle's disconnected()), nothing new goes in a slab
            session.refused = refused;
            if (acknowledged || refused) {
                requeueHeld();
            } else if (session.confirmation == WriterSession.Confirmation.AWAIT_ACCEPT) {
                confirm(session, WriterSession.Confirmation.UNCONFIRMED);
            }
            // down for who knows how long: what waits for the next connection keeps no slab memory
            resend.unshare(pins);
            pending.unshare(pins);
            ledger.unshare();
        } finally {
            lock.unlock();
        }
    }

    /** Plain mode: whether what the writer of {@code session} wrote still waits for the listener's ACCEPT. */
    boolean awaitsAccept(WriterSession session) {
        lock.lock();
        try {
            return session.confirmation == WriterSession.Confirmation.AWAIT_ACCEPT;
        } finally {
            lock.unlock();
        }
    }

    /** Plain mode: the listener accepted the connection of {@code session}; what it holds counts as written. */
    void accepted(WriterSession session) {
        lock.lock();
        try {
            if (session.confirmation == WriterSession.Confirmation.AWAIT_ACCEPT && !session.refused) {
                confirm(session, WriterSession.Confirmation.AT_ONCE);
            }
        } finally {
            lock.unlock();
        }
    }

    private void confirm(WriterSession session, WriterSession.Confirmation as) {
        session.confirmation = as;
        Frame[] held = ledger.releaseAll();
        for (Frame f : held) {
            counters.written(f, as == WriterSession.Confirmation.UNCONFIRMED);
        }
        if (held.length > 0) {
            released();
        }
    }

    private void requeueHeld() {
        ledger.requeueInto(resend);
    }

    // ------------------------------------------------------------------ acknowledged mode

    /** The peer acknowledged every frame up to {@code seq}. */
    void acknowledge(long seq) throws DisconnectException {
        long now = mark.isOn() ? System.nanoTime() : 0;
        lock.lock();
        try {
            long before = ledger.frames();
            ledger.acknowledge(seq, resend.frames() + pending.frames() + takenFrames, resend.frames() + pending.frames());
            if (ledger.frames() != before) {
                mark.progress(now);
                released();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The receiver's {@link AckState} is guarded by this lock; the reader records deliveries here. */
    void delivered(AckState owed, long seq, int frames) {
        lock.lock();
        try {
            if (owed.delivered(seq, frames, System.nanoTime()) && writerParked) {
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A new connection's receiver delivered everything up to {@code lastDelivered}: those frames leave the
     * head. Returns the sequence number of the first frame the writer will send.
     */
    long resumeAfter(long lastDelivered) throws DisconnectException {
        lock.lock();
        try {
            long lastSent = ledger.lastNumbered() - pending.frames(); // pending frames never left this node
            if (lastDelivered > lastSent) { // accepting it would count frames never delivered as acknowledged
                throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR, "peer says it processed frame " + lastDelivered
                        + " of our stream, but only frames up to " + lastSent + " were sent: its ResumePositions"
                        + " answer is wrong or from another stream; fix the answer, nothing is resumed until then");
            }
            if (ledger.resumeAfter(lastDelivered, resend, resend.frames() + pending.frames()) > 0) {
                released();
            }
            return ledger.firstUnheldSeq(resend.frames() + pending.frames());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ lifecycle (driven by PeerLifecycle)

    /**
     * Connected (again): frames are accepted up to the bound, unless the node or the peer is closing. The
     * high-water mark applies once the queue is below half of it: a replay after a reconnect does not hold
     * producers back.
     */
    void open() {
        lock.lock();
        try {
            connected = true;
            mark.connected(unwrittenBytes());
            if (admission == Admission.DROPPING) {
                admission = Admission.OPEN;
                space.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The connection ended: producers that wait at the high-water mark go on, up to the bound. */
    void disconnected() {
        lock.lock();
        try {
            connected = false;
            if (mark.disconnected()) {
                space.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Down under DROP_BACKLOG: clears the queue (counted as DISCONNECTED) and drops what is sent until {@link #open()}. */
    void dropWhileDown() {
        lock.lock();
        try {
            if (admission == Admission.OPEN) {
                admission = Admission.DROPPING;
            }
            clear(DropReason.DISCONNECTED);
        } finally {
            lock.unlock();
        }
    }

    /** The node is closing: refuse new frames, release blocked producers; writers flush, then end their streams. */
    void seal() {
        lock.lock();
        try {
            if (admission != Admission.CLOSED) {
                admission = Admission.SEALED;
            }
            space.signalAll();
            work.signalAll();
            flushed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closed for good: refuse everything, drop what is queued under {@code reason}. Returns the frames dropped. */
    long close(DropReason reason, boolean nodeClosing) {
        lock.lock();
        try {
            admission = Admission.CLOSED;
            closedAs = nodeClosing ? Offer.NODE_CLOSED : Offer.PEER_CLOSED;
            long n = queuedFrames();
            clear(reason);
            work.signalAll();
            space.signalAll();
            flushed.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    private void clear(DropReason reason) {
        counters.dropped(reason, queuedFrames());
        resend.clear(pins);
        pending.clear(pins);
        takenFrames = 0; // the writer's records stay counted in pins until it reports them
        takenBytes = 0;
        ledger.cleared();
        epoch++;
        released();
    }

    /** True if nothing is queued. */
    boolean isEmpty() {
        lock.lock();
        try {
            return queuedFrames() == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is queued (in acknowledged mode: nothing unacknowledged), the deadline passes or the peer closes. */
    boolean awaitFlushed(long deadlineNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            flushWaiters++;
            try {
                while (queuedFrames() != 0) {
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

    /** Something left the backlog: wake whoever waits for room, for an empty backlog, or to end the stream. Caller holds the lock. */
    private void released() {
        released(true);
    }

    /** The same; {@code drained} false when frames left by a policy (expired, evicted), not by being written. */
    private void released(boolean drained) {
        long queued = queuedFrames();
        long bytes = queuedBytes();
        boolean belowLowWater = queued <= lowWaterFrames && bytes <= lowWaterBytes;
        if (saturatedSinceNanos != 0 && belowLowWater && drained) {
            saturatedSinceNanos = 0;
        }
        mark.drained(unwrittenBytes());
        boolean wakeForRoom = producersWaiting > producersAtMark && (belowLowWater || queued == 0); // at half the bound, not on every write
        // at the mark, on every write call, to go on once back under it: waiting for half of it let the other
        // peers' writers run dry (batches of 64 to 4 peers were 10 to 20% slower that way, measured)
        boolean wakeAtMark = producersAtMark > 0;
        if (wakeForRoom || wakeAtMark) {
            space.signalAll();
        }
        if (flushWaiters > 0 && queued == 0) {
            flushed.signalAll();
        }
        if (admission == Admission.SEALED && writerParked && queued == 0) {
            work.signal(); // closing and the last frame left: the writer may now end the stream
        }
    }

    // ------------------------------------------------------------------ observation

    /** Since when a connected peer has been refused frames for lack of room, or 0. */
    long saturatedSinceNanos() {
        return saturatedSinceNanos;
    }

    /** A consistent snapshot of the counters. */
    Snapshot snapshot() {
        lock.lock();
        try {
            return counters.snapshot(queuedFrames(), queuedBytes(), ledger);
        } finally {
            lock.unlock();
        }
    }

    /** The most frames queued at once since the last call (0 if nothing was queued meanwhile); restarts from now. */
    long takePeriodHighWater() {
        lock.lock();
        try {
            return counters.takePeriodHighWater(queuedFrames());
        } finally {
            lock.unlock();
        }
    }

    /** Frames queued now. */
    long queued() {
        lock.lock();
        try {
            return queuedFrames();
        } finally {
            lock.unlock();
        }
    }

    /** The records queued and not held by a writer, oldest first (for {@link Internals}). */
    Frame[] records() {
        lock.lock();
        try {
            Frame[] first = resend.toArray();
            Frame[] then = pending.toArray();
            Frame[] all = java.util.Arrays.copyOf(first, first.length + then.length);
            System.arraycopy(then, 0, all, first.length, then.length);
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Whether some record here is in a slab (for {@link Internals}). */
    boolean holdsSlabMemory() {
        lock.lock();
        try {
            return !pins.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Frames dropped so far for any reason; no lock, so the watchdog can look at every peer cheaply. */
    long droppedTotal() {
        return counters.droppedTotal();
    }

    /** Counter values read together under the lock. */
    record Snapshot(long queuedFrames, long queuedBytes, long heldFrames, long framesWritten, long bytesWritten,
                    long framesUnconfirmed, long framesAcknowledged, long[] dropped) {
    }
}
