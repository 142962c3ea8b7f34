package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.OpenFiles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CloseTest {

    @Test
    void closeFlushesWhatIsQueuedBeforeClosingTheSockets() throws Exception {
        int count = 50_000;
        try (FrameSink sink = FrameSink.start()) {
            Node node = NodeConfig.builder().drainTimeout(Duration.ofSeconds(20)).start();
            Peer peer = node.connect(sink.address());
            for (int i = 0; i < count; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(ReconnectReplayTest.numbered(i, 32)));
            }
            node.close();
            assertEquals(PeerState.CLOSED, peer.state());
            List<FrameSink.Received> got = sink.awaitFrames(count, Duration.ofSeconds(10));
            for (int i = 0; i < count; i++) {
                assertEquals(i, got.get(i).seq());
            }
            assertEquals(0, peer.stats().framesDropped());
            assertEquals(0, node.stats().framesDropped());
        }
    }

    @Test
    void closeWithConnectedConnectingAndStalledPeersReturnsInTimeAndLeavesNoThreadOrSocket() throws Exception {
        warmUp();
        int fdsBefore = OpenFiles.count();
        List<Event> events = new CopyOnWriteArrayList<>();
        Duration drain = Duration.ofMillis(500);
        try (FrameSink live = FrameSink.start(); FrameSink stalled = FrameSink.start(); ServerSocket silent = silentListener()) {
            int fdsWithSinks = OpenFiles.count();
            Node node = NodeConfig.builder().drainTimeout(drain).onEvent(events::add)
                    .sendBufferSize(32 << 10)
                    .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.5).start();
            node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Peer connected = node.connect(live.address());
            Peer nobody = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
            Peer stuck = node.connect(stalled.address());
            Peer hanging = node.connect(new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort()));
            stalled.stall();
            Await.until(() -> connected.state() == PeerState.CONNECTED && stuck.state() == PeerState.CONNECTED, "connected");
            Await.until(() -> nobody.stats().lastDisconnectReason().isPresent() || events.stream().anyMatch(e -> e instanceof Event.ConnectFailed),
                    "the unreachable peer failed at least once");
            byte[] payload = new byte[64 << 10];
            for (int i = 0; i < 400; i++) { // far more than the stalled sink's kernel buffers hold
                node.broadcast(payload);
            }

            long start = System.nanoTime();
            node.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(drain.plusSeconds(3)) < 0, "close took " + took);
            assertEquals(0, Internals.liveThreads(node), "every thread the node started has ended");
            assertEquals(0, Internals.liveThreadsInJvm());
            for (Peer p : List.of(connected, nobody, stuck, hanging)) {
                assertEquals(PeerState.CLOSED, p.state());
            }
            assertTrue(events.get(events.size() - 1) instanceof Event.NodeClosed, "NodeClosed comes last: " + events.get(events.size() - 1));
            assertEquals(4, events.stream().filter(e -> e instanceof Event.PeerClosed).count());
            stalled.resume(); // the stalled sink's own socket closes once it reads our end-of-stream
            if (OpenFiles.supported()) {
                Await.until(() -> OpenFiles.count() <= fdsWithSinks, () -> "sockets left open: " + (OpenFiles.count() - fdsWithSinks));
            }
        }
        if (OpenFiles.supported()) {
            Await.until(() -> OpenFiles.count() <= fdsBefore, () -> "file descriptors: before " + fdsBefore + ", after " + OpenFiles.count());
        }
    }

    @Test
    void closeFromTwoThreadsClosesOnceAndBothReturnAfterTheEnd() throws Exception {
        java.util.List<Event> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Node node = NodeConfig.builder().onEvent(events::add).start();
        Peer peer = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
        java.util.concurrent.atomic.AtomicBoolean otherSawTheEnd = new java.util.concurrent.atomic.AtomicBoolean();
        Thread other = Thread.ofVirtual().start(() -> {
            node.close();
            otherSawTheEnd.set(events.stream().anyMatch(e -> e instanceof Event.NodeClosed)); // it returned only after the end
        });
        node.close();
        boolean iSawTheEnd = events.stream().anyMatch(e -> e instanceof Event.NodeClosed);
        other.join();
        assertEquals(0, Internals.liveThreads(node));
        assertTrue(iSawTheEnd && otherSawTheEnd.get(), "both calls returned after the node was closed");
        assertEquals(1, events.stream().filter(e -> e instanceof Event.NodeClosed).count(), "closed once: " + events);
        assertEquals(1, events.stream().filter(e -> e instanceof Event.PeerClosed c && c.peer().equals(peer)).count(),
                "the peer closed once: " + events);
    }

    /** A listener that accepts (the kernel does) and never reads or writes: a hung peer. */
    private static ServerSocket silentListener() throws Exception {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static void warmUp() throws Exception {
        try (FrameSink s = FrameSink.start(); Node n = NodeConfig.builder().build().toBuilder().start()) {
            n.connect(s.address()).send(new byte[] {1});
            s.awaitFrames(1, Duration.ofSeconds(10));
        }
    }
}
