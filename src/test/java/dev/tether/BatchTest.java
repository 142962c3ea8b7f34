package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Frame;
import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * Many payloads in one call: one record, encoded once, one slot per peer; on the wire and in every count each
 * payload is still a frame of its own, and the delivery guarantees are those of single frames.
 */
class BatchTest {

    static List<byte[]> batch(long first, int count, int size) {
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            payloads.add(BacklogBoundsTest.numbered(first + i, size));
        }
        return payloads;
    }

    @Test
    void aBatchArrivesAsSeparateFramesInOrderAndCountsAsThatManyFrames() throws Exception {
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        try (Node receiver = NodeConfig.builder().name("rx").onMessage((p, payload, sentAt) ->
                got.add(payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()))).start();
             Node sender = NodeConfig.builder().name("tx").start()) {
            Peer peer = sender.connect(receiver.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            for (int b = 0; b < 10; b++) {
                assertEquals(SendResult.ACCEPTED, peer.sendBatch(batch(b * 64L, 64, 16)));
            }
            Await.until(() -> got.size() == 640, () -> got.size() + " of 640 frames");
            long expected = 0;
            for (long s : got) {
                assertEquals(expected++, s, "in order, each once");
            }
            Await.until(() -> peer.stats().framesWritten() == 640, () -> "640 frames written: " + peer.stats());
            assertEquals(640 * (12 + 16L), peer.stats().bytesWritten());
        }
    }

    @Test
    void aBroadcastBatchIsOneSharedRecordInEveryBacklogAndTheBoundCountsItsFrames() throws Exception {
        int port = BroadcastTest.unusedPort(); // nobody listens: the records stay where we can look at them
        try (Node node = NodeConfig.builder().backlogLimits(BacklogLimits.of(100, 1 << 20)).drainTimeout(Duration.ZERO).start()) {
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                peers.add(node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            }
            assertEquals(3, node.broadcastBatch(batch(0, 64, 10)));
            Frame record = Internals.queuedFrames(peers.get(0))[0];
            for (Peer p : peers) {
                assertEquals(1, Internals.queuedFrames(p).length, "one slot per peer");
                assertSame(record, Internals.queuedFrames(p)[0], "the same record for every peer: encoded once");
                assertEquals(64, p.queuedFrames(), "64 frames against the bound");
                assertEquals(64 * 22L, p.stats().queuedBytes());
            }
            assertEquals(0, node.broadcastBatch(batch(64, 64, 10)), "64 more do not fit a bound of 100: none of them is taken");
            for (Peer p : peers) {
                assertEquals(64, p.stats().droppedBacklogFull(), "each frame of the refused batch counted");
            }
            assertEquals(3, node.broadcastBatch(batch(128, 36, 10)), "36 fit exactly");
            IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> node.broadcastBatch(batch(0, 101, 10)));
            assertTrue(tooBig.getMessage().contains("split it"), tooBig.getMessage());
            assertThrows(IllegalArgumentException.class, () -> node.broadcastBatch(List.of()));
            assertThrows(IllegalArgumentException.class, () -> node.broadcastBatch(List.of(new byte[0])));
        }
    }

    @Test
    void aBatchCutOffMidWriteResendsOnlyTheFramesNotWrittenWhole() throws Exception {
        int big = 4 << 20;
        try (FrameSink sink = FrameSink.start();
             Node node = NodeConfig.builder().reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.5)
                     .sendBufferSize(64 << 10).start()) {
            Peer peer = node.connect(sink.address());
            peer.send(BacklogBoundsTest.numbered(0, 64));
            sink.awaitFrames(1, Duration.ofSeconds(10));
            long cut = sink.bytesRead() + 100_000; // frame 1 whole, then 100 kB into frame 2
            sink.stallAfter(cut);
            peer.sendBatch(List.of(BacklogBoundsTest.numbered(1, 64), BacklogBoundsTest.numbered(2, big), BacklogBoundsTest.numbered(3, 64)));
            Await.until(() -> sink.bytesRead() >= cut, "the sink has read into the big frame");
            sink.resetConnections();
            sink.resume();
            List<FrameSink.Received> all = sink.awaitFrames(4, Duration.ofSeconds(20));
            Await.until(() -> peer.queuedFrames() == 0, "backlog empties");
            List<Long> seqs = all.stream().map(FrameSink.Received::seq).toList();
            assertEquals(List.of(0L, 1L, 2L, 3L), seqs, "frame 1 of the batch once, the cut frame whole once, then the rest");
            assertEquals(1, all.get(1).connection(), "frame 1 was written whole on the first connection and not again");
            assertEquals(2, all.get(2).connection(), "the cut frame arrived whole on the second");
            assertEquals(big, all.get(2).payload().length);
            assertEquals(4, peer.stats().framesWritten());
        }
    }

    @Test
    void acknowledgedBatchesArriveExactlyOnceInOrderAcrossDroppedConnections() throws Exception {
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        try (Node receiver = NodeConfig.builder().name("rx").delivery(Delivery.ACKNOWLEDGED).onMessage((p, payload, sentAt) ->
                got.add(payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()))).start();
             Node sender = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED)
                     .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).start()) {
            Peer peer = sender.connect(receiver.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            int batches = 200;
            for (int b = 0; b < batches; b++) {
                assertEquals(SendResult.ACCEPTED, peer.sendBatch(batch(b * 50L, 50, 32), Duration.ofSeconds(10)));
                if (b % 40 == 39) { // the receiver drops its side: the sender resumes after what was delivered
                    receiver.peers().forEach(Peer::close);
                }
            }
            Await.until(() -> got.size() >= batches * 50 && peer.queuedFrames() == 0, () -> got.size() + " delivered, "
                    + peer.queuedFrames() + " queued");
            long expected = 0;
            for (long s : got) {
                assertEquals(expected++, s, "each frame once, in order, though acknowledgements split batches");
            }
            assertEquals(batches * 50L, expected);
        }
    }
}
