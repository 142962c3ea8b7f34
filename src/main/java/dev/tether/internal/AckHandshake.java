package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.NodeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The acknowledged-mode handshake, run once on each new connection before its loops start. Both ends run
 * the same steps, each writing before it reads, so neither waits for the other to go first:
 *
 * <ol>
 *   <li>write HELLO (magic, version, flags, our session id, our stream id); read the peer's HELLO;</li>
 *   <li>write RESUME (the last sequence number we delivered from the peer's stream); read the peer's;</li>
 *   <li>drop from our backlog what the peer already delivered; write the hello payload (unsequenced) and
 *       START (the sequence number of the first frame that follows).</li>
 * </ol>
 *
 * A data frame (or a plain listener's ACCEPT) before the peer's HELLO means a plain peer, which is refused,
 * never silently downgraded.
 */
final class AckHandshake implements FrameReader.Visitor {
    private final Connection connection;
    private int peerType;            // type of the last control frame read
    private long peerValue;
    private ByteBuffer peerBody;
    private boolean readingTail;     // past RESUME: a data frame now is the peer's hello
    private ByteBuffer peerHello;

    private AckHandshake(Connection connection) {
        this.connection = connection;
    }

    /** Runs the handshake; on return the connection is ready for its loops. */
    static void run(Connection connection, PeerCore peer, NodeContext context, byte[] hello) throws IOException {
        new AckHandshake(connection).run(peer, context, hello);
    }

    private void run(PeerCore peer, NodeContext context, byte[] hello) throws IOException {
        boolean resumable = peer.direction() == Direction.OUTBOUND;
        ByteBuffer out = ByteBuffer.allocate(FrameCodec.HEADER_BYTES + FrameCodec.HELLO_BODY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        FrameCodec.putHello(out, FrameCodec.PROTOCOL_VERSION,
                FrameCodec.FLAG_ACKNOWLEDGED | (resumable ? FrameCodec.FLAG_RESUMABLE : 0), context.sessionId(), peer.id());
        writeFully(out.flip());

        expect(FrameCodec.HELLO);
        int magic = peerBody.getInt(peerBody.position());
        int version = Short.toUnsignedInt(peerBody.getShort(peerBody.position() + 4));
        int flags = Short.toUnsignedInt(peerBody.getShort(peerBody.position() + 6));
        long peerSession = peerBody.getLong(peerBody.position() + 8);
        long peerStream = peerBody.getLong(peerBody.position() + 16);
        if (magic != FrameCodec.HELLO_MAGIC) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                    "peer's hello lacks the tether magic: it is not a tether node");
        }
        if (version != FrameCodec.PROTOCOL_VERSION) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, "peer speaks tether protocol version "
                    + version + "; this node speaks only version " + FrameCodec.PROTOCOL_VERSION
                    + ": run the same tether release on both ends");
        }
        if ((flags & FrameCodec.FLAG_ACKNOWLEDGED) == 0) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                    "peer has acknowledged delivery off; this node requires it on both ends");
        }

        ReceiveStream stream = context.receiveSessions().stream(peerSession, peerStream, (flags & FrameCodec.FLAG_RESUMABLE) != 0);
        long delivered = stream.claim(connection);
        connection.receiveStream(stream);
        connection.session().owed = new AckState(ackEvery(context.config()), context.config().ackInterval().toNanos(), delivered);
        out.clear();
        FrameCodec.putControl(out, FrameCodec.RESUME, delivered);
        writeFully(out.flip());

        expect(FrameCodec.RESUME);
        long firstSeq = peer.backlog().resumeAfter(peerValue);

        ByteBuffer tail = ByteBuffer.allocate(FrameCodec.HEADER_BYTES * 2 + hello.length).order(ByteOrder.LITTLE_ENDIAN);
        if (hello.length > 0) {
            tail.put(FrameCodec.hello(hello));
        }
        FrameCodec.putControl(tail, FrameCodec.START, firstSeq);
        writeFully(tail.flip());

        readingTail = true; // the peer's hello (if any), then its START: the connection is up once both are in
        expect(FrameCodec.START);
        connection.startSeq(peerValue);
        if (peerHello != null) {
            peer.helloReceived(peerHello);
        }
    }

    /** Acknowledge at least twice per frame bound, so a sender with the same bound never stalls waiting for one. */
    static int ackEvery(NodeConfig config) {
        long half = config.backlogLimits().limitsFrames() ? Math.max(1, config.backlogLimits().maxFrames() / 2) : Long.MAX_VALUE;
        return (int) Math.min(config.ackEveryFrames(), half);
    }

    private void expect(int type) throws IOException {
        FrameReader reader = connection.reader();
        peerType = 0;
        while (true) {
            int n = reader.parse(this, 1);
            if (n > 0 && peerType != 0) {
                break; // a control frame; a hello before START is kept and the loop goes on
            }
            if (n == 0 && reader.read() < 0) {
                throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                        "peer closed the connection during the acknowledged-delivery handshake: it runs plain "
                                + "delivery, or refused ours (see its log)");
            }
        }
        if (peerType != type) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                    "expected handshake frame " + type + " but got " + peerType);
        }
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            connection.transport().write(buffer);
        }
    }

    @Override
    public void onData(ByteBuffer payload, long sentAtEpochNanos) throws IOException {
        if (readingTail && peerHello == null) {
            peerHello = copy(payload).asReadOnlyBuffer();
            peerType = 0;
            return;
        }
        throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED,
                "peer sent a data frame instead of the acknowledged-delivery handshake: it runs plain delivery, "
                        + "and this node requires acknowledgements");
    }

    @Override
    public void onMarker(int type, long value) throws IOException {
        throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, type == FrameCodec.MARK_REFUSE && value == FrameCodec.REFUSE_FULL
                ? "refused by the peer: the listener takes no more inbound connections (its maxInboundConnections)"
                : "peer is a tether node running plain delivery, and this node requires acknowledgements: set "
                        + "NodeConfig.delivery(Delivery.ACKNOWLEDGED) on both ends, or PLAIN on both");
    }

    @Override
    public void onControl(int type, long value, ByteBuffer body) {
        peerType = type;
        peerValue = value;
        peerBody = type == FrameCodec.HELLO ? copy(body) : null;
    }

    private static ByteBuffer copy(ByteBuffer body) {
        ByteBuffer copy = ByteBuffer.allocate(body.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(body).flip();
        return copy;
    }
}
