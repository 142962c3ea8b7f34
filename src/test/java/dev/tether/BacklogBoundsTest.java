package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.StreamCheck;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BacklogBoundsTest {

    static byte[] numbered(long seq, int size) {
        return ReconnectReplayTest.numbered(seq, size);
    }

    static NodeConfig.Builder quick() {
        return NodeConfig.builder().reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5);
    }

    static InetSocketAddress nowhere() throws Exception {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort());
    }

    @Test
    void aPeerDownWhileTenTimesItsFrameLimitIsSentGetsExactlyTheFirstLimitFramesInOrder() throws Exception {
        int limit = 1000;
        try (FrameSink sink = FrameSink.start();
             Node node = quick().backlogLimits(BacklogLimits.ofFrames(limit)).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            sink.stop();
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "down");
            int accepted = 0;
            for (int i = 0; i < 10 * limit; i++) {
                if (peer.send(numbered(i, 16)) == SendResult.ACCEPTED) {
                    accepted++;
                }
            }
            assertEquals(limit, accepted);
            assertEquals(9 * limit, peer.stats().droppedBacklogFull());
            assertEquals(9 * limit, peer.stats().framesDropped(DropReason.BACKLOG_FULL));
            sink.restart();
            List<FrameSink.Received> got = sink.awaitFrames(limit, Duration.ofSeconds(20));
            Await.until(() -> peer.queuedFrames() == 0, "replayed");
            assertEquals(limit, sink.frameCount(), "nothing beyond the bound was queued");
            for (int i = 0; i < limit; i++) {
                assertEquals(i, got.get(i).seq(), "the oldest frames, in order");
            }
        }
    }

    @Test
    void aByteLimitCountsEncodedBytesOfMixedSizes() throws Exception {
        try (Node node = quick().backlogLimits(BacklogLimits.ofBytes(10_000)).drainTimeout(Duration.ZERO).start()) {
            Peer peer = node.connect(nowhere());
            assertEquals(SendResult.ACCEPTED, peer.send(new byte[4988]));  // 5000 encoded
            assertEquals(SendResult.ACCEPTED, peer.send(new byte[2988]));  // 8000
            assertEquals(SendResult.BACKLOG_FULL, peer.send(new byte[1989])); // would be 10001
            assertEquals(SendResult.ACCEPTED, peer.send(new byte[1988]));  // exactly 10000
            assertEquals(SendResult.BACKLOG_FULL, peer.send(new byte[1]));
            PeerStats s = peer.stats();
            assertEquals(3, s.queuedFrames());
            assertEquals(10_000, s.queuedBytes());
            assertEquals(2, s.droppedBacklogFull());
        }
    }

    @Test
    void withBothLimitsTheFirstOneReachedApplies() throws Exception {
        try (Node node = quick().backlogLimits(BacklogLimits.of(5, 1_000)).drainTimeout(Duration.ZERO).start()) {
            Peer small = node.connect(nowhere());
            for (int i = 0; i < 5; i++) {
                assertEquals(SendResult.ACCEPTED, small.send(new byte[1]));
            }
            assertEquals(SendResult.BACKLOG_FULL, small.send(new byte[1]), "frame limit reached first");
            Peer big = node.connect(nowhere());
            assertEquals(SendResult.ACCEPTED, big.send(new byte[488]));
            assertEquals(SendResult.ACCEPTED, big.send(new byte[488]));
            assertEquals(SendResult.BACKLOG_FULL, big.send(new byte[1]), "byte limit reached first");
        }
    }

    @Test
    void aLivePeerThatStopsReadingIsDisconnectedAsASlowConsumerWhileTheOthersKeepReceivingAndLaterGetsItsBacklog() throws Exception {
        Duration overflow = Duration.ofMillis(500);
        List<Event> events = new CopyOnWriteArrayList<>();
        int total = 3000;
        try (FrameSink slow = FrameSink.withReceiveBuffer(16 << 10); FrameSink healthy = FrameSink.start();
             Node node = quick().overflowTimeout(overflow).sendBufferSize(16 << 10).onEvent(events::add)
                     .backlogLimits(BacklogLimits.ofFrames(200)).start()) {
            Peer slowPeer = node.connect(slow.address());
            Peer healthyPeer = node.connect(healthy.address());
            Await.until(() -> slowPeer.state() == PeerState.CONNECTED && healthyPeer.state() == PeerState.CONNECTED, "connected");
            slow.stall();
            long stalledAt = 0;
            long disconnectedAt = 0;
            int sentAfterStall = 0;
            int healthyAtDisconnect = 0;
            BitSet acceptedBySlow = new BitSet();
            for (int i = 0; i < total; i++) {
                byte[] frame = numbered(i, 1024);
                if (node.broadcast(frame) == 2) {
                    acceptedBySlow.set(i);
                } else if (stalledAt == 0) {
                    stalledAt = System.nanoTime(); // first refusal: the slow peer is at its bound
                }
                assertTrue(healthyPeer.queuedFrames() <= 200);
                if (stalledAt != 0 && disconnectedAt == 0) {
                    sentAfterStall++;
                    if (slowPeer.state() != PeerState.CONNECTED) {
                        disconnectedAt = System.nanoTime();
                        healthyAtDisconnect = healthy.frameCount();
                    }
                }
                Await.until(() -> healthyPeer.queuedFrames() < 150, "the healthy peer keeps up"); // pace at the healthy peer's speed
                if (stalledAt != 0 && disconnectedAt == 0) {
                    long wait = System.nanoTime();
                    Await.until(() -> System.nanoTime() - wait > 1_000_000L || slowPeer.state() != PeerState.CONNECTED, "a millisecond");
                }
            }
            assertTrue(disconnectedAt != 0, "the slow peer was disconnected: " + slowPeer.stats());
            Duration took = Duration.ofNanos(disconnectedAt - stalledAt);
            assertTrue(took.compareTo(overflow.plusSeconds(2)) < 0, "disconnected " + took + " after reaching its bound");
            assertTrue(took.compareTo(overflow) >= 0, "not before the overflow timeout: " + took);
            assertTrue(healthyAtDisconnect > 100, "the healthy peer kept receiving while the slow one was stuck: " + healthyAtDisconnect);
            Event.Disconnected d = events.stream().filter(e -> e instanceof Event.Disconnected x && x.peer() == slowPeer)
                    .map(Event.Disconnected.class::cast).findFirst().orElseThrow();
            assertEquals(DisconnectReason.SLOW_CONSUMER, d.reason());
            assertTrue(d.detail().contains("reads slower"), d.detail());

            slow.resume(); // reads again: the old connection's kernel buffer, then the replay on the new connection
            healthy.awaitFrames(total, Duration.ofSeconds(30));
            Await.until(() -> slowPeer.queuedFrames() == 0 && slowPeer.state() == PeerState.CONNECTED, "the slow peer's backlog is written after it reconnects");
            int lastAccepted = acceptedBySlow.length() - 1;
            Await.until(() -> slow.received().stream().anyMatch(r -> r.seq() == lastAccepted), "the last accepted frame arrives");
            List<FrameSink.Received> inOrder = StreamCheck.inConnectionOrder(slow.received());
            StreamCheck.Result check = StreamCheck.check(inOrder, acceptedBySlow.cardinality());
            assertEquals(0, check.duplicates() + check.reordered(), "no duplicate, no reordering: " + check.problems());
            BitSet got = new BitSet();
            inOrder.forEach(r -> got.set((int) r.seq()));
            assertTrue(got.stream().allMatch(acceptedBySlow::get), "only accepted frames arrive");
            // a cut is a reset: what sat in kernel buffers is lost (never delivered late), as one run of the
            // accepted frames per cut (the sink stays stalled, so the next connection can be cut too);
            // everything else accepted arrives
            int[] accepted = acceptedBySlow.stream().toArray();
            int lostRuns = 0;
            for (int k = 0; k < accepted.length; k++) {
                if (!got.get(accepted[k]) && (k == 0 || got.get(accepted[k - 1]))) {
                    lostRuns++;
                }
            }
            long cuts = events.stream().filter(e -> e instanceof Event.Disconnected x && x.peer() == slowPeer).count();
            assertTrue(lostRuns <= cuts, lostRuns + " runs of accepted frames lost, more than the " + cuts + " cuts");
        }
    }

    @Test
    void aBlockingSendWaitsForRoomAndIsReleasedWhenThePeerDrains() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node node = quick().backlogLimits(BacklogLimits.ofFrames(10)).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            sink.stop();
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "down");
            for (int i = 0; i < 10; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(numbered(i, 8)));
            }
            CompletableFuture<SendResult> blocked = new CompletableFuture<>();
            Thread producer = Thread.ofVirtual().start(() -> {
                try {
                    blocked.complete(peer.send(numbered(10, 8), Duration.ofSeconds(30)));
                } catch (Throwable t) {
                    blocked.completeExceptionally(t);
                }
            });
            Await.until(() -> producer.getState() == Thread.State.WAITING || producer.getState() == Thread.State.TIMED_WAITING, "producer blocks");
            assertTrue(!blocked.isDone());
            sink.restart();
            assertEquals(SendResult.ACCEPTED, blocked.get(20, TimeUnit.SECONDS));
            List<FrameSink.Received> got = sink.awaitFrames(11, Duration.ofSeconds(10));
            assertEquals(10, got.get(10).seq(), "the blocked frame went out after the ten before it");
            assertEquals(0, peer.stats().framesDropped());
        }
    }

    @Test
    void aBlockingSendThatFindsNoRoomInTimeThrowsAClearExceptionAndCountsTheDrop() throws Exception {
        try (Node node = quick().backlogLimits(BacklogLimits.ofFrames(3)).drainTimeout(Duration.ZERO).start()) {
            Peer peer = node.connect(nowhere());
            for (int i = 0; i < 3; i++) {
                peer.send(new byte[] {1});
            }
            long start = System.nanoTime();
            BacklogFullException e = assertThrows(BacklogFullException.class, () -> peer.send(new byte[] {1}, Duration.ofMillis(200)));
            assertTrue(System.nanoTime() - start >= 200_000_000L, "it waited");
            assertTrue(e.getMessage().contains("still full after PT0.2S") && e.getMessage().contains("3 frames"), e.getMessage());
            assertEquals(1, peer.stats().droppedBacklogFull());
        }
    }

    @Test
    void closeReleasesABlockedProducer() throws Exception {
        Node node = quick().backlogLimits(BacklogLimits.ofFrames(1)).drainTimeout(Duration.ZERO).start();
        Peer peer = node.connect(nowhere());
        peer.send(new byte[] {1});
        CompletableFuture<Object> blocked = new CompletableFuture<>();
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                blocked.complete(peer.send(new byte[] {2}, Duration.ofMinutes(5)));
            } catch (Throwable t) {
                blocked.complete(t);
            }
        });
        Await.until(() -> producer.getState() == Thread.State.TIMED_WAITING, "producer blocks");
        node.close();
        Object outcome = blocked.get(10, TimeUnit.SECONDS);
        assertTrue(outcome instanceof IllegalStateException ise && ise.getMessage().contains("closed"), "got " + outcome);
    }

    @Test
    void theBacklogOfAPeerDownWhileMillionsOfFramesAreBroadcastStaysWithinItsBound() throws Exception {
        long limitBytes = 8L << 20;
        try (FrameSink live = FrameSink.start();
             Node node = quick().backlogLimits(BacklogLimits.ofBytes(limitBytes)).drainTimeout(Duration.ZERO).start()) {
            Peer down = node.connect(nowhere());
            Peer up = node.connect(live.address());
            Await.until(() -> up.state() == PeerState.CONNECTED, "connected");
            long heapBefore = usedHeapAfterGc();
            ByteBuffer payload = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            long frames = 2_000_000;
            for (long i = 0; i < frames; i++) {
                payload.putLong(0, i);
                node.broadcast(payload);
                if ((i & 0xFFFF) == 0) {
                    assertTrue(down.stats().queuedBytes() <= limitBytes);
                }
            }
            PeerStats s = down.stats();
            assertTrue(s.queuedBytes() <= limitBytes, "queued " + s.queuedBytes());
            assertEquals(frames, s.queuedFrames() + s.droppedBacklogFull(), "every frame is queued or counted as dropped");
            long grew = usedHeapAfterGc() - heapBefore;
            assertTrue(grew < 4 * limitBytes + (64L << 20), "heap grew " + (grew >> 20) + " MiB for an 8 MiB bound");
        }
    }

    @Test
    void dropOnDisconnectClearsTheQueueAndDropsWhatIsSentWhileDown() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (FrameSink sink = FrameSink.withReceiveBuffer(16 << 10);
             Node node = quick().disconnectPolicy(DisconnectPolicy.DROP_BACKLOG).sendBufferSize(16 << 10)
                     .onEvent(events::add).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED && sink.openConnections() == 1, "connected");
            sink.stall();
            int i = 0;
            while (peer.queuedFrames() < 100) { // kernel buffers full: the rest stays queued
                assertEquals(SendResult.ACCEPTED, peer.send(numbered(i++, 1024)));
                int sent = i;
                Await.until(() -> peer.queuedFrames() > 0 || sent < 500, "the writer blocks once the kernel buffers are full");
            }
            int sentBeforeDrop = i;
            sink.stop(); // the connection drops with frames queued
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "down");
            assertEquals(0, peer.queuedFrames(), "the queue is cleared on disconnect");
            PeerStats atDrop = peer.stats();
            assertTrue(atDrop.droppedDisconnected() > 0, atDrop.toString());
            assertEquals(sentBeforeDrop, atDrop.framesWritten() + atDrop.droppedDisconnected(),
                    "each frame was either handed to the kernel or counted as dropped: " + atDrop);
            long before = peer.stats().droppedDisconnected();
            assertEquals(SendResult.DROPPED_DISCONNECTED, peer.send(numbered(100_000, 8)));
            assertEquals(0, node.broadcast(numbered(100_001, 8)));
            assertEquals(before + 2, peer.stats().droppedDisconnected());
            Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.FramesDropped d && d.reason() == DropReason.DISCONNECTED),
                    "the drops are reported");

            sink.resume();
            sink.restart();
            Await.until(() -> peer.state() == PeerState.CONNECTED, "back");
            assertEquals(SendResult.ACCEPTED, peer.send(numbered(200_000, 8)));
            Await.until(() -> sink.received().stream().anyMatch(r -> r.seq() == 200_000), "sent after the reconnect arrives");
            assertTrue(sink.received().stream().noneMatch(r -> r.seq() == 100_000 || r.seq() == 100_001), "sent while down never arrives");
        }
    }

    @Test
    void withoutDropOnDisconnectTheQueueIsKeptForTheReconnect() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node node = quick().disconnectPolicy(DisconnectPolicy.KEEP_BACKLOG).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            sink.stop();
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "down");
            assertEquals(SendResult.ACCEPTED, peer.send(numbered(7, 8)));
            sink.restart();
            assertEquals(7, sink.awaitFrames(1, Duration.ofSeconds(10)).get(0).seq());
            assertEquals(0, peer.stats().framesDropped());
        }
    }

    @Test
    void aBroadcastSkipsAFullPeerUnlessAskedToWait() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node node = quick().backlogLimits(BacklogLimits.ofFrames(2)).drainTimeout(Duration.ZERO).start()) {
            Peer full = node.connect(nowhere());
            Peer live = node.connect(sink.address());
            Await.until(() -> live.state() == PeerState.CONNECTED, "connected");
            assertEquals(2, node.broadcast(new byte[] {1}));
            assertEquals(2, node.broadcast(new byte[] {2}));
            Await.until(() -> live.queuedFrames() == 0, "the live peer drains");
            assertEquals(1, node.broadcast(new byte[] {3}), "the full peer is skipped, the live one still gets it");
            Await.until(() -> live.queuedFrames() == 0, "the live peer drains");
            assertEquals(1, full.stats().droppedBacklogFull());
            long start = System.nanoTime();
            assertEquals(1, node.broadcast(new byte[] {4}, Duration.ofMillis(200)), "waited, then skipped");
            assertTrue(System.nanoTime() - start >= 200_000_000L);
            assertEquals(2, full.stats().droppedBacklogFull());
            sink.awaitFrames(4, Duration.ofSeconds(10));
        }
    }

    @Test
    void statisticsSumPerNodeAndCountPeersByState() throws Exception {
        try (FrameSink sink = FrameSink.start(); // a long backoff: the down peer sits in DISCONNECTED, not retrying as we look
             Node node = NodeConfig.builder().reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30), 0)
                     .drainTimeout(Duration.ZERO).start()) {
            Peer live = node.connect(sink.address());
            Peer down = node.connect(nowhere());
            Await.until(() -> live.state() == PeerState.CONNECTED && down.state() == PeerState.DISCONNECTED, "states");
            node.broadcast(new byte[10]);
            sink.awaitFrames(1, Duration.ofSeconds(10));
            Await.until(() -> live.stats().framesWritten() == 1, "written");
            NodeStats s = node.stats();
            assertEquals(2, s.peers());
            assertEquals(1, s.peersByState().get(PeerState.CONNECTED));
            assertEquals(1, s.peersByState().get(PeerState.DISCONNECTED));
            assertEquals(1, s.framesWritten());
            assertEquals(22, s.bytesWritten());
            assertEquals(1, s.queuedFrames());
            assertTrue(live.stats().connectedSince().isPresent());
            assertTrue(down.stats().connectedSince().isEmpty());
        }
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
