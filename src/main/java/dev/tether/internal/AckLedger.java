package dev.tether.internal;

import dev.tether.DisconnectReason;

/**
 * Frames written whole that wait for the peer's word: in acknowledged mode, its acknowledgement (with the
 * sequence numbers that go with it); in plain mode, the listener's ACCEPT. Each record's frames are numbered
 * in the order the backlog accepted them, from 1; the numbers are implicit (see docs/wire-format.md), so
 * only counts are kept. Guarded by the lock of the {@link Backlog} that owns it.
 */
final class AckLedger {
    private final FrameQueue held = new FrameQueue();
    private final SlabPins pins;     // the backlog's: a record that leaves here leaves the backlog
    private long nextSeq = 1;        // number of the next frame the backlog accepts
    private long ackedThrough;       // highest cumulative acknowledgement received
    private long acknowledgedFrames; // released by acknowledgements, for the statistics

    AckLedger(SlabPins pins) {
        this.pins = pins;
    }

    long frames() {
        return held.frames();
    }

    long bytes() {
        return held.bytes();
    }

    boolean isEmpty() {
        return held.isEmpty();
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

    /** The number of the newest frame the backlog accepted (0 before the first). */
    long lastNumbered() {
        return nextSeq - 1;
    }

    /** The number of the oldest frame not held here, given how many frames are not yet written. */
    long firstUnheldSeq(long unwrittenFrames) {
        return nextSeq - unwrittenFrames;
    }

    /** Keeps a record written whole until the peer's word. */
    void hold(Frame f) {
        held.addLast(f);
    }

    /**
     * Acknowledged mode: a record written whole starting at frame {@code firstSeq}; kept, unless the peer
     * already acknowledged all of it (a fast receiver can, before our write call returned). True if kept.
     */
    boolean holdUnlessAcknowledged(Frame f, long firstSeq) {
        if (held.isEmpty() && firstSeq + f.count() - 1 <= ackedThrough) {
            acknowledgedFrames += f.count();
            pins.unpin(f);
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
        long head = nextSeq - unwrittenFrames - held.frames();
        while (!held.isEmpty() && head + held.peekFirst().count() - 1 <= seq) {
            Frame f = held.pollFirst();
            head += f.count();
            acknowledgedFrames += f.count();
            pins.unpin(f);
        }
    }

    /** Plain mode: the peer accepted; every held record counts as written. Returns what was released. */
    Frame[] releaseAll() {
        Frame[] all = held.toArray();
        held.clear(pins);
        return all;
    }

    /** Plain mode: the oldest held record leaves without the peer's word (see {@link Backlog#written}). */
    Frame releaseOldest() {
        Frame f = held.pollFirst();
        pins.unpin(f);
        return f;
    }

    /** The connection ended: held records go back in front of {@code pending}, in order, to be written again. */
    void requeueInto(FrameQueue pending) {
        held.moveInFrontOf(pending);
    }

    /**
     * A new connection's receiver delivered every frame up to {@code lastDelivered}: those leave the head
     * of {@code pending} (nothing is held or taken at this point), whose head is the oldest of
     * {@code unwrittenFrames} frames. Returns the frames removed, and records the delivery as an acknowledgement.
     */
    long resumeAfter(long lastDelivered, FrameQueue pending, long unwrittenFrames) {
        long head = nextSeq - unwrittenFrames;
        long frames = 0;
        while (!pending.isEmpty() && head <= lastDelivered) {
            Frame f = pending.pollFirst();
            int delivered = (int) Math.min(f.count(), lastDelivered - head + 1);
            head += delivered;
            frames += delivered;
            if (delivered < f.count()) {
                Frame rest = f.tail(delivered);
                pins.pinPart(rest);
                pins.unpin(f);
                pending.addFirst(rest);
                break;
            }
            pins.unpin(f);
        }
        acknowledgedFrames += frames;
        if (lastDelivered > ackedThrough) {
            ackedThrough = lastDelivered;
        }
        return frames;
    }

    /** The peer is down: held records in slabs become heap copies (see {@link FrameQueue#unshare}). */
    void unshare() {
        held.unshare(pins);
    }

    /** Everything queued was dropped: numbers are never reused, and a receiver may have delivered some of them. */
    void cleared() {
        held.clear(pins);
        ackedThrough = nextSeq - 1;
    }
}
