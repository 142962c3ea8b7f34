package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Turns a connected socket into a {@link Connection} ready for its loops: the TLS handshake if configured;
 * then the acknowledged-mode handshake, or in plain mode the markers (a listener's ACCEPT, a reconnecting
 * tether sender's SUCCEEDS) and the hello payload, which the connection's writer writes first, before any
 * queued frame (never through the backlog, so it is never duplicated or lost in it). The watchdog aborts a
 * handshake that outlives {@code handshakeTimeout}, and cuts an outbound connection whose listener has not
 * taken those first bytes that long after the writer began them.
 */
final class ConnectionSetup {
    /** How long the first connection to a peer of unknown kind holds what it wrote, waiting for an ACCEPT. */
    private static final long FIRST_ACCEPT_WAIT_NANOS = 1_000_000_000L;

    private final NodeContext context;

    ConnectionSetup(NodeContext context) {
        this.context = context;
    }

    Connection establish(PeerCore peer, SocketChannel channel) throws IOException {
        boolean outbound = peer.direction() == Direction.OUTBOUND;
        FrameReader reader = null;
        try {
            InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
            Transport transport = context.transports().open(channel, outbound, peer.address());
            reader = new FrameReader(transport, context.config().maxFrameSize(), context.budget());
            Connection c = new Connection(peer.backlog(), transport, reader, remote, session(peer), outbound);
            byte[] hello = context.config().hello(); // both ends say who they are
            if (context.acknowledged()) {
                AckHandshake.run(c, peer, context, hello);
            } else if (!outbound) {
                ReceiveStream own = new ReceiveStream();
                own.claim(c);
                c.receiveStream(own);
                c.acceptId(context.lineages().register(c, own));
                ByteBuffer accept = FrameCodec.marker(FrameCodec.MARK_ACCEPT, c.acceptId());
                c.session().preamble = hello.length == 0 ? accept // the writer's first bytes: ACCEPT, then our hello
                        : ByteBuffer.allocate(accept.remaining() + FrameCodec.HEADER_BYTES + hello.length)
                                .put(accept).put(FrameCodec.hello(hello)).flip();
            } else {
                // written by the writer, while the reader already reads: a listener's refusal that comes just before
                // its reset is read and named, even when these bytes meet the reset (a full listener, a large hello)
                long previous = peer.lastAcceptId(); // a tether listener took our last connection: name it, so it delivers nothing after this one
                ByteBuffer succeeds = previous == 0 ? null : FrameCodec.marker(FrameCodec.MARK_SUCCEEDS, previous);
                ByteBuffer ours = hello.length == 0 ? null : FrameCodec.hello(hello);
                c.session().preamble = succeeds == null ? ours : ours == null ? succeeds
                        : ByteBuffer.allocate(succeeds.remaining() + ours.remaining()).put(succeeds).put(ours).flip();
            }
            return c;
        } catch (IOException | RuntimeException e) {
            if (reader != null) {
                reader.release(); // the handshake read into it; no loop will ever run on it
            }
            if (peer.lifecycle().handshakeTimedOut()) {
                Sockets.abort(channel);
                Failure f = timedOut();
                throw new DisconnectException(f.reason(), f.detail(), e);
            }
            Sockets.closeQuietly(channel); // a refusal: the peer may still read what we said, such as our hello
            throw e;
        }
    }

    /** When frames written on the new connection count as written (see {@link WriterSession.Confirmation}). */
    private WriterSession session(PeerCore peer) {
        if (context.acknowledged() || peer.direction() == Direction.INBOUND) {
            return new WriterSession(WriterSession.Confirmation.AT_ONCE, 0);
        }
        return switch (peer.receiverKind()) {
            case OTHER -> new WriterSession(WriterSession.Confirmation.UNCONFIRMED, 0);
            case TETHER -> new WriterSession(WriterSession.Confirmation.AWAIT_ACCEPT,
                    System.nanoTime() + context.config().handshakeTimeout().toNanos());
            case UNKNOWN -> new WriterSession(WriterSession.Confirmation.AWAIT_ACCEPT,
                    System.nanoTime() + Math.min(FIRST_ACCEPT_WAIT_NANOS, context.config().handshakeTimeout().toNanos()));
        };
    }

    Failure timedOut() {
        return new Failure(DisconnectReason.HANDSHAKE_FAILED, "handshake did not finish within "
                + context.config().handshakeTimeout() + " (a silent peer, or one speaking another protocol)");
    }

    static void writeFully(Transport transport, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            transport.write(buffer);
        }
    }
}
