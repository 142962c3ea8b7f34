package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Real-time data: a maximum age for queued frames, and drop-oldest at the bound. What a policy drops is
 * counted under its own reason; everything else keeps every guarantee.
 */
class StaleDataTest {
    private static final Duration AGE = Duration.ofMillis(300);

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    private static void awaitAge(long sinceNanos, Duration age) {
        Await.until(() -> System.nanoTime() - sinceNanos > age.toNanos() + 50_000_000L, "the maximum age has passed");
    }

    @Test
    void aPeerDownLongerThanTheMaximumAgeGetsOnlyWhatWasQueuedWithinItAndTheCountsAddUp() throws Exception {
        int port = BroadcastTest.unusedPort();
        try (Node node = NodeConfig.builder().maxAge(AGE).reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(50), 0.5).start()) {
            Peer peer = node.connect(loopback(port));
            for (int i = 0; i < 100; i++) {
                node.broadcast(BacklogBoundsTest.numbered(i, 32)); // stale by the time the peer is back
            }
            long staleQueued = System.nanoTime();
            awaitAge(staleQueued, AGE);
            try (FrameSink sink = FrameSink.startOn(port)) {
                for (int i = 100; i < 150; i++) {
                    node.broadcast(BacklogBoundsTest.numbered(i, 32)); // fresh: sent just before the peer is back
                }
                List<FrameSink.Received> got = sink.awaitFrames(50, Duration.ofSeconds(10));
                Await.until(() -> peer.queuedFrames() == 0, "the backlog empties");
                List<Long> seqs = got.stream().map(FrameSink.Received::seq).toList();
                List<Long> expected = new ArrayList<>();
                for (long i = 100; i < 150; i++) {
                    expected.add(i);
                }
                assertEquals(expected, seqs, "only the frames queued within the age, in order, each once");
                PeerStats s = peer.stats();
                assertEquals(100, s.droppedExpired(), "the stale ones counted as expired: " + s);
                assertEquals(150, s.framesWritten() + s.framesDropped(), "sent = written + dropped: " + s);
                assertEquals(s.framesDropped(), s.droppedExpired(), "no other reason: " + s);
            }
        }
    }

    @Test
    void dropOldestAtTheBoundKeepsTheNewestFramesOfADownPeer() throws Exception {
        int port = BroadcastTest.unusedPort();
        try (Node node = NodeConfig.builder().overflowPolicy(OverflowPolicy.DROP_OLDEST).backlogLimits(BacklogLimits.ofFrames(100))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(50), 0.5).start()) {
            Peer peer = node.connect(loopback(port));
            for (int i = 0; i < 1000; i++) {
                assertEquals(1, node.broadcast(BacklogBoundsTest.numbered(i, 32)), "never refused: the oldest makes room");
            }
            assertEquals(100, peer.queuedFrames());
            assertEquals(900, peer.stats().droppedEvicted());
            try (FrameSink sink = FrameSink.startOn(port)) {
                List<Long> seqs = sink.awaitFrames(100, Duration.ofSeconds(10)).stream().map(FrameSink.Received::seq).toList();
                List<Long> expected = new ArrayList<>();
                for (long i = 900; i < 1000; i++) {
                    expected.add(i);
                }
                assertEquals(expected, seqs, "exactly the last bound's worth, in order");
                Await.until(() -> peer.stats().framesWritten() == 100, "written");
            }
        }
    }

    @Test
    void dropOldestUnderAByteBoundWithMixedSizesKeepsTheNewestThatFit() throws Exception {
        int port = BroadcastTest.unusedPort();
        long bound = 10_000;
        try (Node node = NodeConfig.builder().overflowPolicy(OverflowPolicy.DROP_OLDEST).backlogLimits(BacklogLimits.ofBytes(bound))
                .drainTimeout(Duration.ZERO).start()) {
            Peer peer = node.connect(loopback(port));
            int[] sizes = new int[300];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = 8 + (i * 37) % 500;
                node.broadcast(BacklogBoundsTest.numbered(i, sizes[i]));
            }
            long kept = 0;
            int first = sizes.length; // the newest frames, walking back, as long as they fit together
            while (first > 0 && kept + 12 + sizes[first - 1] <= bound) {
                kept += 12 + sizes[--first];
            }
            PeerStats s = peer.stats();
            assertEquals(sizes.length - first, s.queuedFrames(), "the newest frames that fit the byte bound: " + s);
            assertEquals(kept, s.queuedBytes());
            assertEquals(first, s.droppedEvicted());
        }
    }

    @Test
    void aFrameBeingWrittenWhenTheEvictionHappensIsWrittenWholeOnce() throws Exception {
        try (FrameSink sink = FrameSink.withReceiveBuffer(16 << 10);
             Node node = NodeConfig.builder().overflowPolicy(OverflowPolicy.DROP_OLDEST).backlogLimits(BacklogLimits.ofFrames(50))
                     .sendBufferSize(16 << 10).overflowTimeout(Duration.ofSeconds(30)).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            sink.stall();
            for (int i = 0; i < 2000; i++) { // the writer is blocked in the kernel with some frames: only the rest can go
                node.broadcast(BacklogBoundsTest.numbered(i, 4096));
            }
            assertTrue(peer.stats().droppedEvicted() > 0, "evictions happened: " + peer.stats());
            sink.resume();
            Await.until(() -> peer.queuedFrames() == 0 && sink.received().stream().anyMatch(r -> r.seq() == 1999),
                    () -> "the newest frame arrives: " + peer.stats());
            long previous = -1;
            for (FrameSink.Received r : sink.received()) {
                assertEquals(4096, r.payload().length, "every frame whole");
                assertTrue(r.seq() > previous, "in order, none twice: " + r.seq() + " after " + previous);
                previous = r.seq();
            }
            assertEquals(1999, previous, "the newest frame arrives");
            PeerStats s = peer.stats();
            assertEquals(2000, s.framesWritten() + s.droppedEvicted(), "each frame written or evicted, never both: " + s);
            assertEquals(0, sink.truncatedConnections(), "no frame was cut");
        }
    }

    @Test
    void acknowledgedModeWithBothPoliciesThroughDroppedConnectionsHasNoDuplicateAndNoReordering() throws Exception {
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        try (Node receiver = NodeConfig.builder().name("rx").delivery(Delivery.ACKNOWLEDGED)
                .onMessage((p, payload, at) -> got.add(payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()))).start();
             Node sender = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED).maxAge(Duration.ofMillis(50))
                     .overflowPolicy(OverflowPolicy.DROP_OLDEST).backlogLimits(BacklogLimits.ofFrames(500))
                     .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).start()) {
            Peer peer = sender.connect(receiver.listen(loopback(0)));
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            for (int i = 0; i < 20_000; i++) {
                sender.broadcast(BacklogBoundsTest.numbered(i, 64));
                if (i % 4000 == 1999) {
                    receiver.peers().forEach(Peer::close); // the sender resumes after what was delivered
                }
            }
            long[] sent = {20_000};
            Await.until(() -> { // once connected again, fresh frames get through (the rest may well have expired)
                sender.broadcast(BacklogBoundsTest.numbered(sent[0]++, 64));
                return got.stream().anyMatch(x -> x >= 20_000);
            }, "a frame sent after the last reconnect arrives");
            Await.until(() -> peer.queuedFrames() == 0, () -> "drained: " + peer.stats());
            long previous = -1;
            for (long x : got) {
                assertTrue(x > previous, "no duplicate, no reordering: " + x + " after " + previous);
                previous = x;
            }
            PeerStats s = peer.stats();
            assertEquals(s.framesDropped(), s.droppedExpired() + s.droppedEvicted() + s.droppedBacklogFull(), s.toString());
            assertEquals(sent[0], got.size() + s.framesDropped(),
                    "every frame delivered, or dropped by a policy, and counted: " + s + ", " + got.size() + " delivered");
            assertTrue(s.droppedExpired() + s.droppedEvicted() > 0, "the policies did drop: " + s);
        }
    }

    /**
     * DROP_OLDEST evicts only what lets the new frame in: when the frames written before (waiting to go again
     * after a reconnect) leave too little room even with every pending frame gone, it evicts nothing.
     */
    @Test
    void dropOldestEvictsNothingWhenEvictingCannotMakeRoom() throws Exception {
        java.util.concurrent.CountDownLatch handlerMayReturn = new java.util.concurrent.CountDownLatch(1);
        try (Node receiver = NodeConfig.builder().name("rx").delivery(Delivery.ACKNOWLEDGED)
                .onMessage((p, payload, at) -> { // never returns: nothing is acknowledged, every written frame is held
                    try {
                        handlerMayReturn.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }).start();
             Node sender = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED)
                     .overflowPolicy(OverflowPolicy.DROP_OLDEST).backlogLimits(BacklogLimits.ofFrames(50))
                     .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30), 0).start()) {
            dev.tether.testing.FaultProxy proxy = new dev.tether.testing.FaultProxy(receiver.listen(loopback(0)));
            try {
                Peer peer = sender.connect(proxy.address());
                Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
                for (int i = 0; i < 30; i++) {
                    assertEquals(SendResult.ACCEPTED, peer.send(BacklogBoundsTest.numbered(i, 64)));
                }
                Await.until(() -> peer.stats().framesWritten() == 30, () -> "written, held unacknowledged: " + peer.stats());
                proxy.close(); // the connection drops and the port is gone: the 30 wait to be written again
                Await.until(() -> peer.state() != PeerState.CONNECTED, "disconnected");
                for (int i = 30; i < 40; i++) {
                    assertEquals(SendResult.ACCEPTED, peer.send(BacklogBoundsTest.numbered(i, 64)));
                }
                assertEquals(40, peer.queuedFrames());
                List<byte[]> batch = new ArrayList<>();
                for (int i = 40; i < 65; i++) {
                    batch.add(BacklogBoundsTest.numbered(i, 64));
                }
                assertEquals(SendResult.BACKLOG_FULL, peer.sendBatch(batch), "30 to write again + 25 > 50, with or without the 10 pending");
                assertEquals(0, peer.stats().droppedEvicted(), () -> "nothing evicted for a frame that could not fit: " + peer.stats());
                assertEquals(40, peer.queuedFrames(), "the pending frames are still queued");
            } finally {
                handlerMayReturn.countDown();
                proxy.close();
            }
        }
    }

    /** Under DROP_OLDEST room is always made by evicting; the peer that stopped reading is still cut. */
    @Test
    void dropOldestStillCutsAConnectedPeerThatStoppedReading() throws Exception {
        stalledPeerIsCutAsASlowConsumer(NodeConfig.builder().overflowPolicy(OverflowPolicy.DROP_OLDEST));
    }

    /** With a maximum age, expired heads make room; the peer that stopped reading is still cut. */
    @Test
    void aMaximumAgeStillCutsAConnectedPeerThatStoppedReading() throws Exception {
        stalledPeerIsCutAsASlowConsumer(NodeConfig.builder().maxAge(Duration.ofMillis(20)));
    }

    private static void stalledPeerIsCutAsASlowConsumer(NodeConfig.Builder config) throws Exception {
        List<Event> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Duration overflow = Duration.ofMillis(300);
        try (FrameSink sink = FrameSink.withReceiveBuffer(16 << 10);
             Node node = config.backlogLimits(BacklogLimits.ofFrames(50)).sendBufferSize(16 << 10)
                     .overflowTimeout(overflow).onEvent(events::add).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            sink.stall();
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            for (int i = 0; !cut(events, peer) && System.nanoTime() < until; i++) { // bounded by the deadline
                node.broadcast(BacklogBoundsTest.numbered(i, 4096));
                long sent = System.nanoTime();
                Await.until(() -> System.nanoTime() - sent > 1_000_000L || cut(events, peer), "a millisecond");
            }
            assertTrue(cut(events, peer), () -> "the stalled peer is cut as a slow consumer: " + peer.stats() + ", " + events);
            sink.resume();
        }
    }

    private static boolean cut(List<Event> events, Peer peer) {
        return events.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.peer() == peer
                && d.reason() == DisconnectReason.SLOW_CONSUMER);
    }
}
