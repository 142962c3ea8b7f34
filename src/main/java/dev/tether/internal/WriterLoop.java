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
            connection.fail(Failure.of(e));
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
            ConnectionSetup.writeFully(connection.transport(), preamble);
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
            int controlLeft = 0; // bytes of an acknowledgement at the start of the first buffer, not a frame
            if (ack >= 0) {
                FrameCodec.putControl(out, FrameCodec.ACK, ack);
                controlLeft = FrameCodec.HEADER_BYTES;
            }
            int fill = head;                                             // next record to copy into the buffer
            int fillOffset = 0;                                          // bytes of frames[fill] already copied
            int headAt = head < count ? frames[head].offset() : 0;       // start, in its array, of the next frame to finish
            int headEnd = head < count ? frames[head].frameEnd(headAt) : 0;
            int headWritten = headAt;                                    // bytes of frames[head] the kernel took, as an array index
            while (out.position() > 0 || fill < count) {
                while (out.hasRemaining() && fill < count) {
                    Frame f = frames[fill];
                    int len = Math.min(out.remaining(), f.size() - fillOffset);
                    out.put(f.bytes(), f.offset() + fillOffset, len);
                    fillOffset += len;
                    if (fillOffset == f.size()) {
                        fill++;
                        fillOffset = 0;
                    }
                }
                out.flip();
                while (out.hasRemaining()) {
                    int k = connection.transport().write(out);
                    int skip = Math.min(k, controlLeft);
                    controlLeft -= skip;
                    k -= skip;
                    int from = head;
                    if (!out.hasRemaining() && fillOffset == 0 && k > 0) {
                        // the common case: the kernel took the whole buffer, which ends on a record boundary
                        head = fill;
                        headDone = 0;
                        headAt = head < count ? frames[head].offset() : 0;
                        headEnd = head < count ? frames[head].frameEnd(headAt) : 0;
                        headWritten = headAt;
                        k = 0;
                    }
                    while (k > 0 && head < count) { // map the bytes the kernel took onto frame boundaries
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
                            headAt = head < count ? frames[head].offset() : 0;
                            headEnd = head < count ? frames[head].frameEnd(headAt) : 0;
                            headWritten = headAt;
                        }
                    }
                    if (head > from) { // one report per write call: producers see room as soon as the kernel took it
                        backlog.written(epoch, connection.session(), frames, from, head);
                        Arrays.fill(frames, from, head, null);
                    }
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
     * What is left goes back to the backlog. A record of several frames cut off after some of them were
     * written whole is split: those count as written, the rest is written again.
     */
    private void returnUnwritten() {
        if (head < count) {
            if (headDone > 0) {
                Frame cut = frames[head];
                frames[head] = cut.head(headDone);
                backlog.written(epoch, connection.session(), frames, head, head + 1);
                frames[head] = cut.tail(headDone);
            }
            backlog.unwritten(epoch, frames, head, count);
        }
        Arrays.fill(frames, null);
        head = 0;
        count = 0;
    }
}
