package dev.tether.cli;

import dev.tether.StreamId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code sink --resume-file}: what the sink processed, kept across restarts. An append-only file of one
 * fixed-size record per frame, written with a single {@code write()} from the message handler before the
 * frame is counted, so the effect (the count, rebuilt from the file on start) and the position (the
 * highest sequence number per stream) are one atomic step: a sink killed at any point kept both or neither
 * for each frame. On start a torn last record is cut off, the records are replayed into the counts, and
 * {@link #lastProcessed} answers the node's {@link dev.tether.ResumePositions} from them.
 *
 * <p>Not synced to disk: it survives the sink being killed (the kernel has the bytes), not its host
 * crashing. Layout (little-endian): a 40-byte header, then 40-byte records: sender session (8), stream (8),
 * sequence number (8; 0 for a hello), listen address index (4), payload length (4), the payload's first
 * 8 bytes (8; 0 if shorter).
 */
final class ResumeFile implements AutoCloseable {
    static final int RECORD_BYTES = 40;
    private static final byte[] HEADER = header();

    /** Receives each replayed frame on open. */
    interface Replay {
        void frame(int address, int length, long prefix);
    }

    private final Path path;
    private final FileChannel channel;
    private final Map<StreamId, Long> positions = new ConcurrentHashMap<>();
    private final long replayed;
    private volatile String failure; // the first write that failed, or null

    private ResumeFile(Path path, FileChannel channel, long replayed) {
        this.path = path;
        this.channel = channel;
        this.replayed = replayed;
    }

    /**
     * Opens (or creates) the file, replays its frames for addresses {@code 0..addresses-1} into {@code replay}
     * and positions itself after the last whole record.
     */
    static ResumeFile open(Path path, int addresses, Replay replay) throws UsageException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            throw new UsageException("--resume-file " + path + ": cannot open it (" + e + ")");
        }
        try {
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate((int) Math.min(size, HEADER.length));
            while (header.hasRemaining() && channel.read(header, header.position()) >= 0) {
                // a header is read whole
            }
            if (!Arrays.equals(header.array(), 0, header.position(), HEADER, 0, header.position())) {
                throw new UsageException("--resume-file " + path + ": not a sink resume file: give a new path, or one "
                        + "an earlier sink --resume-file wrote");
            }
            if (size < HEADER.length) { // new, or its header was cut off: nothing was recorded yet
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(HEADER), 0);
                channel.position(HEADER.length);
                return new ResumeFile(path, channel, 0);
            }
            long whole = HEADER.length + (size - HEADER.length) / RECORD_BYTES * RECORD_BYTES;
            if (whole != size) {
                channel.truncate(whole); // the last write was cut off by a kill: that frame was neither counted nor acknowledged
            }
            ResumeFile file = new ResumeFile(path, channel, (whole - HEADER.length) / RECORD_BYTES);
            file.replay(whole, addresses, replay);
            channel.position(whole);
            return file;
        } catch (IOException e) {
            close(channel);
            throw new UsageException("--resume-file " + path + ": cannot read it (" + e.getMessage() + ")");
        } catch (UsageException e) {
            close(channel);
            throw e;
        }
    }

    private void replay(long end, int addresses, Replay replay) throws IOException, UsageException {
        ByteBuffer chunk = ByteBuffer.allocate(RECORD_BYTES * 4096).order(ByteOrder.LITTLE_ENDIAN);
        long at = HEADER.length;
        while (at < end) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), end - at));
            while (chunk.hasRemaining()) {
                if (channel.read(chunk, at + chunk.position()) < 0) {
                    throw new IOException("the file ended early");
                }
            }
            chunk.flip();
            while (chunk.remaining() >= RECORD_BYTES) {
                StreamId stream = new StreamId(chunk.getLong(), chunk.getLong());
                long seq = chunk.getLong();
                int address = chunk.getInt();
                int length = chunk.getInt();
                long prefix = chunk.getLong();
                if (address < 0 || address >= addresses) {
                    throw new UsageException("--resume-file " + path + " has frames of listen address #" + (address + 1)
                            + " but --listen names " + addresses + ": give the same --listen as the run that wrote it");
                }
                positions.merge(stream, seq, Math::max);
                replay.frame(address, length, prefix);
            }
            at += chunk.limit();
        }
    }

    /** Records one frame; false (and {@link #failure()} says why) if the write failed: then it must not be counted. */
    boolean append(StreamId stream, long seq, int address, ByteBuffer payload) {
        int length = payload.remaining();
        long prefix = length >= 8 ? payload.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()) : 0;
        ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(stream.session()).putLong(stream.stream()).putLong(seq).putInt(address).putInt(length).putLong(prefix).flip();
        try {
            channel.write(record); // one write(): the record is whole, or absent (a kill between two writes tears nothing)
            if (record.hasRemaining()) {
                throw new IOException("short write (disk full?)");
            }
        } catch (IOException e) {
            if (failure == null) {
                failure = "cannot write --resume-file " + path + ": " + e.getMessage();
            }
            return false;
        }
        if (seq > 0) {
            positions.put(stream, seq); // one stream's frames come one at a time, in order
        }
        return true;
    }

    /** The last sequence number of {@code stream} recorded, 0 if none: the node asks on each new stream. */
    long lastProcessed(StreamId stream) {
        return positions.getOrDefault(stream, 0L);
    }

    /** Frames replayed from earlier runs. */
    long replayed() {
        return replayed;
    }

    /** Streams with a recorded position. */
    int streams() {
        return positions.size();
    }

    Path path() {
        return path;
    }

    /** Why a write failed, or null. */
    String failure() {
        return failure;
    }

    @Override
    public void close() {
        close(channel);
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was buffered: every record went out in its own write
        }
    }

    private static byte[] header() {
        byte[] h = new byte[RECORD_BYTES];
        Arrays.fill(h, (byte) ' ');
        byte[] text = "tether sink --resume-file, version 1".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, h, 0, text.length);
        h[h.length - 1] = '\n';
        return h;
    }
}
