package dev.tether.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLSocket;

/**
 * TLS through an {@link SSLSocket} layered on the connection's {@link SocketChannel}. Each write hands the
 * TLS layer at most one record's worth of plaintext, so a write that returns means that whole record went
 * to the kernel, and a write that throws left at most a partial record, which the peer cannot decrypt and
 * so never delivers: the writer's exactly-once accounting holds over TLS too. Closing the raw channel
 * unblocks the reader and writer at once, even if the peer stopped reading (closing the SSLSocket alone
 * may wait to send close_notify).
 */
final class TlsTransport implements Transport {
    /** The largest TLS record plaintext. */
    static final int MAX_RECORD_PLAINTEXT = 16 * 1024;

    private final SocketChannel channel;
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] scratch = new byte[MAX_RECORD_PLAINTEXT]; // only for direct source buffers; writer thread only

    TlsTransport(SocketChannel channel, SSLSocket socket) throws IOException {
        this.channel = channel;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int len = Math.min(src.remaining(), MAX_RECORD_PLAINTEXT);
        if (src.hasArray()) {
            out.write(src.array(), src.arrayOffset() + src.position(), len);
        } else {
            src.get(src.position(), scratch, 0, len);
            out.write(scratch, 0, len);
        }
        src.position(src.position() + len);
        return len;
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() {
        Sockets.closeQuietly(channel);
        Sockets.closeQuietly(socket);
    }

    @Override
    public void abort() {
        Sockets.abort(channel); // no close_notify: a reset, as on a plain connection
        Sockets.closeQuietly(socket);
    }
}
