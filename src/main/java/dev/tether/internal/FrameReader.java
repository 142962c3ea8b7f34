package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads one connection's bytes and cuts them into frames, across any read boundaries. Owned by the
 * connection's reader thread (and, before that thread starts, by the handshake on the same connection).
 *
 * <p>A declared length is checked against the maximum before anything is allocated for it, and the buffer
 * grows only as bytes arrive (doubling when full, never past the frame being received), so a peer that
 * declares 16 MiB and sends nothing costs nothing, and a peer that declares 4 GiB is disconnected at once.
 *
 * <p>Every byte of buffer beyond the initial {@value #INITIAL_CAPACITY} is reserved from the node's
 * {@link InboundBudget} before it is allocated. Growth a partly received frame needs and the budget cannot
 * give ends the connection with {@link DisconnectReason#MEMORY_BUDGET}; the optional growth of a busy
 * stream is skipped instead. {@link #release()} gives everything back when the connection ends.
 */
final class FrameReader {

    /** What the reader calls for each complete frame. */
    public interface Visitor {
        /** A non-empty data frame; {@code payload} is valid only during the call. */
        void onData(ByteBuffer payload, long sentAtEpochNanos) throws IOException;

        /** A control frame; {@code body} is empty except for a hello. */
        void onControl(int type, long value, ByteBuffer body) throws IOException;

        /** A marker (a zero-length frame carrying a tether signal, see {@link FrameCodec}); ignored unless overridden. */
        default void onMarker(int type, long value) throws IOException {
        }
    }

    static final int INITIAL_CAPACITY = 2 << 10; // small: ten thousand idle peers; a busy stream grows it to BUSY_CAPACITY
    static final int BUSY_CAPACITY = 64 << 10;

    private final Transport transport;
    private final int maxFrameSize;
    private final InboundBudget budget;
    private ByteBuffer buf;       // fill mode between calls: bytes [0, position) are unparsed
    private ByteBuffer view;      // read-only view of buf handed to visitors
    private long reserved;        // taken from the budget: the capacity beyond INITIAL_CAPACITY
    private boolean framed;       // a whole frame was parsed: the peer speaks tether, not TLS

    FrameReader(Transport transport, int maxFrameSize, InboundBudget budget) {
        this.transport = transport;
        this.maxFrameSize = maxFrameSize;
        this.budget = budget;
        allocate(INITIAL_CAPACITY);
    }

    /** Reads once from the transport. Returns the bytes read, or -1 at end of stream. */
    public int read() throws IOException {
        if (!buf.hasRemaining()) {
            growForPartialFrame();
        }
        int n = transport.read(buf);
        if (n < 0 && !framed && tlsRecordType(buf, 0, buf.position()) == TLS_ALERT && buf.position() == TLS_ALERT_BYTES) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, "the peer answered with a TLS alert and "
                    + "hung up: it speaks TLS and this node speaks plain TCP (a plain client on a TLS listener?): give this node "
                    + "TLS (NodeConfig.tls; blast: --trust-store), or run the listener without TLS");
        }
        if (n > 0 && !buf.hasRemaining() && buf.capacity() < BUSY_CAPACITY) {
            resize(clamp(buf.capacity() * 2L)); // a full read means a busy stream: read more per call, if the budget allows
        }
        return n;
    }

    /**
     * Hands up to {@code maxFrames} complete frames to {@code visitor}, keeping any partial frame for the
     * next read. Returns the number of frames handed over (zero-length data frames are skipped and not counted).
     */
    public int parse(Visitor visitor, int maxFrames) throws IOException {
        buf.flip();
        int handed = 0;
        try {
            while (handed < maxFrames && buf.remaining() >= FrameCodec.HEADER_BYTES) {
                int start = buf.position();
                long word = Integer.toUnsignedLong(buf.getInt(start));
                long value = buf.getLong(start + 4);
                if ((word & FrameCodec.CONTROL_BIT) != 0) {
                    int type = (int) (word & ~FrameCodec.CONTROL_BIT);
                    if (!isControlType(type)) {
                        throw tooLarge(word);
                    }
                    int bodyLength = 0;
                    if (type == FrameCodec.HELLO) {
                        if (value < FrameCodec.HELLO_BODY_BYTES || value > FrameCodec.MAX_HELLO_BODY_BYTES) {
                            throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR,
                                    "hello body of " + value + " bytes; expected " + FrameCodec.HELLO_BODY_BYTES
                                            + " to " + FrameCodec.MAX_HELLO_BODY_BYTES);
                        }
                        bodyLength = (int) value;
                        if (buf.remaining() < FrameCodec.HEADER_BYTES + bodyLength) {
                            break;
                        }
                    }
                    framed = true;
                    int bodyStart = start + FrameCodec.HEADER_BYTES;
                    buf.position(bodyStart + bodyLength);
                    handed++;
                    visitor.onControl(type, value, frame(bodyStart, bodyLength));
                    continue;
                }
                if (word > maxFrameSize) {
                    throw framed || tlsRecordType(buf, start, buf.limit()) != TLS_HANDSHAKE ? tooLarge(word) : new DisconnectException(
                            DisconnectReason.FRAME_TOO_LARGE, "the peer speaks TLS (its first bytes are a TLS handshake "
                            + "record) and this node speaks plain TCP: give this node TLS too (NodeConfig.tls; sink: --key-store), "
                            + "or connect to it without TLS");
                }
                int length = (int) word;
                if (buf.remaining() < FrameCodec.HEADER_BYTES + length) {
                    break;
                }
                int payloadStart = start + FrameCodec.HEADER_BYTES;
                buf.position(payloadStart + length);
                framed = true;
                if (length == 0) { // zero-length frames are skipped, as the wire format says, unless they carry a marker
                    int marker = FrameCodec.markerType(value);
                    if (marker != 0) {
                        handed++;
                        visitor.onMarker(marker, FrameCodec.markerValue(value));
                    }
                    continue;
                }
                handed++;
                visitor.onData(frame(payloadStart, length), value);
            }
        } finally {
            buf.compact();
        }
        return handed;
    }

    /** Frees a large buffer once it holds nothing, so a connection that once got a big frame stays small. */
    public void shrinkIfIdle() {
        if (buf.position() == 0 && buf.capacity() > BUSY_CAPACITY) {
            resize(BUSY_CAPACITY);
        }
    }

    /** The connection has ended: drops the buffer and gives its reservation back. The reader is unusable after. */
    void release() {
        buf = ByteBuffer.allocate(0);
        view = buf;
        budget.release(reserved);
        reserved = 0;
    }

    /** Bytes this reader holds from the budget. */
    long reserved() {
        return reserved;
    }

    private ByteBuffer frame(int start, int length) {
        view.limit(start + length);
        view.position(start);
        view.order(ByteOrder.BIG_ENDIAN);
        return view;
    }

    private static final int TLS_ALERT = 21;
    private static final int TLS_HANDSHAKE = 22;
    private static final int TLS_ALERT_BYTES = 7; // a record header of 5 bytes and an alert of 2

    /**
     * The TLS record type the unparsed bytes start with (alert, handshake...), or -1 if they do not look like
     * a TLS record: a type byte of 20 to 24, then version 3.0 to 3.4.
     */
    private static int tlsRecordType(ByteBuffer b, int at, int end) {
        if (end - at < 5) {
            return -1;
        }
        int type = b.get(at) & 0xFF;
        boolean version3 = b.get(at + 1) == 3 && (b.get(at + 2) & 0xFF) <= 4;
        return type >= 20 && type <= 24 && version3 ? type : -1;
    }

    private static boolean isControlType(int type) {
        return type >= FrameCodec.HELLO && type <= FrameCodec.START;
    }

    private DisconnectException tooLarge(long word) {
        return new DisconnectException(DisconnectReason.FRAME_TOO_LARGE,
                "peer declared a frame of " + word + " bytes, more than maxFrameSize " + maxFrameSize);
    }

    /**
     * The buffer is full and holds the start of one frame larger than it (parse has taken every whole
     * frame): grow towards that frame's size, or end the connection if the budget cannot pay for it.
     */
    private void growForPartialFrame() throws DisconnectException {
        long word = Integer.toUnsignedLong(buf.getInt(0));
        boolean control = (word & FrameCodec.CONTROL_BIT) != 0;
        boolean hello = control && (word & ~FrameCodec.CONTROL_BIT) == FrameCodec.HELLO;
        long frameBytes = FrameCodec.HEADER_BYTES + (hello ? buf.getLong(4) : control ? 0 : word); // parse checked both
        if (frameBytes <= buf.capacity()) {
            throw new IllegalStateException("read() with complete frames still buffered: parse them first");
        }
        long wanted = Math.min(clamp(buf.capacity() * 2L), frameBytes);
        if (!resize((int) wanted)) {
            throw new DisconnectException(DisconnectReason.MEMORY_BUDGET, "peer declared a frame of "
                    + (frameBytes - FrameCodec.HEADER_BYTES) + " bytes; receiving more of it needs "
                    + (wanted - buf.capacity()) + " more bytes of buffer, but this node's inbound memory budget of "
                    + budget.limit() + " bytes has " + budget.inUse() + " in use by partly received frames: "
                    + "raise NodeConfig.inboundMemoryBudget or lower maxFrameSize");
        }
    }

    /** Doubling, bounded by the largest frame and at least room for a handshake hello. */
    private int clamp(long wanted) {
        long cap = Math.min(wanted, (long) maxFrameSize + FrameCodec.HEADER_BYTES);
        return (int) Math.max(cap, (long) FrameCodec.HEADER_BYTES + FrameCodec.MAX_HELLO_BODY_BYTES);
    }

    /** Moves the unparsed bytes into a buffer of {@code capacity}, reserving first; false if the budget said no. */
    private boolean resize(int capacity) {
        if (capacity == buf.capacity()) {
            return true;
        }
        long delta = Math.max(0, capacity - INITIAL_CAPACITY) - reserved;
        if (delta > 0 && !budget.tryReserve(delta)) {
            return false;
        }
        reserved += delta;
        ByteBuffer old = buf;
        allocate(capacity);
        old.flip();
        buf.put(old);
        if (delta < 0) {
            budget.release(-delta); // once the smaller buffer is in place, not before
        }
        return true;
    }

    private void allocate(int capacity) {
        buf = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        view = buf.asReadOnlyBuffer();
    }
}
