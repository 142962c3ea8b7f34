package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads a connection: cuts the bytes into frames and hands each data frame to the
 * message handler, on this thread.
 *
 * <ul>
 *   <li>Acknowledged mode: numbers incoming frames, skips those already delivered on an earlier connection,
 *       records deliveries for the next acknowledgement, applies the peer's acknowledgements to our backlog.</li>
 *   <li>Plain mode, outbound: the listener's ACCEPT marker makes what we wrote count as written; a refusal
 *       (REFUSE, an acknowledged-mode HELLO, TLS where we speak plain, a TLS alert) ends the connection as refused.</li>
 *   <li>Plain mode, inbound: a first SUCCEEDS marker makes this connection take over the stream of the one it
 *       replaces, so nothing that one still holds is delivered after this one starts.</li>
 * </ul>
 * Where frames are ordered by a {@link ReceiveStream}, each read's frames are delivered holding its lock.
 *
 * <p>Runs on the peer's supervisor thread for the life of one connection.
 */
final class ReaderLoop implements FrameReader.Visitor {
    private static final Logger log = LoggerFactory.getLogger(ReaderLoop.class);

    private final Connection connection;
    private final PeerCore peer;
    private final NodeContext context;
    private final FrameReader reader;
    private final boolean acknowledged;
    private final boolean plainOutbound;
    private final boolean plainInbound;
    private final AckState owed;  // acknowledged mode: what we owe the peer

    // ---- this thread only ----
    private ReceiveStream stream; // null for plain outbound connections
    private boolean locked;       // holding stream.lock for the frames of this read
    private boolean anyFrame;     // a frame (or marker) arrived on this connection
    private boolean sawData;      // plain mode: a data frame arrived (the first may be the peer's hello)
    private boolean accepted;     // plain outbound: the listener's ACCEPT arrived
    private boolean gapChecked;   // acknowledged mode: this connection's START was checked against what was delivered
    private long expectedSeq;     // acknowledged mode: number of the next data frame; 0 before START
    private long lastDelivered;   // copy of the stream's, while its lock is held
    private int deliveredInBatch;
    private int framesInBatch;
    private long bytesInBatch;

    ReaderLoop(Connection connection, PeerCore peer, NodeContext context) {
        this.connection = connection;
        this.peer = peer;
        this.context = context;
        this.reader = connection.reader();
        this.acknowledged = context.acknowledged();
        this.plainOutbound = !acknowledged && peer.direction() == Direction.OUTBOUND;
        this.plainInbound = !acknowledged && peer.direction() == Direction.INBOUND;
        this.owed = connection.session().owed;
        this.stream = connection.receiveStream();
        this.expectedSeq = connection.startSeq(); // acknowledged mode: the handshake read the peer's START
    }

    /** Reads until the connection ends, then records why. */
    void run() {
        try {
            byte[] hello = acknowledged ? peer.helloBytes() : null;
            if (hello != null && hello.length > 0) { // the handshake carried it; the handler gets it first, as in plain mode
                context.events().deliver(peer.handle(), ByteBuffer.wrap(hello).asReadOnlyBuffer(), FrameCodec.epochNanos(), stream.id, 0);
            }
            readUntilEnd();
        } catch (IOException e) {
            Failure why = Failure.of(e);
            if (plainOutbound && !accepted && why.reason() == DisconnectReason.HANDSHAKE_FAILED) {
                why = why.asRefusal(); // a TLS alert, or a TLS listener: refused before it took any data
            }
            connection.fail(why);
        } catch (RuntimeException | Error e) {
            log.error("reader of {} failed; closing the connection", peer, e);
            connection.fail(new Failure(DisconnectReason.IO_ERROR, "reader failed: " + e));
        }
    }

    private void readUntilEnd() throws IOException {
        while (true) {
            deliverBuffered();
            reader.shrinkIfIdle();
            if (reader.read() < 0) {
                connection.fail(connection.session().outputShutDown ? Failure.FLUSHED : Failure.PEER_CLOSED);
                return;
            }
        }
    }

    private void deliverBuffered() throws IOException {
        framesInBatch = 0;
        bytesInBatch = 0;
        deliveredInBatch = 0;
        try {
            reader.parse(this, Integer.MAX_VALUE);
        } finally {
            if (locked) {
                if (acknowledged) {
                    stream.delivered(lastDelivered);
                }
                locked = false;
                stream.lock.unlock();
            }
        }
        if (framesInBatch > 0) {
            peer.received(framesInBatch, bytesInBatch);
        }
        if (deliveredInBatch > 0) {
            peer.backlog().delivered(owed, lastDelivered, deliveredInBatch);
        }
    }

    /** Takes the stream's lock for this read's frames; a connection whose sender moved on delivers nothing more. */
    private void lockStream() throws DisconnectException {
        stream.lock.lock();
        locked = true;
        if (!stream.ownedBy(connection)) {
            throw new DisconnectException(DisconnectReason.LOCAL_CLOSE,
                    "superseded: the sender reconnected and its stream moved to the new connection");
        }
        lastDelivered = stream.lastDelivered();
        if (acknowledged && !gapChecked) { // the first delivery of this connection: is anything missing before START?
            gapChecked = true;
            if (expectedSeq > lastDelivered + 1) {
                peer.lifecycle().streamGap(stream.id, lastDelivered + 1, expectedSeq - 1);
                lastDelivered = expectedSeq - 1;
            }
        }
    }

    @Override
    public void onData(ByteBuffer payload, long sentAtEpochNanos) throws IOException {
        anyFrame = true;
        if (stream != null && !locked) {
            lockStream();
        }
        long seq = 0;
        if (acknowledged) {
            seq = expectedSeq++;
            if (seq <= lastDelivered) {
                return; // delivered on an earlier connection: the sender resent it before our RESUME reached it
            }
            lastDelivered = seq;
            deliveredInBatch++;
        } else if (!sawData) {
            sawData = true;
            if (FrameCodec.isHello(sentAtEpochNanos)) { // a tether peer's hello: the Peer shows it from now on
                ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload.duplicate()).flip();
                peer.helloReceived(copy.asReadOnlyBuffer());
            }
        }
        framesInBatch++;
        bytesInBatch += payload.remaining();
        context.events().deliver(peer.handle(), payload, sentAtEpochNanos, stream == null ? null : stream.id, seq);
    }

    @Override
    public void onMarker(int type, long value) throws IOException {
        boolean first = !anyFrame;
        anyFrame = true;
        if (plainOutbound && type == FrameCodec.MARK_ACCEPT && !accepted) {
            accepted = true;
            connection.acceptId(value);
            peer.accepted(connection, value);
        } else if (plainOutbound && type == FrameCodec.MARK_REFUSE) {
            throw DisconnectException.refusal(DisconnectReason.HANDSHAKE_FAILED, switch ((int) value) {
                case FrameCodec.REFUSE_FULL -> "the listener takes no more inbound connections (its maxInboundConnections)";
                case FrameCodec.REFUSE_TLS_REQUIRED -> "the listener speaks TLS only: give this node TLS settings (NodeConfig.tls)";
                default -> "the listener refused the connection (code " + value + ")";
            });
        } else if (plainInbound && type == FrameCodec.MARK_SUCCEEDS && first) {
            succeed(value);
        }
        // any other marker: from a later version, or out of place; skipped like every zero-length frame
    }

    /** The sender reconnected: take over the stream of the connection this one replaces, and end that one. */
    private void succeed(long previousId) {
        Lineages.Entry previous = context.lineages().takeOver(previousId);
        if (previous == null || previous.connection() == connection) {
            return; // that connection is gone already: nothing of it can be delivered after us
        }
        stream = previous.stream();
        stream.claim(connection);
        connection.receiveStream(stream);
        context.lineages().rebind(connection.acceptId(), connection, stream);
        previous.connection().fail(new Failure(DisconnectReason.LOCAL_CLOSE,
                "superseded: the sender reconnected and its stream moved to the new connection"));
    }

    @Override
    public void onControl(int type, long value, ByteBuffer body) throws IOException {
        anyFrame = true;
        if (!acknowledged) {
            if (type == FrameCodec.HELLO && plainOutbound && !accepted) {
                throw DisconnectException.refusal(DisconnectReason.HANDSHAKE_FAILED, "the peer requires acknowledged "
                        + "delivery and this node runs plain delivery: set NodeConfig.delivery(Delivery.ACKNOWLEDGED) on "
                        + "both ends, or PLAIN on both");
            }
            if (type == FrameCodec.HELLO) {
                throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                        "peer asked for acknowledged delivery, but this node runs plain delivery: set "
                                + "NodeConfig.delivery(Delivery.ACKNOWLEDGED) on both ends, or PLAIN on both");
            }
            throw new DisconnectException(DisconnectReason.PROTOCOL_ERROR, "control frame " + type + " on a plain connection");
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
