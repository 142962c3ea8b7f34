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

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private FrameCodec() {
    }

    /** Nanoseconds since the Unix epoch, the header's timestamp. */
    public static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Encodes {@code length} bytes of {@code payload} from {@code offset}, stamped with {@code epochNanos}. */
    public static Frame encode(byte[] payload, int offset, int length, long epochNanos) {
        byte[] bytes = new byte[HEADER_BYTES + length];
        INT_LE.set(bytes, 0, length);
        LONG_LE.set(bytes, 4, epochNanos);
        System.arraycopy(payload, offset, bytes, HEADER_BYTES, length);
        return new Frame(bytes);
    }

    /** Encodes the remaining bytes of {@code payload} without moving its position. */
    public static Frame encode(ByteBuffer payload, long epochNanos) {
        int length = payload.remaining();
        byte[] bytes = new byte[HEADER_BYTES + length];
        INT_LE.set(bytes, 0, length);
        LONG_LE.set(bytes, 4, epochNanos);
        payload.get(payload.position(), bytes, HEADER_BYTES, length);
        return new Frame(bytes);
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

    /** The declared payload length of the frame at {@code offset}, as an unsigned value. */
    public static long lengthWord(byte[] frame, int offset) {
        return Integer.toUnsignedLong((int) INT_LE.get(frame, offset));
    }

    /** The timestamp of the frame at {@code offset}. */
    public static long timestamp(byte[] frame, int offset) {
        return (long) LONG_LE.get(frame, offset + 4);
    }

    /** Reads a little-endian long. */
    public static long getLong(byte[] b, int offset) {
        return (long) LONG_LE.get(b, offset);
    }

    /** Reads a little-endian int. */
    public static int getInt(byte[] b, int offset) {
        return (int) INT_LE.get(b, offset);
    }

    /** Reads a little-endian unsigned short. */
    public static int getUnsignedShort(byte[] b, int offset) {
        return Short.toUnsignedInt((short) SHORT_LE.get(b, offset));
    }
}
