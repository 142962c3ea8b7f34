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
 * TLS against plain TCP: the broadcast benchmark of {@link ThroughputBenchmark}, tether to tether (the
 * receiver process runs a tether node, with TLS or without, and counts frames in its message handler).
 * Each peer's connection encrypts its own copy of every broadcast frame. The summary reports TLS / plain.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(1)
@State(Scope.Benchmark)
public class TlsBenchmark {

    /** {@code plain} TCP or {@code tls}, on both ends (plain delivery either way). */
    @Param({"plain", "tls"})
    public String transport;

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
        boolean tls = transport.equals("tls");
        ReceiverProcess receiver = ReceiverProcess.start("--kind", tls ? "tether-tls" : "tether",
                "--ports", Integer.toString(peers));
        rig = Rig.tether(receiver, peers, size, Delivery.PLAIN, Rig.limits(backlog), tls ? BenchTls.client() : null);
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
        public void start(TlsBenchmark b) {
            before = b.rig.receiver.total();
            reconnectsBefore = b.rig.reconnects();
        }

        @TearDown(Level.Iteration)
        public void stop(TlsBenchmark b) {
            delivered = b.rig.receiver.total() - before;
            reconnects = b.rig.reconnects() - reconnectsBefore;
        }
    }
}
