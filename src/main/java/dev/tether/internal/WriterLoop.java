package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes to a connection. It asks the backlog for work ({@link Backlog#awaitWork}, a
 * value: frames, an acknowledgement only, end of stream, or the connection is over), copies the frames into
 * a pooled buffer and writes it, one system call per buffer, outside the lock. After each write call it tells
 * the backlog exactly which records the kernel took whole. When the connection ends, what it still holds
 * (the first record possibly cut off mid-frame) goes back to the head of the backlog, to be written whole,
 * first, on the next connection; a frame written whole is never written again.
 *
 * <p>Runs on a virtual thread {@code <node>-writer-<peer>} for the life of one connection.
 */
final class WriterLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WriterLoop.class);
    private static final int SMALL = 256;
    private static final int LARGE = 1 << 16; // a batch array or deque this big is not kept for the next burst
    private static final int GATHER_VIEWS = 64;        // views per gathering write: the JDK keeps a native array this big per thread
    private static final long GATHER_BYTES = 1 << 20;   // bytes per gathering write: fewer, larger calls than a copied buffer allows
    private static final long READER_GRACE_NANOS = 5_000_000_000L; // the reader is normally there within microseconds; bounds a stalled one

    private final Connection connection;
    private final Backlog backlog;
    private final BufferPool buffers;
    private final String peerName;

    // ---- this thread only ----
    private ArrayDeque<Frame> spare = new ArrayDeque<>(); // swapped into the backlog for producers to fill
    private Frame[] frames = new Frame[SMALL];            // the batch, oldest first
    private int head;                                     // frames[head..count) are not yet written whole
    private int count;
    private int headDone;                                 // frames of frames[head] written whole (a record of several)
    private long epoch;                                   // the backlog epoch the batch was taken in
    // ---- during one write(): where it stands ----
    private int fill;                                     // next record to hand to the kernel
    private int fillOffset;                               // bytes of frames[fill] already copied into the buffer
    private int headAt;                                   // start of the next frame of frames[head] to finish
    private int headEnd;                                  // its end
    private int headWritten;                              // how far into it the kernel took
    private int controlLeft;                              // bytes of an acknowledgement still to go, ahead of frames
    private final ByteBuffer[] iov = new ByteBuffer[GATHER_VIEWS];

    WriterLoop(Connection connection, Backlog backlog, BufferPool buffers, String peerName) {
        this.connection = connection;
        this.backlog = backlog;
        this.buffers = buffers;
        this.peerName = peerName;
    }

    @Override
    public void run() {
        try {
            writeUntilOver();
        } catch (IOException e) {
            Failure why = Failure.of(e);
            if (backlog.awaitsAccept(connection.session())) {
                // a listener's refusal arrives just before its reset: the reader names it, and what we hold is sent again
                connection.awaitEndByReader(READER_GRACE_NANOS);
                if (why.reason() == DisconnectReason.HANDSHAKE_FAILED) {
                    why = why.asRefusal(); // a TLS alert before any answer: refused, as the reader rules
                }
            }
            connection.fail(why);
        } catch (InterruptedException e) {
            connection.fail(new Failure(DisconnectReason.LOCAL_CLOSE, "writer interrupted"));
        } catch (RuntimeException | Error e) {
            log.error("writer of {} failed; closing the connection", peerName, e);
            connection.fail(new Failure(DisconnectReason.IO_ERROR, "writer failed: " + e));
        } finally {
            returnUnwritten();
        }
    }

    private void writeUntilOver() throws IOException, InterruptedException {
        ByteBuffer preamble = connection.session().preamble;
        if (preamble != null) {
            long now = System.nanoTime();
            connection.session().preambleSinceNanos = now == 0 ? 1 : now; // from here, not from CONNECTED: a slow event listener is not the peer
            ConnectionSetup.writeFully(connection.transport(), preamble);
            connection.session().preambleSinceNanos = 0; // the peer took all of it
        }
        while (true) {
            switch (backlog.awaitWork(connection.session(), spare)) {
                case WriterWork.ConnectionOver over -> {
                    return;
                }
                case WriterWork.ShutDownOutput end -> {
                    connection.session().outputShutDown = true;
                    connection.transport().shutdownOutput(); // the peer reads everything, then end-of-stream
                    return;
                }
                case WriterWork.AckOnly ack -> write(ack.ack());
                case WriterWork.Frames batch -> {
                    take(batch);
                    write(batch.ack());
                }
            }
        }
    }

    /** Moves the swapped-out deque into the batch array; the emptied deque becomes the next spare. */
    private void take(WriterWork.Frames batch) {
        ArrayDeque<Frame> taken = batch.frames();
        epoch = batch.epoch();
        head = 0;
        headDone = 0;
        int n = taken.size();
        if (frames.length < n) {
            frames = new Frame[Math.max(n, frames.length * 2)];
        }
        taken.toArray(frames); // bulk copies of the deque's array, not a poll per frame
        count = n;
        taken.clear();
        spare = n > LARGE ? new ArrayDeque<>() : taken; // do not keep a huge array around for one burst
    }

    /** Writes the acknowledgement (if {@code ack} is not negative), then frames[head..count). */
    private void write(long ack) throws IOException {
        ByteBuffer out = buffers.acquire();
        try {
            controlLeft = 0;
            if (ack >= 0) {
                FrameCodec.putControl(out, FrameCodec.ACK, ack);
                controlLeft = FrameCodec.HEADER_BYTES;
            }
            fill = head;
            fillOffset = 0;
            startHead();
            boolean gathers = connection.transport().gathers();
            while (out.position() > 0 || fill < count) {
                if (gathers && fill < count && fillOffset == 0 && frames[fill].slab() != null) {
                    gather(out); // records in slabs go to the kernel straight from there, no copy
                    continue;
                }
                while (out.hasRemaining() && fill < count) {
                    Frame f = frames[fill];
                    if (gathers && fillOffset == 0 && f.slab() != null) {
                        break;
                    }
                    int len = Math.min(out.remaining(), f.size() - fillOffset);
                    f.copyTo(out, fillOffset, len);
                    fillOffset += len;
                    if (fillOffset == f.size()) {
                        fill++;
                        fillOffset = 0;
                    }
                }
                out.flip();
                while (out.hasRemaining()) {
                    int k = connection.transport().write(out);
                    taken(k, !out.hasRemaining() && fillOffset == 0);
                }
                out.clear();
            }
        } finally {
            buffers.release(out);
        }
        if (head == count && frames.length > LARGE) {
            frames = new Frame[SMALL];
        }
    }

    /**
     * One gathering write call after another of {@code out}'s bytes (an acknowledgement), if any, then of
     * the records in slabs from {@code fill} on, one view per run of records back to back in one slab.
     */
    private void gather(ByteBuffer out) throws IOException {
        int n = 0;
        long total = 0;
        if (out.position() > 0) {
            iov[n++] = out.flip();
            total += out.remaining();
        }
        Slab runSlab = null;
        while (fill < count && n < iov.length && total < GATHER_BYTES) {
            Frame f = frames[fill];
            if (f.slab() == null) {
                break;
            }
            ByteBuffer last = n > 0 ? iov[n - 1] : null;
            if (f.slab() == runSlab && last.limit() == f.offset()) {
                last.limit(f.offset() + f.size()); // the next record in the same slab: the same view, longer
            } else {
                iov[n++] = f.slab().view(f.offset(), f.size());
                runSlab = f.slab();
            }
            total += f.size();
            fill++;
        }
        int from = 0;
        try {
            while (from < n) {
                long k = connection.transport().write(iov, from, n - from);
                total -= k;
                taken((int) k, total == 0);
                while (from < n && !iov[from].hasRemaining()) {
                    from++;
                }
            }
        } finally {
            Arrays.fill(iov, 0, n, null);
            out.clear();
        }
    }

    /**
     * The kernel took {@code k} more bytes (an acknowledgement's first): maps them onto frame boundaries and
     * reports the records now written whole. {@code toFill}: they end where frames[fill] starts.
     */
    private void taken(int k, boolean toFill) {
        int skip = Math.min(k, controlLeft);
        controlLeft -= skip;
        k -= skip;
        int from = head;
        if (toFill && k > 0) {
            // the common case: the kernel took all that was handed to it, which ends on a record boundary
            head = fill;
            headDone = 0;
            startHead();
            k = 0;
        }
        while (k > 0 && head < count) {
            int step = Math.min(k, headEnd - headWritten);
            k -= step;
            headWritten += step;
            if (headWritten < headEnd) {
                break;
            }
            Frame f = frames[head];
            if (++headDone < f.count()) {
                headAt = headEnd;
                headEnd = f.frameEnd(headAt);
            } else {
                head++;
                headDone = 0;
                startHead();
            }
        }
        if (head > from) { // one report per write call: producers see room as soon as the kernel took it
            backlog.written(epoch, connection.session(), frames, from, head);
            Arrays.fill(frames, from, head, null);
        }
    }

    /** frames[head] is next to finish: where its first frame starts and ends, nothing of it written yet. */
    private void startHead() {
        headAt = head < count ? frames[head].offset() : 0;
        headEnd = head < count ? frames[head].frameEnd(headAt) : 0;
        headWritten = headAt;
    }

    /**
     * What is left goes back to the backlog. A record of several frames cut off after some of them were
     * written whole is split: those count as written, the rest is written again.
     */
    private void returnUnwritten() {
        if (head < count) {
            if (headDone > 0) {
                Frame cut = frames[head];
                Frame written = cut.head(headDone);
                Frame rest = cut.tail(headDone);
                backlog.split(cut, written, rest);
                frames[head] = written;
                backlog.written(epoch, connection.session(), frames, head, head + 1);
                frames[head] = rest;
            }
            backlog.unwritten(epoch, frames, head, count);
        }
        Arrays.fill(frames, null);
        head = 0;
        count = 0;
    }
}
