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
 * Broadcast throughput, end to end: frames DELIVERED per second over all peers, counted by a receiver in a
 * separate process, for tether's {@code broadcast} and for the raw-socket baseline in the same run.
 *
 * <p>The figure to read is the secondary metric {@code delivered} (frames/s, counted by the receiver over
 * the iteration). The primary score is the rate of benchmark calls, which means different things: one
 * broadcast for tether; for the baseline, whose writer threads run on their own (see {@link Rig}), one
 * millisecond of waiting. {@code sent} is the frames the sender handed over (tether: queued in backlogs; it
 * cannot run ahead of delivery by more than the backlog bound, because every broadcast waits for room;
 * baseline: written).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class ThroughputBenchmark {

    /**
     * {@code baseline}: pre-encoded batches on raw sockets; {@code tether}: Node.broadcast. Also, with
     * {@code -p impl=sketch}: {@link DesignSketch}, the design without tether's promises; {@code -p impl=direct}:
     * {@link DirectSketch}, the same with frames in shared direct memory and gathering writes.
     */
    @Param({"baseline", "tether"})
    public String impl;

    /** Payload bytes per frame (each frame is 12 bytes more on the wire). */
    @Param({"64", "1024"})
    public int size;

    /** Connected peers, one receiver port each. */
    @Param({"1", "4", "16"})
    public int peers;

    /** The tether sender's backlog bound: {@code default} (1,000,000 frames, 64 MiB) or a frame count. */
    @Param({"default"})
    public String backlog;

    Rig rig;

    @Setup(Level.Trial)
    public void setUp() {
        rig = impl.equals("baseline") ? Rig.baseline(peers, size)
                : impl.equals("sketch") ? Rig.sketch(peers, size)
                : impl.equals("direct") ? Rig.direct(peers, size)
                : Rig.tether(ReceiverProcess.raw(peers), peers, size, Delivery.PLAIN, Rig.limits(backlog));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rig.close();
    }

    @Benchmark
    public long broadcast(Delivered counters) throws InterruptedException {
        if (rig.isBaseline()) {
            Thread.sleep(1); // the baseline's writer threads do the work; Delivered counts what they wrote
            return 0;
        }
        long n = rig.direct != null ? rig.direct.broadcast(rig.payload) : rig.sketch != null ? rig.sketch.broadcast(rig.payload) : rig.node.broadcast(rig.payload, Rig.MAX_WAIT);
        counters.sent += n;
        return n;
    }

    /** Frames the receiver counted during the iteration, and frames the sender handed over. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Delivered {
        public long delivered;
        public long sent;
        /** Reconnections of tether peers during the iteration: any at all means the figure is not plain throughput. */
        public long reconnects;
        private long before;
        private long reconnectsBefore;

        private long baselineBefore;

        @Setup(Level.Iteration)
        public void start(ThroughputBenchmark b) {
            before = b.rig.receiver.total();
            reconnectsBefore = b.rig.reconnects();
            baselineBefore = b.rig.baselineFramesWritten();
        }

        @TearDown(Level.Iteration)
        public void stop(ThroughputBenchmark b) {
            delivered = b.rig.receiver.total() - before;
            reconnects = b.rig.reconnects() - reconnectsBefore;
            if (b.rig.isBaseline()) {
                sent = b.rig.baselineFramesWritten() - baselineBefore;
            }
        }
    }
}
