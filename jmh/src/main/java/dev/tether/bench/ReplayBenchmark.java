package dev.tether.bench;

import dev.tether.BacklogLimits;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.SendResult;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * Replay: the time from a peer's return to the delivery of the backlog it missed.
 *
 * <p>Before each call (not timed): the receiver stops listening and resets the connection; once tether sees
 * the peer down, {@code frames} frames are sent to it (they queue), and the receiver's count is zeroed.
 * The timed call: the receiver listens again on the same port, and we wait until it has counted every
 * frame. So the time includes tether noticing the port is back (reconnect backoff capped at 1 ms here),
 * the TCP connect, and writing the whole backlog; {@code frames / time} is the replay rate.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class ReplayBenchmark {

    /** Frames queued while the peer is away. */
    @Param({"100000"})
    public int frames;

    /** Payload bytes per frame. */
    @Param({"64"})
    public int size;

    private ReceiverProcess receiver;
    private Node node;
    private Peer peer;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() {
        payload = Rig.payload(size);
        receiver = ReceiverProcess.raw(1);
        node = NodeConfig.builder()
                .name("bench")
                .backlogLimits(BacklogLimits.ofFrames(frames + 1L))
                .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(1), 0)
                .drainTimeout(Duration.ZERO)
                .start();
        peer = node.connect(receiver.ports().get(0));
        Rig.awaitConnected(new Peer[] {peer}, Duration.ofSeconds(30));
    }

    @Setup(Level.Invocation)
    public void peerGoesAway() {
        receiver.closePort(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (peer.state() == PeerState.CONNECTED) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("tether did not notice the reset connection: " + peer.stats());
            }
            Thread.onSpinWait();
        }
        for (int i = 0; i < frames; i++) {
            if (peer.send(payload) != SendResult.ACCEPTED) {
                throw new IllegalStateException("frame " + i + " not queued: " + peer.stats());
            }
        }
        receiver.reset();
    }

    @Benchmark
    public long replay() {
        receiver.openPort(0);
        if (!receiver.await(frames, Duration.ofSeconds(60))) {
            throw new IllegalStateException("backlog not delivered in 60 s: receiver has " + receiver.total()
                    + " of " + frames + "; " + peer.stats());
        }
        return frames;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        node.closeNow();
        receiver.close();
    }
}
