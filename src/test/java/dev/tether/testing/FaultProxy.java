package dev.tether.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 that forwards to a target and, on command, breaks the connections passing
 * through it: close both sides, reset both sides (SO_LINGER 0), stall (stop forwarding, keep buffering),
 * and drop what it has buffered. Bytes it drops were "sent" as far as the sender's kernel knows: exactly
 * the loss plain TCP suffers when a connection dies with data in flight.
 */
public final class FaultProxy implements AutoCloseable {
    private static final int MAX_BUFFERED = 4 << 20;
    private static final int READ_CHUNK = 64 << 10;

    private final InetSocketAddress target;
    private final int socketBuffer;   // SO_SNDBUF and SO_RCVBUF of both sides, 0 for the system's (autotuned) default
    private final int maxBuffered;    // bytes a direction holds in memory before it stops reading
    private final ServerSocket server;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicLong droppedBytes = new AtomicLong();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean stalled;

    public FaultProxy(InetSocketAddress target) throws IOException {
        this(target, 0, MAX_BUFFERED);
    }

    /**
     * A proxy that holds little: each socket's kernel buffers set to {@code socketBuffer} bytes (Linux
     * doubles the value) and at most {@code maxBuffered} bytes in memory per direction, so that the data
     * in flight when a connection breaks, and so the data a break can lose, is bounded by
     * {@link #maxBytesHeld()}.
     */
    public FaultProxy(InetSocketAddress target, int socketBuffer, int maxBuffered) throws IOException {
        this.target = target;
        this.socketBuffer = socketBuffer;
        this.maxBuffered = maxBuffered;
        this.server = new ServerSocket();
        if (socketBuffer > 0) {
            server.setReceiveBufferSize(socketBuffer); // inherited by accepted sockets, before the handshake
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        this.acceptor = Thread.ofVirtual().name("proxy-" + server.getLocalPort()).start(this::acceptLoop);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Connections accepted so far. */
    public long connections() {
        return accepted.get();
    }

    /** Links currently up. */
    public int openLinks() {
        return links.size();
    }

    /**
     * The most bytes of one direction the proxy itself can hold: its receiving socket's buffer, its memory
     * (the bound, the chunk read past it and the chunk being written), its sending socket's buffer (each
     * socket buffer counted at twice the set value, as Linux reserves, plus one chunk for what TCP lets a
     * queue overshoot by; meaningful only with a {@code socketBuffer} set).
     */
    public long maxBytesHeld() {
        return 2 * (2L * socketBuffer + READ_CHUNK) + maxBuffered + 2L * READ_CHUNK;
    }

    public long droppedBytes() {
        return droppedBytes.get();
    }

    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    /** Closes both sides of every connection (FIN), after forwarding nothing more. */
    public void cut() {
        for (Link l : links) {
            l.close(false);
        }
    }

    /** Resets both sides of every connection (RST). */
    public void reset() {
        for (Link l : links) {
            l.close(true);
        }
    }

    /** Stops forwarding; bytes keep arriving into the proxy's buffers until they are full. */
    public void stall() {
        stalled = true;
    }

    /** Forwards again. */
    public void resume() {
        stalled = false;
        for (Link l : links) {
            l.wake();
        }
    }

    /** Drops whatever the proxy holds and not yet forwarded, then cuts: in-flight data is lost. */
    public void dropBufferedAndCut() {
        for (Link l : links) {
            l.dropBuffered();
            l.close(false);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        reset();
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            Socket upstream = new Socket();
            try {
                if (socketBuffer > 0) {
                    client.setSendBufferSize(socketBuffer);
                    upstream.setSendBufferSize(socketBuffer);
                    upstream.setReceiveBufferSize(socketBuffer);
                }
                upstream.connect(target, 5000);
            } catch (IOException e) {
                closeQuietly(client); // the target is down: the client sees its connection closed
                continue;
            }
            Link link = new Link(client, upstream);
            links.add(link);
            link.start();
        }
    }

    /** One proxied connection: two directions, each a reader into a bounded buffer and a writer out of it. */
    private final class Link {
        private final Socket a;
        private final Socket b;
        private final Pipe up;
        private final Pipe down;
        private final java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger(); // directions that passed on their end of stream
        private volatile boolean closed;

        Link(Socket a, Socket b) {
            this.a = a;
            this.b = b;
            this.up = new Pipe(a, b);
            this.down = new Pipe(b, a);
        }

        void start() {
            up.start();
            down.start();
        }

        void wake() {
            up.wake();
            down.wake();
        }

        void dropBuffered() {
            up.drop();
            down.drop();
        }

        void close(boolean reset) {
            if (closed) {
                return;
            }
            closed = true;
            if (reset) {
                try {
                    a.setSoLinger(true, 0);
                    b.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // already closed
                }
            }
            closeQuietly(a);
            closeQuietly(b);
            links.remove(this);
            up.wake();
            down.wake();
        }

        private final class Pipe {
            private final Socket from;
            private final Socket to;
            private final ReentrantLock lock = new ReentrantLock();
            private final Condition changed = lock.newCondition();
            private final ArrayDeque<byte[]> chunks = new ArrayDeque<>(); // guarded by lock
            private int buffered;                                         // guarded by lock
            private boolean eof;                                          // guarded by lock

            Pipe(Socket from, Socket to) {
                this.from = from;
                this.to = to;
            }

            void start() {
                Thread.ofVirtual().start(this::readLoop);
                Thread.ofVirtual().start(this::writeLoop);
            }

            void wake() {
                lock.lock();
                try {
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }

            void drop() {
                lock.lock();
                try {
                    droppedBytes.addAndGet(buffered);
                    chunks.clear();
                    buffered = 0;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }

            private void readLoop() {
                byte[] buf = new byte[READ_CHUNK];
                try {
                    InputStream in = from.getInputStream();
                    while (true) {
                        lock.lock();
                        try {
                            while (buffered >= maxBuffered && !closed) {
                                changed.awaitUninterruptibly(); // buffer full: stop reading, the sender feels it
                            }
                        } finally {
                            lock.unlock();
                        }
                        int n = in.read(buf);
                        lock.lock();
                        try {
                            if (n < 0) {
                                eof = true;
                            } else {
                                chunks.add(java.util.Arrays.copyOf(buf, n));
                                buffered += n;
                            }
                            changed.signalAll();
                        } finally {
                            lock.unlock();
                        }
                        if (n < 0) {
                            return;
                        }
                    }
                } catch (IOException e) {
                    close(false);
                }
            }

            private void writeLoop() {
                try {
                    OutputStream out = to.getOutputStream();
                    while (true) {
                        byte[] chunk;
                        lock.lock();
                        try {
                            while ((chunks.isEmpty() || stalled) && !closed && !(eof && chunks.isEmpty())) {
                                changed.awaitUninterruptibly();
                            }
                            if (closed) {
                                return;
                            }
                            if (chunks.isEmpty()) { // eof and nothing left: pass the end of stream on
                                to.shutdownOutput();
                                if (ended.incrementAndGet() == 2) {
                                    close(false); // both ways ended: the link is over, its sockets are closed
                                }
                                return;
                            }
                            chunk = chunks.poll();
                            buffered -= chunk.length;
                            changed.signalAll();
                        } finally {
                            lock.unlock();
                        }
                        out.write(chunk);
                        forwardedBytes.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    close(false);
                }
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
