package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A broadcast (or a send) that every peer refuses copies and encodes nothing (issue 12: a blast to a down
 * peer made about 5 GB of garbage). Measured as the bytes the calling thread allocates: far below the
 * payload bytes when every peer refuses, and at least the payload bytes when a peer takes them (which
 * shows the measurement sees the copies).
 */
class RefusedBroadcastAllocationTest {
    private static final int SIZE = 64 << 10;
    private static final int PAYLOADS = 200;
    private static final long PAYLOAD_BYTES = (long) PAYLOADS * SIZE;
    private static final int CALLS = 4; // the kinds of call allocatedByRefusedCalls makes
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void broadcastsToDownPeersThatDropAllocateFarLessThanThePayloads() throws Exception {
        try (Node node = node(DisconnectPolicy.DROP_BACKLOG, BacklogLimits.DEFAULT)) {
            List<Peer> peers = downPeers(node, 3);
            long allocated = allocatedByRefusedCalls(node, peers);
            System.out.println("refused by dropping peers: " + allocated + " bytes allocated for " + PAYLOAD_BYTES + " payload bytes");
            assertTrue(allocated < PAYLOAD_BYTES / 20, allocated + " bytes allocated for " + PAYLOAD_BYTES + " payload bytes every peer dropped");
            assertEquals(CALLS * 2L * PAYLOADS * peers.size(), node.stats().droppedDisconnected(),
                    "every call was refused by every peer, and counted");
        }
    }

    @Test
    void broadcastsToPeersWithAFullBacklogAllocateFarLessThanThePayloads() throws Exception {
        try (Node node = node(DisconnectPolicy.KEEP_BACKLOG, BacklogLimits.ofFrames(1))) {
            List<Peer> peers = downPeers(node, 3);
            for (Peer p : peers) {
                assertEquals(SendResult.ACCEPTED, p.send(new byte[] {1})); // the one frame the bound allows
            }
            long allocated = allocatedByRefusedCalls(node, peers);
            System.out.println("refused by full peers: " + allocated + " bytes allocated for " + PAYLOAD_BYTES + " payload bytes");
            assertTrue(allocated < PAYLOAD_BYTES / 20, allocated + " bytes allocated for " + PAYLOAD_BYTES + " payload bytes every full peer refused");
            assertEquals(CALLS * 2L * PAYLOADS * peers.size(), node.stats().droppedBacklogFull(),
                    "every call was refused by every peer, and counted");
        }
    }

    @Test
    void aBroadcastThatAPeerTakesIsCopiedAndTheMeasurementSeesIt() throws Exception {
        try (Node node = node(DisconnectPolicy.KEEP_BACKLOG, BacklogLimits.ofBytes(PAYLOAD_BYTES * 2))) {
            downPeers(node, 1);
            byte[] payload = new byte[SIZE];
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < PAYLOADS; i++) {
                assertEquals(1, node.broadcast(payload));
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated >= PAYLOAD_BYTES, allocated + " bytes allocated for " + PAYLOAD_BYTES + " payload bytes queued");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Node node(DisconnectPolicy policy, BacklogLimits limits) {
        return NodeConfig.builder().name("bcast").disconnectPolicy(policy).backlogLimits(limits).drainTimeout(Duration.ZERO)
                .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60), 0.0).start();
    }

    /** Peers to a port nobody listens on, each down (its first attempt failed) and waiting out a long backoff. */
    private static List<Peer> downPeers(Node node, int n) throws Exception {
        InetSocketAddress nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort());
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(node.connect(nowhere));
        }
        Await.until(() -> peers.stream().allMatch(p -> p.state() == PeerState.DISCONNECTED), () -> "down: " + peers);
        return peers;
    }

    /**
     * What this thread allocates for PAYLOADS refused calls of each kind (broadcast of an array, of a buffer,
     * with a wait, and a send to each peer), each kind measured after a warm-up round; the most of the kinds.
     */
    private static long allocatedByRefusedCalls(Node node, List<Peer> peers) throws InterruptedException {
        byte[] array = new byte[SIZE];
        ByteBuffer buffer = ByteBuffer.allocateDirect(SIZE);
        List<Call> calls = List.of(
                () -> assertEquals(0, node.broadcast(array)),
                () -> assertEquals(0, node.broadcast(buffer)),
                () -> assertEquals(0, node.broadcast(array, Duration.ZERO)),
                () -> {
                    for (Peer p : peers) {
                        assertTrue(p.send(array) != SendResult.ACCEPTED);
                    }
                });
        long most = 0;
        for (Call call : calls) {
            for (int i = 0; i < PAYLOADS; i++) {
                call.run(); // warm-up: class loading, the first drop reports
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < PAYLOADS; i++) {
                call.run();
            }
            most = Math.max(most, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        return most;
    }

    @FunctionalInterface
    private interface Call {
        void run() throws InterruptedException;
    }
}
