package dev.tether.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * TCP through a blocking {@link SocketChannel}. On a virtual thread a blocked read or write parks the
 * thread, not its carrier. The channel reports exactly how many bytes each write took, which is what lets
 * the writer resend a partly written frame whole and never resend a frame written whole.
 */
final class PlainTransport implements Transport {
    private final SocketChannel channel;

    PlainTransport(SocketChannel channel) {
        this.channel = channel;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public boolean gathers() {
        return true;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return channel.write(srcs, offset, length);
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        Sockets.closeQuietly(channel);
    }

    @Override
    public void abort() {
        Sockets.abort(channel);
    }
}
