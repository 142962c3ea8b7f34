package dev.tether.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * TLS through an {@link SSLSocket} layered on the connection's {@link SocketChannel}. Each write hands the
 * TLS layer at most one record's worth of plaintext, so a write that returns means that whole record went
 * to the kernel, and a write that throws left at most a partial record, which the peer cannot decrypt and
 * so never delivers: the writer's exactly-once accounting holds over TLS too. Closing the raw channel
 * unblocks the reader and writer at once, even if the peer stopped reading (closing the SSLSocket alone
 * may wait to send close_notify). A TLS error after the handshake (with TLS 1.3 a listener refuses a client's
 * certificate only after the client finished its side) is named from this end, as the handshake's are.
 */
final class TlsTransport implements Transport {
    /** The largest TLS record plaintext. */
    static final int MAX_RECORD_PLAINTEXT = 16 * 1024;
    private static final long ALERT_WAIT_MILLIS = 200;

    private final SocketChannel channel;
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final InetSocketAddress remote; // for the failure texts
    private final TlsFailureText.Side side;
    private final CountDownLatch readEnded = new CountDownLatch(1);
    private volatile SSLException alert; // the peer's alert, once the reader got one
    private final byte[] scratch = new byte[MAX_RECORD_PLAINTEXT]; // only for direct source buffers; writer thread only

    TlsTransport(SocketChannel channel, SSLSocket socket, TlsFailureText.Side side) throws IOException {
        this.side = side;
        this.channel = channel;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.remote = (InetSocketAddress) channel.getRemoteAddress();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n;
        try {
            n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        } catch (SSLException e) {
            if (TlsFailureText.isAlert(e)) {
                alert = e;
            }
            readEnded.countDown();
            throw named(e);
        } catch (IOException e) {
            readEnded.countDown();
            throw e;
        }
        if (n < 0) {
            readEnded.countDown();
        }
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int len = Math.min(src.remaining(), MAX_RECORD_PLAINTEXT);
        try {
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), len);
            } else {
                src.get(src.position(), scratch, 0, len);
                out.write(scratch, 0, len);
            }
        } catch (SSLException e) {
            throw named(e);
        } catch (ClosedChannelException e) {
            throw e; // closed here: nothing the peer said to wait for
        } catch (IOException e) {
            throw explained(e);
        }
        src.position(src.position() + len);
        return len;
    }

    /**
     * A write that failed because the peer hung up after sending an alert (TLS 1.3: a listener refusing the
     * client's certificate once the client finished) is better explained by that alert, which the reader is
     * about to get: wait briefly for it.
     */
    private IOException explained(IOException e) {
        try {
            readEnded.await(ALERT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        SSLException a = alert;
        return a == null ? e : named(a);
    }

    private IOException named(SSLException e) {
        if (!TlsFailureText.isAlert(e)) {
            return e;
        }
        String who = (side == TlsFailureText.Side.CLIENT ? "with " : "from ") + remote.getHostString() + ":" + remote.getPort();
        return new DisconnectException(dev.tether.DisconnectReason.HANDSHAKE_FAILED,
                "TLS handshake " + who + " failed: " + TlsFailureText.of(e, side), e);
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
