package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The high-water mark for producers that wait: a connected peer's queue stays near the mark while its writer
 * keeps up, and a peer that takes nothing falls back to the bound instead of holding the producer.
 */
class HighWaterMarkTest {
    private static final int FRAME = 1024;
    private static final long MARK = 256 << 10;

    private static NodeConfig.Builder node() {
        return NodeConfig.builder().name("hwm").reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5)
                .highWaterMark(MARK);
    }

    /** Median of the queue sizes sampled after the calls: a hiccup of the machine may spike it, but not for long. */
    private static long median(long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @Test
    void aWaitingBroadcastFasterThanItsPeersKeepsTheirQueuesNearTheMarkAndDeliversEverything() throws Exception {
        int frames = 40_000; // 40 MiB per peer: without the mark, a producer faster than the writer queues most of it
        AtomicLong received = new AtomicLong();
        try (Node receiver = NodeConfig.builder().name("receiver").onMessage((p, payload, at) -> received.incrementAndGet()).start();
             Node node = node().start()) {
            InetSocketAddress at = receiver.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Peer pa = node.connect(at);
            Peer pb = node.connect(at);
            assertTrue(pa.awaitConnected(Duration.ofSeconds(10)) && pb.awaitConnected(Duration.ofSeconds(10)), "connected");
            long[] queuedA = new long[frames / 64];
            long[] queuedB = new long[frames / 64];
            byte[] payload = new byte[FRAME];
            for (int i = 0; i < frames; i++) {
                payload[0] = (byte) i;
                assertEquals(2, node.broadcast(payload, Duration.ofSeconds(30)), "frame " + i + " queued for both");
                if (i % 64 == 63) {
                    queuedA[i / 64] = pa.stats().queuedBytes();
                    queuedB[i / 64] = pb.stats().queuedBytes();
                }
            }
            long limit = MARK + FRAME + 12;
            assertTrue(median(queuedA) <= limit && median(queuedB) <= limit, "queues near the mark of " + MARK
                    + " bytes: medians " + median(queuedA) + " and " + median(queuedB));
            Await.until(Duration.ofSeconds(30), () -> received.get() == 2L * frames, () -> "all delivered: " + received.get());
            assertEquals(0, pa.stats().framesDropped() + pb.stats().framesDropped(), "nothing dropped");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a producer held at the mark would wait a minute per frame
    void aPeerThatTakesNothingDoesNotHoldAWaitingSenderAtTheMarkButFillsToTheBound() throws Exception {
        try (FrameSink sink = FrameSink.withReceiveBuffer(16 << 10);
             Node node = node().sendBufferSize(16 << 10).overflowTimeout(Duration.ofMinutes(5))
                     .backlogLimits(BacklogLimits.ofBytes(4 << 20)).start()) {
            Peer peer = node.connect(sink.address());
            assertTrue(peer.awaitConnected(Duration.ofSeconds(10)), "connected");
            sink.stall();
            int frames = 3 * (1 << 20) / (FRAME + 12); // 3 MiB: twelve times the mark, within the bound
            for (int i = 0; i < frames; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(new byte[FRAME], Duration.ofMinutes(1)), "frame " + i);
            }
            assertTrue(peer.stats().queuedBytes() > 2 * MARK, "the stalled peer's queue grew past the mark: " + peer.stats());
            assertEquals(PeerState.CONNECTED, peer.state());
            sink.resume();
            Await.until(Duration.ofSeconds(30), () -> sink.frameCount() == frames, () -> "all delivered: " + sink.frameCount());
        }
    }

    @Test
    void aSenderThatDoesNotWaitIsNotAffectedByTheMark() throws Exception {
        try (FrameSink sink = FrameSink.withReceiveBuffer(16 << 10);
             Node node = node().sendBufferSize(16 << 10).overflowTimeout(Duration.ofMinutes(5)).start()) {
            Peer peer = node.connect(sink.address());
            assertTrue(peer.awaitConnected(Duration.ofSeconds(10)), "connected");
            sink.stall();
            for (int i = 0; i < 2_000; i++) { // 2 MiB, eight times the mark
                assertEquals(SendResult.ACCEPTED, peer.send(new byte[FRAME]), "frame " + i);
            }
            assertTrue(peer.stats().queuedBytes() > 4 * MARK, "queued past the mark at once: " + peer.stats());
            sink.resume();
            Await.until(Duration.ofSeconds(30), () -> sink.frameCount() == 2_000, () -> "all delivered: " + sink.frameCount());
        }
    }

    @Test
    void theMarkIsASettingWithACheckedValue() {
        assertEquals(NodeConfig.DEFAULT_HIGH_WATER_MARK, NodeConfig.builder().build().highWaterMark());
        assertEquals(0, NodeConfig.builder().highWaterMark(0).build().highWaterMark());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.builder().highWaterMark(-1));
        assertTrue(e.getMessage().contains("highWaterMark"), e.getMessage());
    }
}
