package dev.tether.bench;

import dev.tether.Delivery;
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
 * The broadcast benchmark of {@link ThroughputBenchmark}, tether to tether, in each mode that needs tether at
 * the receiving end: {@code plain} delivery over TCP, {@code acknowledged} delivery (handshake and
 * acknowledgements), and plain delivery over {@code tls} (each peer's connection encrypts its own copy of every
 * frame). The receiver process runs a tether node of the same mode and counts frames in its message handler;
 * the summary reports acknowledged / plain and TLS / plain, all from this one run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class TetherToTetherBenchmark {

    /** {@code plain}, {@code acknowledged} or {@code tls}, on both ends. */
    @Param({"plain", "acknowledged", "tls"})
    public String mode;

    /** Payload bytes per frame. */
    @Param({"64", "1024"})
    public int size;

    /** Connected peers, one receiver port each. */
    @Param({"4"})
    public int peers;

    /** The sender's backlog bound: {@code default} (1,000,000 frames, 64 MiB) or a frame count. */
    @Param({"default"})
    public String backlog;

    Rig rig;

    @Setup(Level.Trial)
    public void setUp() {
        boolean ack = mode.equals("acknowledged");
        boolean tls = mode.equals("tls");
        ReceiverProcess receiver = ReceiverProcess.start("--kind", ack ? "tether-ack" : tls ? "tether-tls" : "tether",
                "--ports", Integer.toString(peers));
        rig = Rig.tether(receiver, peers, size, ack ? Delivery.ACKNOWLEDGED : Delivery.PLAIN, Rig.limits(backlog),
                tls ? BenchTls.client() : null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rig.close();
    }

    @Benchmark
    public int broadcast(Delivered counters) throws InterruptedException {
        int n = rig.node.broadcast(rig.payload, Rig.MAX_WAIT);
        counters.sent += n;
        return n;
    }

    /** Frames the receiving node handed to its message handler during the iteration, and frames queued. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Delivered {
        public long delivered;
        public long sent;
        /** Reconnections of tether peers during the iteration: any at all means the figure is not plain throughput. */
        public long reconnects;
        private long before;
        private long reconnectsBefore;

        @Setup(Level.Iteration)
        public void start(TetherToTetherBenchmark b) {
            before = b.rig.receiver.total();
            reconnectsBefore = b.rig.reconnects();
        }

        @TearDown(Level.Iteration)
        public void stop(TetherToTetherBenchmark b) {
            delivered = b.rig.receiver.total() - before;
            reconnects = b.rig.reconnects() - reconnectsBefore;
        }
    }
}
