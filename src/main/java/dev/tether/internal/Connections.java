package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Turns a connected socket into a {@link Connection} ready for its loops: TLS handshake if configured, the
 * acknowledged-delivery handshake if configured, and the hello payload, written straight to the new
 * socket before any queued frame (never through the backlog, so it is never duplicated or lost in it).
 * The watchdog aborts a handshake that outlives {@code handshakeTimeout}.
 */
final class Connections {
    private static final byte[] NO_HELLO = new byte[0];

    private final NodeCore node;
    private final TransportFactory transports;

    Connections(NodeCore node, TransportFactory transports) {
        this.node = node;
        this.transports = transports;
    }

    Connection establish(PeerCore peer, SocketChannel channel) throws IOException {
        boolean outbound = peer.direction() == Direction.OUTBOUND;
        peer.handshakeStarted(System.nanoTime() + node.config().handshakeTimeout().toNanos());
        try {
            Transport transport = transports.open(channel, outbound, peer.address());
            Connection c = new Connection(peer, transport, node.config().maxFrameSize());
            byte[] hello = outbound ? node.hello() : NO_HELLO;
            if (node.acknowledged()) {
                Handshake.run(c, node, hello);
            } else if (hello.length > 0) {
                ByteBuffer frame = ByteBuffer.wrap(FrameCodec.encode(hello, 0, hello.length, FrameCodec.epochNanos()).bytes());
                while (frame.hasRemaining()) {
                    transport.write(frame);
                }
            }
            if (!peer.handshakeSucceeded(channel)) { // the watchdog gave up on us an instant before we finished
                Failure f = timedOut(node);
                throw new DisconnectException(f.reason(), f.detail());
            }
            return c;
        } catch (IOException | RuntimeException e) {
            Sockets.closeQuietly(channel);
            if (peer.handshakeTimedOut()) {
                Failure f = timedOut(node);
                throw new DisconnectException(f.reason(), f.detail(), e);
            }
            throw e;
        } finally {
            peer.handshakeEnded();
        }
    }

    static Failure timedOut(NodeCore node) {
        return new Failure(DisconnectReason.HANDSHAKE_FAILED, "handshake did not finish within "
                + node.config().handshakeTimeout() + " (a silent peer, or one speaking another protocol)");
    }
}
