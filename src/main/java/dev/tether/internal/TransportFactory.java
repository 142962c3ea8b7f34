package dev.tether.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;

/** Wraps a connected channel as a plain or TLS {@link Transport}; the TLS handshake happens here. */
interface TransportFactory {

    /**
     * @param client true for an outbound connection (TLS client mode, host name checked)
     * @param target the address the peer was asked for (outbound) or came from (inbound)
     */
    Transport open(SocketChannel channel, boolean client, InetSocketAddress target) throws IOException;

    /** Whether writers should use direct buffers. */
    boolean directBuffers();

    /** Plain TCP. */
    TransportFactory PLAIN = new TransportFactory() {
        @Override
        public Transport open(SocketChannel channel, boolean client, InetSocketAddress target) throws IOException {
            return new PlainTransport(channel);
        }

        @Override
        public boolean directBuffers() {
            return true;
        }
    };
}
