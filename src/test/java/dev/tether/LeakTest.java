package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.HangingListener;
import dev.tether.testing.Heap;
import dev.tether.testing.OpenFiles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A service may create and close nodes for its whole life: every node closed must give back every thread it
 * started, every socket it opened, and its memory, whatever its peers were doing at the time.
 */
class LeakTest {

    @Test
    void aHundredNodesCreatedUsedAndClosedWithPeersConnectedConnectingAndStalledLeaveNoThreadSocketOrHeapBehind() throws Exception {
        Assumptions.assumeTrue(OpenFiles.supported(), "counts file descriptors in /proc/self/fd (Linux)");
        cycles(100);
    }

    @Test
    void soak() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tether.soak"), "a soak: run with -Dtether.soak=true");
        Assumptions.assumeTrue(OpenFiles.supported(), "counts file descriptors in /proc/self/fd (Linux)");
        cycles(Integer.getInteger("tether.soak.cycles", 2000));
    }

    private static void cycles(int cycles) throws Exception {
        Duration drain = Duration.ofMillis(20);
        try (HangingListener hanging = new HangingListener()) {
            for (int i = 0; i < 5; i++) { // warm up: classes, buffer pools, the JDK's pollers (epoll files) and carrier threads
                runNode(-1 - i, hanging, drain);
            }
            int fdsBefore = OpenFiles.count();
            long heapBefore = Heap.usedAfterGc();
            long start = System.nanoTime();
            for (int i = 0; i < cycles; i++) {
                cycle(i, hanging, drain);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            Await.until(() -> OpenFiles.count() <= fdsBefore,
                    () -> "file descriptors: " + fdsBefore + " before " + cycles + " nodes, " + OpenFiles.count() + " after");
            long heapGrowth = Heap.usedAfterGc() - heapBefore;
            System.out.println(cycles + " nodes in " + took.toMillis() + " ms; open files " + fdsBefore + " before, "
                    + OpenFiles.count() + " after; heap " + Heap.mib(heapGrowth) + " above before");
            assertTrue(heapGrowth < 16L << 20, "a closed node leaves nothing reachable: heap grew " + Heap.mib(heapGrowth)
                    + " over " + cycles + " nodes");
        }
    }

    /** One node's life: five kinds of peer, traffic, then close while some of them cannot finish. */
    private static void cycle(int n, HangingListener hanging, Duration drain) throws Exception {
        int fdsBefore = OpenFiles.count();
        runNode(n, hanging, drain);
        // checked after every node, not only at the end: a socket left open is closed by the garbage collector
        // sooner or later, which would hide the leak from a final count while a busy service runs out of files
        Await.until(Duration.ofSeconds(5), () -> OpenFiles.count() <= fdsBefore,
                () -> "cycle " + n + ": " + (OpenFiles.count() - fdsBefore) + " more open files after the node closed");
    }

    private static void runNode(int n, HangingListener hanging, Duration drain) throws Exception {
        try (FrameSink live = FrameSink.start(); FrameSink stalled = FrameSink.withReceiveBuffer(8 << 10)) {
            stalled.stall();
            Node node = NodeConfig.builder().name("leak" + n).drainTimeout(drain).sendBufferSize(8 << 10)
                    .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5).start();
            InetSocketAddress bound = node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Peer connected = node.connect(live.address());
            Peer connecting = node.connect(hanging.address());
            Peer refused = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
            Peer stuck = node.connect(stalled.address());
            try (node; Socket client = new Socket(bound.getAddress(), bound.getPort())) { // closed again if a check fails

                client.getOutputStream().write(ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN).putInt(1).array());
                Await.until(() -> connected.state() == PeerState.CONNECTED && stuck.state() == PeerState.CONNECTED
                        && node.stats().framesReceived() == 1, () -> "cycle " + n + ": connected and received: " + node.stats());
                byte[] payload = new byte[16 << 10];
                for (int i = 0; i < 32; i++) { // half a megabyte: far more than the stalled peer's buffers hold
                    assertEquals(5, node.broadcast(payload));
                }
                live.awaitFrames(32, Duration.ofSeconds(10));
                assertEquals(PeerState.CONNECTING, connecting.state(), "the hanging connect is still in progress");
                assertTrue(refused.state() == PeerState.DISCONNECTED || refused.state() == PeerState.CONNECTING, "refused and retrying");
                assertTrue(stuck.queuedFrames() > 0, "the stalled peer's writer is blocked with frames queued");

                long start = System.nanoTime();
                node.close();
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(drain.plusSeconds(3)) < 0, "cycle " + n + ": close took " + took);
            }
            assertEquals(0, Internals.liveThreads(node), "cycle " + n + ": every thread the node started has ended");
            assertEquals(0, Internals.liveThreadsInJvm(), "cycle " + n + ": no tether thread anywhere");
            for (Peer p : List.of(connected, connecting, refused, stuck)) {
                assertEquals(PeerState.CLOSED, p.state());
            }
            assertTrue(node.peers().isEmpty());
        }
    }
}
