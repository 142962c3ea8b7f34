package dev.tether.internal;

import dev.tether.NodeConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/** Socket options and connects, the same for every connection. */
final class Sockets {
    private Sockets() {
    }

    static void configure(SocketChannel channel, NodeConfig config) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, config.tcpNoDelay());
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, config.keepAlive());
        if (config.sendBufferSize().isPresent()) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, config.sendBufferSize().getAsInt());
        }
        if (config.receiveBufferSize().isPresent()) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, config.receiveBufferSize().getAsInt());
        }
    }

    /**
     * Closes with a reset (SO_LINGER 0): what the kernel still holds for the peer is discarded instead of
     * delivered after a connection that replaces this one has started.
     */
    static void abort(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            if (channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // not connected, or closed meanwhile: a plain close is all there is to do
        }
        closeQuietly(channel);
    }

    static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // closing is best effort: the socket is gone either way
        }
    }
}
