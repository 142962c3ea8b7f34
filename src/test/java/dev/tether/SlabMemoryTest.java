package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Frame;
import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.SeqRecorder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Frames of 512 bytes and more are encoded once into slabs of direct memory that every writer writes from
 * without a copy. What a user relies on: the bytes on the wire are the bytes sent, whatever the peers do;
 * a peer that is down keeps no slab memory; and the memory is bounded, whatever the peers hold, with
 * frames past the bound taken on the heap instead of refused. (The tests run with slab poisoning: a slab
 * reused while a record in it is queued turns that record into garbage the receiver refuses.)
 */
class SlabMemoryTest {
    static final int SOCKET_BUFFER = 64 << 10;
    /** NodeCore's bound: 64 slabs of 256 KiB per node. */
    static final int MAX_SLABS = 64;

    static NodeConfig.Builder node() {
        return NodeConfig.builder().sendBufferSize(SOCKET_BUFFER).reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5);
    }

    static ByteBuffer payload(int bytes, long seq) {
        return SeqRecorder.numbered(ByteBuffer.allocate(bytes), seq);
    }

    /**
     * Broadcasts numbered frames until every peer's writer is blocked on its full socket (its sink is
     * stalled), with frames queued behind it; returns the next number. The writer takes all that is queued
     * whenever it can, so a queue whose head stays put over several polls is one it cannot take from.
     */
    static long fillUntilWritersBlock(Node node, List<Peer> peers, int bytes) {
        long[] seq = {0};
        for (; seq[0] < 300; seq[0]++) {
            assertEquals(peers.size(), node.broadcast(payload(bytes, seq[0])));
        }
        Frame[] heads = new Frame[peers.size()];
        int[] stillFor = {0};
        Await.until(Duration.ofSeconds(20), () -> {
            boolean still = true;
            for (int i = 0; i < peers.size(); i++) {
                Frame[] queued = Internals.queuedFrames(peers.get(i));
                Frame head = queued.length >= 20 ? queued[0] : null;
                still &= head != null && head == heads[i];
                heads[i] = head;
            }
            stillFor[0] = still ? stillFor[0] + 1 : 0;
            if (stillFor[0] < 5) {
                assertEquals(peers.size(), node.broadcast(payload(bytes, seq[0]++)));
                return false;
            }
            return true;
        }, () -> "writers blocked behind stalled sinks after " + seq[0] + " frames: " + peers.stream().map(p -> p.stats().toString()).toList());
        return seq[0];
    }

    /** {@code count} peers, each to a sink of its own (added to {@code sinks}) that does not read; all connected on return. */
    static List<Peer> connectToStalledSinks(Node node, int count, List<FrameSink> sinks) throws java.io.IOException {
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            FrameSink sink = FrameSink.withReceiveBuffer(SOCKET_BUFFER);
            sink.stall();
            sinks.add(sink);
            peers.add(node.connect(sink.address()));
        }
        Await.until(() -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED), "connected");
        return peers;
    }

    static void assertInOrderAndIntact(FrameSink sink, long frames, String who) {
        List<FrameSink.Received> got = sink.awaitFrames((int) frames, Duration.ofSeconds(30));
        assertEquals(frames, got.size(), who + ": every frame");
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i).seq(), who + ": in order, once");
            assertTrue(SeqRecorder.intact(got.get(i).payload()), who + ": frame " + i + " arrived as sent");
        }
    }

    @Test
    void aLargerFrameIsOneSlabRecordForEveryConnectedPeerAndASmallOneStaysOnTheHeap() throws Exception {
        List<FrameSink> sinks = new ArrayList<>();
        try (Node node = node().start()) {
            List<Peer> peers = connectToStalledSinks(node, 3, sinks);
            long seq = fillUntilWritersBlock(node, peers, 1024);

            assertEquals(3, node.broadcast(payload(1024, seq++)));
            Frame large = last(peers.get(0));
            assertNotNull(large.slab(), "a 1 KiB frame is in slab memory");
            assertNull(large.bytes());
            for (Peer p : peers) {
                assertSame(large, last(p), "one record for every peer: encoded once");
            }
            assertEquals(3, node.broadcast(payload(64, seq++)));
            Frame small = last(peers.get(0));
            assertNull(small.slab(), "a 64-byte frame stays on the heap: the writer's copy of it costs less");
            assertSame(small, last(peers.get(2)));

            sinks.forEach(FrameSink::resume);
            for (int i = 0; i < 3; i++) {
                assertInOrderAndIntact(sinks.get(i), seq, "peer " + i);
            }
            Await.until(() -> peers.stream().allMatch(p -> p.queuedFrames() == 0), "written");
            assertEquals(0, Internals.slabsInUse(node), "nothing holds a slab once every frame is written");
        } finally {
            sinks.forEach(FrameSink::close);
        }
    }

    @Test
    void aPeerThatGoesDownKeepsNoSlabMemoryAndGetsItsQueuedFramesIntactWhenItReturns() throws Exception {
        FrameSink sink = FrameSink.withReceiveBuffer(SOCKET_BUFFER);
        try (Node node = node().start()) {
            sink.stall();
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            long seq = fillUntilWritersBlock(node, List.of(peer), 1024);
            assertTrue(Internals.holdsSlabMemory(peer), "queued behind a connected peer: in slab memory");

            sink.stop(); // the connection breaks; what the kernel held is lost (plain mode), the backlog is not
            Await.until(() -> peer.state() != PeerState.CONNECTED, "the peer noticed");
            Await.until(() -> !Internals.holdsSlabMemory(peer), () -> "down: the backlog copied its records to the heap; " + peer.stats());
            for (Frame f : Internals.queuedFrames(peer)) {
                assertNull(f.slab(), "every record queued for a peer that is down is on the heap");
            }
            assertEquals(0, Internals.slabsInUse(node), "so no slab is held");
            long queuedWhileDown = peer.queuedFrames();
            assertTrue(queuedWhileDown > 0, "frames wait for the peer: " + peer.stats());
            for (int i = 0; i < 20; i++) {
                node.broadcast(payload(1024, seq++));
            }
            assertFalse(Internals.holdsSlabMemory(peer), "frames sent while it is down go on the heap");

            int before = sink.frameCount();
            sink.restart();
            sink.resume();
            long last = seq - 1;
            Await.until(Duration.ofSeconds(30), () -> sink.last() != null && sink.last().seq() == last, () -> "the last frame arrived; " + peer.stats());
            List<FrameSink.Received> after = sink.received().subList(before, sink.frameCount());
            assertTrue(after.size() >= queuedWhileDown + 20, "everything queued while down arrived: " + after.size());
            for (int i = 0; i < after.size(); i++) {
                assertTrue(SeqRecorder.intact(after.get(i).payload()), "frame " + after.get(i).seq() + " arrived as sent");
                if (i > 0) {
                    assertEquals(after.get(i - 1).seq() + 1, after.get(i).seq(), "in order, none twice, none skipped after the reconnect");
                }
            }
        } finally {
            sink.close();
        }
    }

    @Test
    void theSlabRecordsOfPeersThatGoDownTogetherAreCopiedToTheHeapOnceForAllOfThem() throws Exception {
        List<FrameSink> sinks = new ArrayList<>();
        try (Node node = node().start()) {
            List<Peer> peers = connectToStalledSinks(node, 3, sinks);
            long seq = fillUntilWritersBlock(node, peers, 1024);
            assertEquals(3, node.broadcast(payload(1024, seq)));
            Frame shared = last(peers.get(0));
            assertNotNull(shared.slab());

            sinks.forEach(FrameSink::stop);
            Await.until(() -> peers.stream().noneMatch(Internals::holdsSlabMemory), "every backlog copied its records out");
            Frame copy = last(peers.get(0));
            assertNull(copy.slab());
            for (Peer p : peers) {
                assertSame(copy, last(p), "one heap copy of a broadcast's record for every peer, not one per peer");
            }
        } finally {
            sinks.forEach(FrameSink::close);
        }
    }

    @Test
    void slabMemoryStaysBoundedWhateverThePeersHoldAndFramesPastTheBoundGoOnTheHeapNotRefused() throws Exception {
        int peerCount = 24;
        int perPeer = 600;
        List<FrameSink> sinks = new ArrayList<>();
        try (Node node = node().start()) {
            List<Peer> peers = connectToStalledSinks(node, peerCount, sinks);
            // each peer gets every 24th record of a slab, so its records spread over many slabs
            for (int seq = 0; seq < perPeer; seq++) {
                for (Peer p : peers) {
                    assertEquals(SendResult.ACCEPTED, p.send(payload(2048, seq)), "taken, on the heap if not in a slab");
                }
                assertTrue(Internals.slabsAllocated(node) <= MAX_SLABS, "never more slabs than the bound");
            }
            assertTrue(Internals.slabsAllocated(node) <= MAX_SLABS, "allocated " + Internals.slabsAllocated(node));
            assertTrue(peers.stream().anyMatch(p -> java.util.Arrays.stream(Internals.queuedFrames(p)).anyMatch(f -> f.slab() == null)),
                    "past the bound, records went on the heap");

            sinks.forEach(FrameSink::resume);
            for (int i = 0; i < peerCount; i++) {
                assertInOrderAndIntact(sinks.get(i), perPeer, "peer " + i);
            }
            Await.until(() -> peers.stream().allMatch(p -> p.queuedFrames() == 0), "written");
            assertEquals(0, Internals.slabsInUse(node), "nothing holds a slab once every frame is written");
        } finally {
            sinks.forEach(FrameSink::close);
        }
    }

    private static Frame last(Peer peer) {
        Frame[] queued = Internals.queuedFrames(peer);
        return queued[queued.length - 1];
    }
}
