package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes to a connection. It takes everything pending in the backlog at once (a
 * pointer swap under the backlog lock), copies the frames into a pooled buffer and writes it, one system
 * call per buffer, outside the lock. After each write call it tells the backlog exactly which frames the
 * kernel took whole. When the connection ends, the frames it still holds (the first possibly cut off
 * mid-write) go back to the head of the backlog, to be written whole, first, on the next connection; a
 * frame written whole is never written again.
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

    // ---- this thread only ----
    private ArrayDeque<Frame> spare = new ArrayDeque<>(); // swapped into the backlog for producers to fill
    private Frame[] frames = new Frame[SMALL];            // the batch, oldest first
    private int head;                                     // frames[head..count) are not yet written whole
    private int count;

    WriterLoop(Connection connection, BufferPool buffers) {
        this.connection = connection;
        this.backlog = connection.peer().backlog();
        this.buffers = buffers;
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
            log.error("writer of {} failed; closing the connection", connection.peer(), e);
            connection.fail(new Failure(DisconnectReason.IO_ERROR, "writer failed: " + e));
        } finally {
            if (head < count) {
                backlog.unwritten(connection, frames, head, count);
            }
            Arrays.fill(frames, null);
            connection.loopEnded();
        }
    }

    private void writeUntilOver() throws IOException, InterruptedException {
        while (true) {
            int outcome = backlog.awaitBatch(connection, spare);
            if (outcome == Backlog.CONNECTION_OVER) {
                return;
            }
            if (outcome == Backlog.SHUT_DOWN_OUTPUT) {
                connection.closingLocally();
                connection.transport().shutdownOutput(); // the peer reads everything, then end-of-stream
                return;
            }
            take(connection.batch);
            connection.batch = null;
            writeBatch();
        }
    }

    /** Moves the swapped-out deque into the batch array; the emptied deque becomes the next spare. */
    private void take(ArrayDeque<Frame> batch) {
        head = 0;
        count = 0;
        if (batch == null) {
            return; // an acknowledgement only: our spare was not swapped in
        }
        int n = batch.size();
        if (frames.length < n) {
            frames = new Frame[Math.max(n, frames.length * 2)];
        }
        for (Frame f; (f = batch.pollFirst()) != null; ) {
            frames[count++] = f;
        }
        spare = n > LARGE ? new ArrayDeque<>() : batch; // do not keep a huge array around for one burst
    }

    private void writeBatch() throws IOException {
        ByteBuffer out = buffers.acquire();
        try {
            int controlLeft = 0; // bytes of an acknowledgement at the start of the first buffer, not a frame
            if (connection.ackToWrite >= 0) {
                FrameCodec.putControl(out, FrameCodec.ACK, connection.ackToWrite);
                connection.ackToWrite = -1;
                controlLeft = FrameCodec.HEADER_BYTES;
            }
            int fill = head;      // next frame to copy into the buffer
            int fillOffset = 0;   // bytes of frames[fill] already copied
            int headLeft = head < count ? frames[head].size() : 0; // bytes of frames[head] not yet written
            while (out.position() > 0 || fill < count) {
                while (out.hasRemaining() && fill < count) {
                    byte[] bytes = frames[fill].bytes();
                    int len = Math.min(out.remaining(), bytes.length - fillOffset);
                    out.put(bytes, fillOffset, len);
                    fillOffset += len;
                    if (fillOffset == bytes.length) {
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
                    long bytes = 0;
                    while (k > 0 && head < count) {
                        int step = Math.min(k, headLeft);
                        k -= step;
                        headLeft -= step;
                        if (headLeft == 0) {
                            bytes += frames[head].size();
                            head++;
                            headLeft = head < count ? frames[head].size() : 0;
                        }
                    }
                    if (head > from) { // one report per write call: producers see room as soon as the kernel took it
                        backlog.written(connection, frames, from, head, bytes);
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
}
