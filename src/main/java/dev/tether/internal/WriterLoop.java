package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes to a connection. It takes a batch of frames from the head of the backlog
 * (under the backlog lock), copies them into a pooled buffer and writes it (outside the lock), one system
 * call per buffer, and then removes from the backlog exactly the frames whose every byte was taken by the
 * kernel. A frame cut off by a failed write stays at the head and is written whole, first, on the next
 * connection; a frame written whole is never written again.
 *
 * <p>Runs on a virtual thread {@code <node>-writer-<peer>} for the life of one connection.
 */
final class WriterLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WriterLoop.class);
    static final int MAX_BATCH_FRAMES = 1024;

    private final Connection connection;
    private final Backlog backlog;
    private final BufferPool buffers;
    private final Frame[] batch = new Frame[MAX_BATCH_FRAMES];
    private final long[] frameEnds = new long[MAX_BATCH_FRAMES]; // cumulative batch offset just past each frame

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
            Arrays.fill(batch, null);
            connection.loopEnded();
        }
    }

    private void writeUntilOver() throws IOException, InterruptedException {
        while (true) {
            int n = backlog.awaitBatch(connection, batch);
            if (n == Backlog.CONNECTION_OVER) {
                return;
            }
            if (n == Backlog.SHUT_DOWN_OUTPUT) {
                connection.closingLocally();
                connection.transport().shutdownOutput(); // the peer reads everything, then end-of-stream
                return;
            }
            writeBatch(n);
        }
    }

    /** Tells the backlog that frames [from, to) of the batch went out whole. */
    private void report(int from, int to) {
        long bytes = 0;
        for (int i = from; i < to; i++) {
            bytes += batch[i].size();
        }
        backlog.written(connection, to - from, bytes);
    }

    private void writeBatch(int n) throws IOException {
        ByteBuffer out = buffers.acquire();
        int reported = 0;   // frames already handed to backlog.written
        int completed = 0;  // frames whose last byte the kernel took
        try {
            long end = 0;
            if (connection.ackToWrite >= 0) {
                FrameCodec.putControl(out, FrameCodec.ACK, connection.ackToWrite);
                connection.ackToWrite = -1;
                end = FrameCodec.HEADER_BYTES;
            }
            for (int i = 0; i < n; i++) {
                end += batch[i].size();
                frameEnds[i] = end;
            }
            long written = 0;
            int fillIndex = 0;
            int fillOffset = 0;
            while (written < end) {
                while (out.hasRemaining() && fillIndex < n) {
                    byte[] bytes = batch[fillIndex].bytes();
                    int len = Math.min(out.remaining(), bytes.length - fillOffset);
                    out.put(bytes, fillOffset, len);
                    fillOffset += len;
                    if (fillOffset == bytes.length) {
                        fillIndex++;
                        fillOffset = 0;
                    }
                }
                out.flip();
                while (out.hasRemaining()) {
                    written += connection.transport().write(out);
                    while (completed < n && frameEnds[completed] <= written) {
                        completed++;
                    }
                    if (completed > reported && written < end) {
                        report(reported, completed); // free room as soon as the kernel took it
                        reported = completed;
                    }
                }
                out.clear();
            }
        } finally {
            buffers.release(out);
            if (completed > reported) {
                report(reported, completed);
            }
            Arrays.fill(batch, 0, n, null);
        }
    }
}
