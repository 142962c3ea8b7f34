package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads a connection: cuts the bytes into frames and hands each data frame to the
 * message handler, on this thread. In acknowledged mode it also numbers the incoming frames, discards the
 * ones already delivered on an earlier connection, records deliveries for the next acknowledgement, and
 * applies the peer's acknowledgements to our backlog.
 *
 * <p>Runs on a virtual thread {@code <node>-reader-<peer>} for the life of one connection.
 */
final class ReaderLoop implements Runnable, FrameReader.Visitor {
    private static final Logger log = LoggerFactory.getLogger(ReaderLoop.class);

    private final Connection connection;
    private final PeerCore peer;
    private final EventDispatcher events;
    private final FrameReader reader;
    private final ReceiveStream stream; // null in plain mode
    private final AckState ack;         // null in plain mode

    // ---- this thread only ----
    private long expectedSeq;    // sequence number of the next data frame; 0 before START (unsequenced hello)
    private long lastDelivered;  // copy of the stream's, while its lock is held
    private int deliveredInBatch;
    private int framesInBatch;
    private long bytesInBatch;

    ReaderLoop(Connection connection, EventDispatcher events) {
        this.connection = connection;
        this.peer = connection.peer();
        this.events = events;
        this.reader = connection.reader();
        this.stream = connection.receiveStream();
        this.ack = connection.ackState();
    }

    @Override
    public void run() {
        try {
            readUntilEnd();
        } catch (IOException e) {
            connection.fail(Failure.of(e));
        } catch (RuntimeException | Error e) {
            log.error("reader of {} failed; closing the connection", peer, e);
            connection.fail(new Failure(DisconnectReason.IO_ERROR, "reader failed: " + e));
        } finally {
            connection.loopEnded();
        }
    }

    private void readUntilEnd() throws IOException {
        while (true) {
            deliverBuffered();
            reader.shrinkIfIdle();
            if (reader.read() < 0) {
                connection.fail(connection.isClosingLocally()
                        ? new Failure(DisconnectReason.LOCAL_CLOSE, "closed by this node after flushing")
                        : Failure.PEER_CLOSED);
                return;
            }
        }
    }

    private void deliverBuffered() throws IOException {
        framesInBatch = 0;
        bytesInBatch = 0;
        if (stream == null) {
            reader.parse(this, Integer.MAX_VALUE);
        } else {
            deliverSequenced();
        }
        if (framesInBatch > 0) {
            peer.received(framesInBatch, bytesInBatch);
        }
    }

    private void deliverSequenced() throws IOException {
        deliveredInBatch = 0;
        stream.lock.lock();
        try {
            if (!stream.ownedBy(connection)) {
                throw new DisconnectException(DisconnectReason.LOCAL_CLOSE,
                        "superseded: the sender reconnected and its stream moved to the new connection");
            }
            lastDelivered = stream.lastDelivered();
            try {
                reader.parse(this, Integer.MAX_VALUE);
            } finally {
                stream.delivered(lastDelivered);
            }
        } finally {
            stream.lock.unlock();
        }
        if (deliveredInBatch > 0) {
            peer.backlog().delivered(ack, lastDelivered, deliveredInBatch);
        }
    }

    @Override
    public void onData(ByteBuffer payload, long sentAtEpochNanos) {
        if (stream != null && expectedSeq != 0) {
            long seq = expectedSeq++;
            if (seq <= lastDelivered) {
                return; // delivered on an earlier connection: the sender resent it before our RESUME reached it
            }
            lastDelivered = seq;
            deliveredInBatch++;
        }
        framesInBatch++;
        bytesInBatch += payload.remaining();
        events.deliver(peer.handle(), payload, sentAtEpochNanos);
    }

    @Override
    public void onControl(int type, long value, ByteBuffer body) throws IOException {
        if (stream == null) {
            if (type == FrameCodec.HELLO) {
                throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                        "peer asked for acknowledged delivery, but this node runs plain delivery: set "
                                + "NodeConfig.delivery(Delivery.ACKNOWLEDGED) on both ends, or PLAIN on both");
            }
            throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR,
                    "control frame " + type + " on a plain connection");
        }
        switch (type) {
            case FrameCodec.ACK -> peer.backlog().acknowledge(value);
            case FrameCodec.START -> {
                if (value < 1 || expectedSeq != 0) {
                    throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR, "bad START " + value);
                }
                expectedSeq = value;
            }
            default -> throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR,
                    "handshake frame " + type + " after the handshake");
        }
    }
}
