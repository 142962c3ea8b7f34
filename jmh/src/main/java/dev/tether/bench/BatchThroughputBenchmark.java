package dev.tether.bench;

import dev.tether.Delivery;
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
 * Batched broadcast throughput, end to end: each call is {@code Node.broadcastBatch(batch payloads, 30 s)},
 * frames delivered per second over all peers as counted by the receiver process ({@code delivered}). Its
 * baseline is {@link ThroughputBenchmark} with {@code impl=baseline} and the same payload and peers, in the same
 * run (the baseline writes pre-encoded 256 KiB batches whatever the caller's batching).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class BatchThroughputBenchmark {

    /** Payload bytes per frame. */
    @Param({"64"})
    public int size;

    /** Payloads per broadcastBatch call. */
    @Param({"16", "64"})
    public int batch;

    /** Connected peers, one receiver port each. */
    @Param({"1", "4", "16"})
    public int peers;

    /** The sender's backlog bound: {@code default} (1,000,000 frames, 64 MiB) or a frame count. */
    @Param({"default"})
    public String backlog;

    Rig rig;
    List<byte[]> payloads;

    @Setup(Level.Trial)
    public void setUp() {
        rig = Rig.tether(ReceiverProcess.raw(peers), peers, size, Delivery.PLAIN, Rig.limits(backlog));
        payloads = Collections.nCopies(batch, rig.payload); // broadcastBatch copies each payload: one array will do
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rig.close();
    }

    @Benchmark
    public int broadcastBatch(Delivered counters) throws InterruptedException {
        int n = rig.node.broadcastBatch(payloads, Rig.MAX_WAIT);
        counters.sent += (long) n * batch;
        return n;
    }

    /** Frames the receiver counted during the iteration, and frames queued. */
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
        public void start(BatchThroughputBenchmark b) {
            before = b.rig.receiver.total();
            reconnectsBefore = b.rig.reconnects();
        }

        @TearDown(Level.Iteration)
        public void stop(BatchThroughputBenchmark b) {
            delivered = b.rig.receiver.total() - before;
            reconnects = b.rig.reconnects() - reconnectsBefore;
        }
    }
}
