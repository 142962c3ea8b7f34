package dev.tether.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on one listening socket and hands each to the node, which makes it an inbound peer
 * with its own reader thread (the handshake runs there, so a slow client never stalls accepting). Ends when
 * the listening socket is closed.
 *
 * <p>Runs on a virtual thread {@code <node>-acceptor-<port>}.
 */
final class Acceptor implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Acceptor.class);
    private static final long RETRY_NANOS = 100_000_000L;

    private final NodeCore node;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    volatile Thread thread; // set once started, for stopListening to wait on

    Acceptor(NodeCore node, ServerSocketChannel server, InetSocketAddress address) {
        this.node = node;
        this.server = server;
        this.address = address;
    }

    InetSocketAddress address() {
        return address;
    }

    @Override
    public void run() {
        long lastWarnNanos = System.nanoTime() - 2 * 1_000_000_000L;
        while (server.isOpen()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                long now = System.nanoTime();
                if (now - lastWarnNanos > 1_000_000_000L) { // e.g. out of file descriptors: say so once a second, not per try
                    lastWarnNanos = now;
                    log.warn("accept on {} failed ({}); retrying every 100 ms", address, Failure.describe(e));
                }
                node.context().state().await(NodeState.State.DRAINING, RETRY_NANOS);
                continue;
            }
            try {
                node.accepted(channel, address);
            } catch (RuntimeException e) {
                log.error("could not start a connection accepted on {}", address, e);
                Sockets.closeQuietly(channel);
            }
        }
    }

    void close() {
        Sockets.closeQuietly(server);
    }
}
