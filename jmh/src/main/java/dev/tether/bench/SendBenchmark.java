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
 * Single-peer send throughput, end to end: {@code Peer.send(payload, maxWait)} to one peer, or with
 * {@code batch} above 1 {@code Peer.sendBatch(that many payloads, maxWait)}, frames delivered per second as
 * counted by the receiver process ({@code delivered}). Its baseline is
 * {@link ThroughputBenchmark} with {@code impl=baseline, peers=1} in the same run (the baseline does not
 * know broadcast from send).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class SendBenchmark {

    /** Payload bytes per frame. */
    @Param({"64", "1024"})
    public int size;

    /** Payloads per call: 1 is {@code send(byte[], Duration)}, more is {@code sendBatch(List, Duration)}. */
    @Param({"1", "64"})
    public int batch;

    /** The backlog bound: {@code default} or a frame count. */
    @Param({"default"})
    public String backlog;

    Rig rig;
    List<byte[]> payloads;

    @Setup(Level.Trial)
    public void setUp() {
        rig = Rig.tether(ReceiverProcess.raw(1), 1, size, Delivery.PLAIN, Rig.limits(backlog));
        payloads = Collections.nCopies(batch, rig.payload);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rig.close();
    }

    @Benchmark
    public Object send(Delivered counters) throws InterruptedException {
        counters.sent += batch;
        return batch == 1 ? rig.peers[0].send(rig.payload, Rig.MAX_WAIT) : rig.peers[0].sendBatch(payloads, Rig.MAX_WAIT);
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
        public void start(SendBenchmark b) {
            before = b.rig.receiver.total();
            reconnectsBefore = b.rig.reconnects();
        }

        @TearDown(Level.Iteration)
        public void stop(SendBenchmark b) {
            delivered = b.rig.receiver.total() - before;
            reconnects = b.rig.reconnects() - reconnectsBefore;
        }
    }
}
