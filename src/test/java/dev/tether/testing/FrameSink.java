package dev.tether.testing;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A peer made of plain java.net sockets that decodes the wire format on its own (not with tether's
 * reader), for tests: listens on 127.0.0.1, records every frame, and can stop, restart on the same port,
 * reset its connections, stop reading, or read one byte at a time.
 */
public final class FrameSink implements AutoCloseable {

    /** One frame as received. */
    public record Received(int connection, byte[] payload, long sentAtEpochNanos) {
        public long seq() {
            return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        }
    }

    private final int port;
    private final LinkedBlockingQueue<Received> frames = new LinkedBlockingQueue<>();
    private final ReentrantLock allLock = new ReentrantLock();
    private final List<Received> all = new ArrayList<>(); // guarded by allLock
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger truncated = new AtomicInteger(); // connections that ended mid-frame
    private final ReentrantLock gate = new ReentrantLock();
    private final Condition opened = gate.newCondition();
    private boolean stalled;   // guarded by gate
    private volatile boolean slow;
    private volatile long stallAfterBytes = Long.MAX_VALUE;
    private final java.util.concurrent.atomic.AtomicLong bytesRead = new java.util.concurrent.atomic.AtomicLong();
    private volatile ServerSocket server;
    private volatile Thread acceptor;

    private final int receiveBuffer;

    private FrameSink(int port, int receiveBuffer) throws IOException {
        this.receiveBuffer = receiveBuffer;
        this.server = bind(port);
        this.port = server.getLocalPort();
        startAccepting();
    }

    public static FrameSink start() throws IOException {
        return new FrameSink(0, 0);
    }

    /** A sink whose connections have a small kernel receive buffer, so a stalled sink pushes back soon. */
    public static FrameSink withReceiveBuffer(int bytes) throws IOException {
        return new FrameSink(0, bytes);
    }

    public static FrameSink startOn(int port) throws IOException {
        return new FrameSink(port, 0);
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** Waits for the next frame. */
    public Received take(Duration timeout) throws InterruptedException {
        Received r = frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (r == null) {
            throw new AssertionError("no frame within " + timeout + " (received " + frameCount() + " so far)");
        }
        return r;
    }

    /** Waits until {@code count} frames in all have arrived. */
    public List<Received> awaitFrames(int count, Duration timeout) {
        Await.until(timeout, () -> frameCount() >= count, () -> count + " frames; have " + frameCount());
        return received();
    }

    public List<Received> received() {
        allLock.lock();
        try {
            return new ArrayList<>(all);
        } finally {
            allLock.unlock();
        }
    }

    public int frameCount() {
        allLock.lock();
        try {
            return all.size();
        } finally {
            allLock.unlock();
        }
    }

    /** The last frame received, or null. */
    public Received last() {
        allLock.lock();
        try {
            return all.isEmpty() ? null : all.get(all.size() - 1);
        } finally {
            allLock.unlock();
        }
    }

    /** Open connections right now. */
    public int openConnections() {
        return sockets.size();
    }

    public int connections() {
        return connections.get();
    }

    public int truncatedConnections() {
        return truncated.get();
    }

    /** Closes the listener and every connection, abruptly: what the kernel held is lost. */
    public void stop() {
        closeQuietly(server);
        joinAcceptor(); // after this no socket can be added behind our back
        for (Socket s : sockets) {
            closeQuietly(s);
            sockets.remove(s); // one by one: a clear() could forget a socket accepted meanwhile
        }
    }

    /** Listens again on the same port. */
    public void restart() throws IOException {
        server = bind(port);
        startAccepting();
    }

    /** Resets every connection (SO_LINGER 0: the peer sees RST). */
    public int resetConnections() {
        int reset = 0;
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // already closed
            }
            closeQuietly(s);
            sockets.remove(s);
            reset++;
        }
        return reset;
    }

    /** Stops reading (the peer's writes fill the kernel buffers and then block). */
    public void stall() {
        gate.lock();
        try {
            stalled = true;
        } finally {
            gate.unlock();
        }
    }

    /** Reads again. */
    public void resume() {
        gate.lock();
        try {
            stalled = false;
            stallAfterBytes = Long.MAX_VALUE;
            opened.signalAll();
        } finally {
            gate.unlock();
        }
    }

    /** Stops reading once this many bytes in all have been read. */
    public void stallAfter(long bytes) {
        stallAfterBytes = bytes;
    }

    /** Bytes read so far over all connections. */
    public long bytesRead() {
        return bytesRead.get();
    }

    /** Reads one byte per call while on. */
    public void readSlowly(boolean on) {
        slow = on;
    }

    @Override
    public void close() {
        resume();
        stop();
    }

    private ServerSocket bind(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer); // inherited by accepted sockets
        }
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        return s;
    }

    private void startAccepting() {
        ServerSocket listening = server;
        acceptor = Thread.ofVirtual().name("sink-acceptor-" + port).start(() -> {
            while (!listening.isClosed()) {
                try {
                    Socket s = listening.accept();
                    sockets.add(s);
                    int id = connections.incrementAndGet();
                    Thread.ofVirtual().name("sink-reader-" + port + "-" + id).start(() -> read(s, id));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    private void joinAcceptor() {
        Thread t = acceptor;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void read(Socket socket, int id) {
        boolean inFrame = false;
        try (socket) {
            DataInputStream in = new DataInputStream(new GatedInput(socket.getInputStream()));
            byte[] header = new byte[12];
            while (true) {
                try {
                    in.readFully(header, 0, 1);
                } catch (EOFException e) {
                    return; // clean end between frames
                }
                inFrame = true;
                try {
                    in.readFully(header, 1, 11);
                    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                    long length = Integer.toUnsignedLong(h.getInt(0));
                    long ts = h.getLong(4);
                    if (length > (64 << 20)) {
                        throw new IOException("sink: absurd length " + length);
                    }
                    byte[] payload = new byte[(int) length];
                    in.readFully(payload);
                    inFrame = false;
                    if (length == 0) {
                        continue;
                    }
                    Received r = new Received(id, payload, ts);
                    allLock.lock();
                    try {
                        all.add(r);
                    } finally {
                        allLock.unlock();
                    }
                    frames.add(r);
                } catch (EOFException e) {
                    truncated.incrementAndGet();
                    return;
                }
            }
        } catch (IOException e) {
            if (inFrame) {
                truncated.incrementAndGet(); // reset or stopped in the middle of a frame
            }
        } finally {
            sockets.remove(socket);
        }
    }

    private void awaitOpen() throws IOException {
        gate.lock();
        try {
            while (stalled || bytesRead.get() >= stallAfterBytes) {
                opened.awaitUninterruptibly();
            }
        } finally {
            gate.unlock();
        }
    }

    private final class GatedInput extends InputStream {
        private final InputStream in;

        GatedInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            awaitOpen();
            int b = in.read();
            if (b >= 0) {
                bytesRead.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            awaitOpen();
            long room = stallAfterBytes - bytesRead.get();
            int n = in.read(b, off, (int) Math.max(1, Math.min(slow ? 1 : len, room)));
            if (n > 0) {
                bytesRead.addAndGet(n);
            }
            return n;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception ignored) {
            // best effort
        }
    }
}
