package dev.tether.bench;

import dev.tether.BacklogLimits;
import dev.tether.Delivery;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.PeerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * One end-to-end set-up: a receiver process with one port per peer, and a sender in this JVM, either the
 * raw-socket baseline or a tether node with one outbound peer per port.
 *
 * <p>The baseline is the most a sender can push here: a blocking {@link SocketChannel} per peer (TCP_NODELAY,
 * like tether's default), each with its own platform thread (as tether has a writer per peer) writing, over
 * and over, a 256 KiB direct buffer filled once with whole pre-encoded frames of the tether wire format. No
 * per-frame work at all. The writer threads run from set-up to close; the benchmark thread only waits.
 */
final class Rig implements AutoCloseable {
    /** The same size as tether's pooled write buffers. */
    static final int BATCH_BYTES = 256 << 10;
    /** How long a tether producer waits for room before the broadcast skips a peer (it never should). */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);

    final ReceiverProcess receiver;
    final int peerCount;
    final byte[] payload;

    // baseline
    private SocketChannel[] channels;
    private final List<Thread> writers = new java.util.ArrayList<>();
    private final java.util.concurrent.atomic.LongAdder baselineFrames = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean running = true;

    // the design alone (impl=sketch)
    DesignSketch sketch;
    DirectSketch direct;

    // tether
    Node node;
    Peer[] peers;

    private Rig(ReceiverProcess receiver, int peerCount, int size) {
        this.receiver = receiver;
        this.peerCount = peerCount;
        this.payload = payload(size);
    }

    static byte[] payload(int size) {
        byte[] p = new byte[size];
        for (int i = 0; i < size; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    /** The raw-socket baseline to a raw receiver. */
    static Rig baseline(int peerCount, int size) {
        Rig rig = new Rig(ReceiverProcess.raw(peerCount), peerCount, size);
        try {
            rig.channels = new SocketChannel[peerCount];
            for (int i = 0; i < peerCount; i++) {
                SocketChannel c = SocketChannel.open();
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.connect(rig.receiver.ports().get(i));
                rig.channels[i] = c;
            }
            int frameBytes = 12 + size;
            int framesPerBatch = BATCH_BYTES / frameBytes;
            ByteBuffer b = ByteBuffer.allocateDirect(BATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            long stamp = Receiver.epochNanos();
            for (int f = 0; f < framesPerBatch; f++) {
                b.putInt(size).putLong(stamp).put(rig.payload);
            }
            ByteBuffer batch = b.flip();
            for (SocketChannel c : rig.channels) {
                ByteBuffer mine = batch.duplicate();
                rig.writers.add(Thread.ofPlatform().daemon().name("baseline-writer").start(() -> rig.writeForever(c, mine, framesPerBatch)));
            }
            return rig;
        } catch (IOException | RuntimeException e) {
            rig.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** {@link DesignSketch}, tether's design without its promises, to a raw receiver. */
    static Rig sketch(int peerCount, int size) {
        Rig rig = new Rig(ReceiverProcess.raw(peerCount), peerCount, size);
        try {
            rig.sketch = new DesignSketch(rig.receiver.ports());
            return rig;
        } catch (IOException | RuntimeException e) {
            rig.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    static Rig direct(int peerCount, int size) {
        Rig rig = new Rig(ReceiverProcess.raw(peerCount), peerCount, size);
        try {
            rig.direct = new DirectSketch(rig.receiver.ports());
            return rig;
        } catch (IOException | RuntimeException e) {
            rig.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** A tether node with one outbound peer per receiver port, all connected on return. */
    static Rig tether(ReceiverProcess receiver, int peerCount, int size, Delivery delivery, BacklogLimits limits) {
        return tether(receiver, peerCount, size, delivery, limits, null);
    }

    /** The same over TLS ({@code tls} null: plain TCP). */
    static Rig tether(ReceiverProcess receiver, int peerCount, int size, Delivery delivery, BacklogLimits limits,
                      dev.tether.TlsConfig tls) {
        Rig rig = new Rig(receiver, peerCount, size);
        try {
            NodeConfig.Builder builder = NodeConfig.builder();
            Long highWaterMark = Long.getLong("tether.bench.highWaterMark"); // A/B runs of the library's setting
            if (highWaterMark != null) {
                builder.highWaterMark(highWaterMark);
            }
            Long maxAgeMillis = Long.getLong("tether.bench.maxAgeMillis"); // A/B runs: the cost of a maximum age
            if (maxAgeMillis != null) {
                builder.maxAge(Duration.ofMillis(maxAgeMillis));
            }
            if (tls != null) {
                builder.tls(tls);
            }
            rig.node = builder
                    .name("bench")
                    .delivery(delivery)
                    .backlogLimits(limits)
                    .drainTimeout(Duration.ZERO)
                    .start();
            rig.peers = new Peer[peerCount];
            List<InetSocketAddress> ports = receiver.ports();
            for (int i = 0; i < peerCount; i++) {
                rig.peers[i] = rig.node.connect(ports.get(i));
            }
            awaitConnected(rig.peers, Duration.ofSeconds(60));
            return rig;
        } catch (RuntimeException e) {
            rig.close();
            throw e;
        }
    }

    static void awaitConnected(Peer[] peers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Peer p : peers) {
            while (p.state() != PeerState.CONNECTED) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(p + " not connected after " + timeout + ": " + p.stats());
                }
                sleep(1);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** "default", or a frame count: the backlog bound of the tether sender. */
    static BacklogLimits limits(String backlog) {
        return backlog.equals("default") ? BacklogLimits.DEFAULT : BacklogLimits.ofFrames(Long.parseLong(backlog));
    }

    private void writeForever(SocketChannel c, ByteBuffer batch, int framesPerBatch) {
        try {
            while (running) {
                batch.rewind();
                while (batch.hasRemaining()) {
                    c.write(batch);
                }
                baselineFrames.add(framesPerBatch);
            }
        } catch (IOException e) {
            if (running) {
                System.err.println("baseline writer failed: " + e);
            }
        }
    }

    /** Frames the sender has handed over so far: baseline frames written, or tether frames queued (counted by the caller). */
    long baselineFramesWritten() {
        return baselineFrames.sum();
    }

    boolean isBaseline() {
        return channels != null;
    }

    /** Reconnections so far over all tether peers; 0 for the baseline. */
    long reconnects() {
        long n = 0;
        if (peers != null) {
            for (Peer p : peers) {
                n += p.stats().reconnects();
            }
        }
        return n;
    }

    @Override
    public void close() {
        running = false;
        if (direct != null) {
            direct.close();
        }
        if (sketch != null) {
            sketch.close();
        }
        if (node != null) {
            node.closeNow();
        }
        if (channels != null) {
            for (SocketChannel c : channels) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }
        receiver.close();
    }
}
