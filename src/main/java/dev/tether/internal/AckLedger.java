package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Frames written whole that wait for the peer's word: in acknowledged mode, its acknowledgement (with the
 * sequence numbers that go with it); in plain mode, the listener's ACCEPT. Each record's frames are numbered
 * in the order the backlog accepted them, from 1; the numbers are implicit (see docs/wire-format.md), so
 * only counts are kept. Guarded by the lock of the {@link Backlog} that owns it.
 */
final class AckLedger {
    private final ArrayDeque<Frame> held = new ArrayDeque<>();
    private long heldFrames;
    private long heldBytes;
    private long nextSeq = 1;        // number of the next frame the backlog accepts
    private long ackedThrough;       // highest cumulative acknowledgement received
    private long acknowledgedFrames; // released by acknowledgements, for the statistics

    long frames() {
        return heldFrames;
    }

    long bytes() {
        return heldBytes;
    }

    boolean isEmpty() {
        return heldFrames == 0;
    }

    long acknowledgedFrames() {
        return acknowledgedFrames;
    }

    /** The backlog accepted {@code frames} new frames. */
    void appended(int frames) {
        nextSeq += frames;
    }

    /** {@code frames} accepted frames left the backlog before they were written: they never got a number. */
    void unappended(int frames) {
        nextSeq -= frames;
    }

    /** The number of the oldest frame not held here, given how many frames are not yet written. */
    long firstUnheldSeq(long unwrittenFrames) {
        return nextSeq - unwrittenFrames;
    }

    /** Keeps a record written whole until the peer's word. */
    void hold(Frame f) {
        held.addLast(f);
        heldFrames += f.count();
        heldBytes += f.size();
    }

    /**
     * Acknowledged mode: a record written whole starting at frame {@code firstSeq}; kept, unless the peer
     * already acknowledged all of it (a fast receiver can, before our write call returned). True if kept.
     */
    boolean holdUnlessAcknowledged(Frame f, long firstSeq) {
        if (held.isEmpty() && firstSeq + f.count() - 1 <= ackedThrough) {
            acknowledgedFrames += f.count();
            return false;
        }
        hold(f);
        return true;
    }

    /**
     * The peer acknowledged every frame up to {@code seq}; {@code unwrittenFrames} are not yet written and
     * {@code pendingFrames} of those not even taken by the writer. Releases every record acknowledged whole.
     */
    void acknowledge(long seq, long unwrittenFrames, long pendingFrames) throws DisconnectException {
        long lastSent = nextSeq - pendingFrames - 1; // frames the writer took may be on the wire already
        if (seq > lastSent) {
            throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR,
                    "peer acknowledged frame " + seq + " but only frames up to " + lastSent + " were sent");
        }
        if (seq <= ackedThrough) {
            return;
        }
        ackedThrough = seq;
        long head = nextSeq - unwrittenFrames - heldFrames;
        while (!held.isEmpty() && head + held.peekFirst().count() - 1 <= seq) {
            Frame f = held.pollFirst();
            head += f.count();
            release(f);
            acknowledgedFrames += f.count();
        }
    }

    /** Plain mode: the peer accepted; every held record counts as written. Returns what was released. */
    Frame[] releaseAll() {
        Frame[] all = held.toArray(new Frame[0]);
        held.clear();
        heldFrames = 0;
        heldBytes = 0;
        return all;
    }

    /** Plain mode: the oldest held record leaves without the peer's word (see {@link Backlog#written}). */
    Frame releaseOldest() {
        Frame f = held.pollFirst();
        release(f);
        return f;
    }

    /** The connection ended: held records go back in front of {@code pending}, in order, to be written again. */
    void requeueInto(ArrayDeque<Frame> pending) {
        for (Iterator<Frame> it = held.descendingIterator(); it.hasNext(); ) {
            pending.addFirst(it.next());
        }
        held.clear();
        heldFrames = 0;
        heldBytes = 0;
    }

    /**
     * A new connection's receiver delivered every frame up to {@code lastDelivered}: those leave the head
     * of {@code pending} (nothing is held or taken at this point). Returns the frames and bytes removed,
     * and records the delivery as an acknowledgement.
     */
    long[] resumeAfter(long lastDelivered, ArrayDeque<Frame> pending, long pendingFrames) {
        long head = nextSeq - pendingFrames;
        long frames = 0;
        long bytes = 0;
        while (!pending.isEmpty() && head <= lastDelivered) {
            Frame f = pending.pollFirst();
            int delivered = (int) Math.min(f.count(), lastDelivered - head + 1);
            head += delivered;
            frames += delivered;
            if (delivered < f.count()) {
                Frame rest = f.tail(delivered);
                bytes += f.size() - rest.size();
                pending.addFirst(rest);
                break;
            }
            bytes += f.size();
        }
        acknowledgedFrames += frames;
        if (lastDelivered > ackedThrough) {
            ackedThrough = lastDelivered;
        }
        return new long[] {frames, bytes};
    }

    /** Everything queued was dropped: numbers are never reused, and a receiver may have delivered some of them. */
    void cleared() {
        held.clear();
        heldFrames = 0;
        heldBytes = 0;
        ackedThrough = nextSeq - 1;
    }

    private void release(Frame f) {
        heldFrames -= f.count();
        heldBytes -= f.size();
    }
}
