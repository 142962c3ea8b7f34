package dev.tether.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * The wire format, in one place. A data frame is a 4-byte little-endian payload length, an 8-byte
 * little-endian send timestamp (nanoseconds since the Unix epoch) and the payload; this is the format of the
 * {@code flux-network} crate. A length with the top bit set is never a data frame: acknowledged mode uses
 * such words for its control frames (see docs/wire-format.md), and a plain node treats them as too large.
 *
 * <p>Plain tether nodes also exchange <em>markers</em>: zero-length data frames (which every receiver of
 * the format skips) whose timestamp field carries a tag no clock produces (the top 16 bits {@code 0xA7E7},
 * so the value is negative), a marker type and a 40-bit value. A listener sends ACCEPT first on every
 * connection it takes; a connector that has seen ACCEPT from a peer names its previous connection with
 * SUCCEEDS when it reconnects; REFUSE says why a listener will not take a connection.
 */
public final class FrameCodec {

    /** Length word plus timestamp. */
    public static final int HEADER_BYTES = 12;
    /** Set in the length word of every control frame. */
    public static final int CONTROL_BIT = 0x8000_0000;

    /** Control frame: handshake; value = body length, then {@link #HELLO_BODY_BYTES} of body. */
    public static final int HELLO = 1;
    /** Control frame: value = the last sequence number the receiver delivered from this stream (0: none). */
    public static final int RESUME = 2;
    /** Control frame: value = cumulative acknowledgement, every frame up to it was delivered. */
    public static final int ACK = 3;
    /** Control frame: value = the sequence number of the next data frame on this connection. */
    public static final int START = 4;

    /** "TTHR" in the first four body bytes of a hello. */
    public static final int HELLO_MAGIC = 0x52485454;
    /** The protocol version this build speaks. */
    public static final int PROTOCOL_VERSION = 1;
    /** magic(4) version(2) flags(2) session(8) stream(8). */
    public static final int HELLO_BODY_BYTES = 24;
    /** The largest hello body a future version may send that this version still reads (and then refuses). */
    public static final int MAX_HELLO_BODY_BYTES = 4096;
    /** Hello flag: the sender runs acknowledged delivery. */
    public static final int FLAG_ACKNOWLEDGED = 1;
    /** Hello flag: the sender's stream survives reconnects (an outbound peer), so the receiver remembers it. */
    public static final int FLAG_RESUMABLE = 2;

    /** Marker: the listener took this connection; value = the connection's id at the listener. */
    public static final int MARK_ACCEPT = 1;
    /** Marker: the listener will not take this connection; value = one of the {@code REFUSE_*} codes. */
    public static final int MARK_REFUSE = 2;
    /** Marker, first on a reconnect: value = the id the listener gave the connection this one replaces. */
    public static final int MARK_SUCCEEDS = 3;
    /** REFUSE code: the listener has as many inbound connections as it takes. */
    public static final int REFUSE_FULL = 1;
    /** REFUSE code: the listener speaks TLS only. */
    public static final int REFUSE_TLS_REQUIRED = 2;
    /** The largest marker value: 40 bits. */
    public static final long MARK_VALUE_MASK = (1L << 40) - 1;

    private static final long MARK_TAG = 0xA7E7L;
    /** The low 20 bits of a hello's timestamp (about a millisecond): only hellos carry them, so a receiver knows one. */
    private static final long HELLO_STAMP = 0xA7E71L;
    private static final long HELLO_STAMP_MASK = (1L << 20) - 1;

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private FrameCodec() {
    }

    /** The wall clock's offset from the monotonic clock, and when it was read (see {@link #epochNanos(long)}). */
    private record ClockSync(long offsetNanos, long atNanos) {
        static ClockSync now() {
            long mono = System.nanoTime();
            Instant wall = Instant.now();
            return new ClockSync(wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - mono, mono);
        }
    }

    private static final long RESYNC_NANOS = 1_000_000_000L;
    private static volatile ClockSync clockSync = ClockSync.now();

    /** Nanoseconds since the Unix epoch, the header's timestamp. */
    public static long epochNanos() {
        return epochNanos(System.nanoTime());
    }

    /**
     * The same, for the monotonic time {@code monoNanos}: a frame costs one clock read, not two, and a
     * monotonic read costs less than {@code Instant.now()}; the offset is read again every second, so a
     * step of the system clock shows within a second.
     */
    static long epochNanos(long monoNanos) {
        ClockSync sync = clockSync;
        if (monoNanos - sync.atNanos() > RESYNC_NANOS) {
            sync = ClockSync.now(); // a race re-reads it twice: harmless
            clockSync = sync;
        }
        return monoNanos + sync.offsetNanos();
    }

    /** Encodes {@code length} bytes of {@code payload} from {@code offset}, stamped with {@code epochNanos}. */
    public static Frame encode(byte[] payload, int offset, int length, long epochNanos) {
        return encode(payload, offset, length, epochNanos, 0);
    }

    /** The same, for a record born at {@code bornNanos} ({@link System#nanoTime()}; 0 for none). */
    static Frame encode(byte[] payload, int offset, int length, long epochNanos, long bornNanos) {
        byte[] bytes = new byte[HEADER_BYTES + length];
        System.arraycopy(payload, offset, bytes, HEADER_BYTES, length); // first: the JIT then need not zero what it copies
        INT_LE.set(bytes, 0, length);
        LONG_LE.set(bytes, 4, notHello(epochNanos));
        return new Frame(bytes, 0, bytes.length, 1, bornNanos);
    }

    /** Encodes the remaining bytes of {@code payload} without moving its position. */
    public static Frame encode(ByteBuffer payload, long epochNanos) {
        return encode(payload, epochNanos, 0);
    }

    /** The same, for a record born at {@code bornNanos}. */
    static Frame encode(ByteBuffer payload, long epochNanos, long bornNanos) {
        int length = payload.remaining();
        byte[] bytes = new byte[HEADER_BYTES + length];
        payload.get(payload.position(), bytes, HEADER_BYTES, length);
        INT_LE.set(bytes, 0, length);
        LONG_LE.set(bytes, 4, notHello(epochNanos));
        return new Frame(bytes, 0, bytes.length, 1, bornNanos);
    }

    /** The payload length declared by the frame header at {@code offset} of an encoded array. */
    static int payloadLength(byte[] encoded, int offset) {
        return (int) INT_LE.get(encoded, offset);
    }

    /**
     * Encodes many payloads into one record: each frame a header and its payload, back to back, all with the
     * same timestamp. {@code totalBytes} is their encoded size (12 per frame plus the payloads).
     */
    static Frame encodeBatch(java.util.List<byte[]> payloads, int totalBytes, long epochNanos, long bornNanos) {
        byte[] bytes = new byte[totalBytes];
        int at = 0;
        for (byte[] p : payloads) {
            INT_LE.set(bytes, at, p.length);
            LONG_LE.set(bytes, at + 4, notHello(epochNanos));
            System.arraycopy(p, 0, bytes, at + HEADER_BYTES, p.length);
            at += HEADER_BYTES + p.length;
        }
        return new Frame(bytes, 0, totalBytes, payloads.size(), bornNanos);
    }

    /** {@link #encode(byte[], int, int, long, long)} into reserved slab space. */
    static Frame encode(Slabs.Space space, byte[] payload, long epochNanos, long bornNanos) {
        ByteBuffer m = space.slab().memory();
        int at = space.offset();
        m.putInt(at, payload.length).putLong(at + 4, notHello(epochNanos)).put(at + HEADER_BYTES, payload);
        return new Frame(null, space.slab(), at, HEADER_BYTES + payload.length, 1, bornNanos);
    }

    /** {@link #encode(ByteBuffer, long, long)} into reserved slab space. */
    static Frame encode(Slabs.Space space, ByteBuffer payload, long epochNanos, long bornNanos) {
        ByteBuffer m = space.slab().memory();
        int at = space.offset();
        int length = payload.remaining();
        m.putInt(at, length).putLong(at + 4, notHello(epochNanos)).put(at + HEADER_BYTES, payload, payload.position(), length);
        return new Frame(null, space.slab(), at, HEADER_BYTES + length, 1, bornNanos);
    }

    /** {@link #encodeBatch} into reserved slab space. */
    static Frame encodeBatch(Slabs.Space space, java.util.List<byte[]> payloads, int totalBytes, long epochNanos, long bornNanos) {
        ByteBuffer m = space.slab().memory();
        int at = space.offset();
        long stamp = notHello(epochNanos);
        for (byte[] p : payloads) {
            m.putInt(at, p.length).putLong(at + 4, stamp).put(at + HEADER_BYTES, p);
            at += HEADER_BYTES + p.length;
        }
        return new Frame(null, space.slab(), space.offset(), totalBytes, payloads.size(), bornNanos);
    }

    /**
     * A hello frame: an ordinary data frame for any reader of the format, whose timestamp (off by under a
     * millisecond) carries the hello stamp in its low bits, which no other frame tether encodes does.
     */
    static ByteBuffer hello(byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(payload.length);
        b.putLong((epochNanos() & ~HELLO_STAMP_MASK) | HELLO_STAMP);
        return b.put(payload).flip();
    }

    /** Whether a data frame's timestamp says it is a tether node's hello. */
    static boolean isHello(long timestampField) {
        return (timestampField & HELLO_STAMP_MASK) == HELLO_STAMP;
    }

    /** A data frame's timestamp, a nanosecond off if it would look like a hello's. */
    private static long notHello(long epochNanos) {
        return isHello(epochNanos) ? epochNanos - 1 : epochNanos;
    }

    /** Writes a control frame (12 bytes) into {@code out}, which must be little-endian. */
    public static void putControl(ByteBuffer out, int type, long value) {
        out.putInt(CONTROL_BIT | type);
        out.putLong(value);
    }

    /** Writes a hello control frame with its body into {@code out}, which must be little-endian. */
    public static void putHello(ByteBuffer out, int version, int flags, long sessionId, long streamId) {
        putControl(out, HELLO, HELLO_BODY_BYTES);
        out.putInt(HELLO_MAGIC);
        out.putShort((short) version);
        out.putShort((short) flags);
        out.putLong(sessionId);
        out.putLong(streamId);
    }

    /** A marker frame (12 bytes, a zero-length data frame), as a little-endian buffer ready to write. */
    public static ByteBuffer marker(int type, long value) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0);
        b.putLong(MARK_TAG << 48 | (long) (type & 0xFF) << 40 | (value & MARK_VALUE_MASK));
        return b.flip();
    }

    /** The marker type carried by a zero-length frame's timestamp field, or 0 if it is no marker. */
    public static int markerType(long timestampField) {
        return timestampField >>> 48 == MARK_TAG ? (int) (timestampField >>> 40) & 0xFF : 0;
    }

    /** The value carried by a marker's timestamp field. */
    public static long markerValue(long timestampField) {
        return timestampField & MARK_VALUE_MASK;
    }
}
