package dev.tether.bench;

import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.internal.Internals;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The broadcast call alone: calls per second of {@code Node.broadcast(byte[])}, or with {@code batch} above 1
 * of {@code Node.broadcastBatch} of that many payloads (the summary turns it into ns per call and per frame), the bytes the calling thread allocates ({@code callerAllocatedBytes}, bytes/s; divided by
 * the call rate: bytes per call, from the thread's own allocation counter), and with {@code -prof gc} the
 * bytes allocated per call by the whole JVM ({@code gc.alloc.rate.norm}: the caller, the writers and
 * anything else running, JMH included, which matters at a few thousand calls a second).
 *
 * <ul>
 *   <li>{@code connected}: every peer connected to a raw receiver process (one port; the receiver reads
 *       with a virtual thread per connection). The writers drain while we call, so the time includes
 *       contention with them for each backlog's lock.</li>
 *   <li>{@code disconnected}: every peer pointed at a closed port, after its first connect attempt failed
 *       and with a reconnect backoff of an hour: pure backlog append, no writer.</li>
 * </ul>
 *
 * <p>Every {@value #CLEAR_EVERY} calls the benchmark empties every backlog (with {@link Internals#clearBacklog},
 * tether's one internal entry point for tests and benchmarks: the public API has no "clear"), so the
 * backlogs never reach their bound (no call takes the full-backlog path) and the frames die young. The
 * clearing is inside the measured time: about one extra slot write per appended frame. The set-up makes
 * {@value #CLEAR_EVERY} calls first, so the deques have grown to their working size before warm-up.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class BroadcastCallBenchmark {
    static final int CLEAR_EVERY = 4096;

    /** Peers in the node. */
    @Param({"1", "16", "256", "1024"})
    public int peerCount;

    /** {@code connected} or {@code disconnected}. */
    @Param({"connected", "disconnected"})
    public String peerState;

    /** Payload bytes. */
    @Param({"64"})
    public int size;

    /** Payloads per call: 1 is {@code broadcast(byte[])}, more is {@code broadcastBatch(List)}. */
    @Param({"1", "64"})
    public int batch;

    private ReceiverProcess receiver;
    private Node node;
    private Peer[] peers;
    private byte[] payload;
    private List<byte[]> payloads;
    private long calls;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        payload = Rig.payload(size);
        payloads = Collections.nCopies(batch, payload);
        boolean connected = peerState.equals("connected");
        InetSocketAddress target;
        NodeConfig.Builder config = NodeConfig.builder()
                .name("bench")
                .drainTimeout(Duration.ZERO)
                .dropReportInterval(Duration.ofDays(1)); // clearing counts as drops: report them once, not every second
        if (connected) {
            receiver = ReceiverProcess.start("--kind", "raw", "--ports", "1", "--threads", "virtual",
                    "--read-buffer", Integer.toString(64 << 10));
            target = receiver.ports().get(0);
        } else {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                target = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()); // closed when we connect
            }
            config.reconnectBackoff(Duration.ofHours(1), Duration.ofHours(1), 0);
        }
        node = config.start();
        peers = new Peer[peerCount];
        for (int i = 0; i < peerCount; i++) {
            peers[i] = node.connect(target);
        }
        if (connected) {
            Rig.awaitConnected(peers, Duration.ofSeconds(120));
        } else {
            awaitState(peers, PeerState.DISCONNECTED, Duration.ofSeconds(120));
        }
        // grow every backlog's deque to the size it reaches between clearings, so that growing it (the
        // deque slots themselves) does not fall into a short measurement
        for (int i = 0; i < CLEAR_EVERY; i++) {
            broadcast();
        }
    }

    private static void awaitState(Peer[] peers, PeerState state, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Peer p : List.of(peers)) {
            while (p.state() != state) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(p + " not " + state + " after " + timeout);
                }
                Rig.sleep(1);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long full = node.stats().droppedBacklogFull();
        if (full > 0) {
            System.err.println("WARNING: " + full + " frames hit a full backlog: the benchmark measured the full path too");
        }
        node.closeNow();
        if (receiver != null) {
            receiver.close();
        }
    }

    @Benchmark
    public int broadcast(CallerAllocation allocation) {
        return broadcast();
    }

    private int broadcast() {
        int queued = batch == 1 ? node.broadcast(payload) : node.broadcastBatch(payloads);
        if (++calls % CLEAR_EVERY == 0) {
            for (Peer p : peers) {
                Internals.clearBacklog(p);
            }
        }
        return queued;
    }

    /** Bytes allocated by the benchmark thread itself during the iteration (normalised by JMH to bytes/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class CallerAllocation {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        public long callerAllocatedBytes;
        private long before;

        @Setup(Level.Iteration)
        public void start() {
            before = THREADS.getCurrentThreadAllocatedBytes();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            callerAllocatedBytes = THREADS.getCurrentThreadAllocatedBytes() - before;
        }
    }
}
