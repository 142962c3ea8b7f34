package dev.tether.testing;

import dev.tether.StreamId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An append-only log of processed frames that is also the receiver's resume position: one fixed-size record
 * per frame (sender session, stream, sequence number, the payload's own number), each written with a single
 * {@code write()}, so the effect (the record) and the position (the same record) are kept or lost together.
 * A process killed at any point leaves whole records and at most one torn last record, which {@link #open}
 * cuts off. {@link #lastProcessed} answers from the records, as a {@link dev.tether.ResumePositions}.
 */
public final class ProcessedLog implements AutoCloseable {
    public static final int RECORD_BYTES = 32;

    /** One processed frame. */
    public record Entry(long session, long stream, long sequence, long payloadNumber) { }

    private final FileChannel channel;
    private final Map<StreamId, Long> positions = new ConcurrentHashMap<>();
    private final long tornBytes;

    private ProcessedLog(FileChannel channel, List<Entry> entries, long tornBytes) {
        this.channel = channel;
        this.tornBytes = tornBytes;
        for (Entry e : entries) {
            positions.merge(new StreamId(e.session(), e.stream()), e.sequence(), Math::max);
        }
    }

    /** Opens (or creates) the log for appending; a torn last record is cut off first. */
    public static ProcessedLog open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = channel.size();
        long whole = size - size % RECORD_BYTES;
        if (whole != size) {
            channel.truncate(whole);
        }
        channel.position(whole);
        return new ProcessedLog(channel, read(file, whole), size - whole);
    }

    /** Every whole record of a log, in the order written. */
    public static List<Entry> read(Path file) throws IOException {
        return read(file, Files.size(file));
    }

    private static List<Entry> read(Path file, long limit) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> entries = new ArrayList<>();
        for (long at = 0; at + RECORD_BYTES <= Math.min(limit, all.capacity()); at += RECORD_BYTES) {
            int i = (int) at;
            entries.add(new Entry(all.getLong(i), all.getLong(i + 8), all.getLong(i + 16), all.getLong(i + 24)));
        }
        return entries;
    }

    /** Bytes of a torn last record cut off when this log was opened. */
    public long tornBytes() {
        return tornBytes;
    }

    /** The last sequence number of {@code stream} in the log, 0 if none. */
    public long lastProcessed(StreamId stream) {
        return positions.getOrDefault(stream, 0L);
    }

    /** Appends one record with one write (frames of one stream come one at a time, in order). */
    public void append(StreamId stream, long sequence, long payloadNumber) {
        ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(stream.session()).putLong(stream.stream()).putLong(sequence).putLong(payloadNumber).flip();
        try {
            int written = channel.write(record); // one write() of 32 bytes to a regular file: whole, or not at all
            if (written != RECORD_BYTES) {
                throw new IOException("short write of " + written + " bytes");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        positions.put(stream, sequence);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
