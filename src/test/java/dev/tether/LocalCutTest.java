package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.EventLog;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A connection that tether itself ends because of a failure must never deliver data after the connection
 * that replaces it has started: its data still sitting in kernel buffers is lost (plain delivery's documented
 * loss), never delivered late and out of order.
 */
class LocalCutTest {

    @Test
    void aSlowConsumerCutByThisNodeDeliversNothingAfterTheConnectionThatReplacesItStarts() throws Exception {
        CountDownLatch thaw = new CountDownLatch(1);
        ConcurrentLinkedQueue<Long> delivered = new ConcurrentLinkedQueue<>();
        EventLog senderEvents = new EventLog();
        try (Node receiver = NodeConfig.builder().name("frozen").receiveBufferSize(64 << 10)
                .onMessage((peer, payload, sentAt) -> {
                    long seq = payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position());
                    if (seq == 0) {
                        awaitQuietly(thaw); // frozen, like a process stopped with SIGSTOP: nothing more is read
                    }
                    delivered.add(seq);
                }).start();
             Node sender = NodeConfig.builder().name("cutter").sendBufferSize(64 << 10)
                     .backlogLimits(BacklogLimits.ofBytes(256 << 10)).overflowTimeout(Duration.ofMillis(300))
                     .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5)
                     .onEvent(senderEvents).start()) {
            Peer peer = sender.connect(receiver.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            long seq = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int acceptedAtReconnect = -1;
            int accepted = 0;
            while (acceptedAtReconnect < 0 || accepted < acceptedAtReconnect + 200) {
                assertTrue(System.nanoTime() < deadline, "no slow-consumer cut and reconnect within 20 s: " + senderEvents);
                if (acceptedAtReconnect < 0 && !senderEvents.of(Event.Reconnected.class, peer).isEmpty()) {
                    acceptedAtReconnect = accepted;
                }
                if (peer.send(BacklogBoundsTest.numbered(seq++, 1000)) == SendResult.ACCEPTED) {
                    accepted++;
                } else {
                    LockSupport.parkNanos(100_000); // at the bound: pace the producer, the watchdog does the rest
                }
            }
            Event.Disconnected cut = senderEvents.of(Event.Disconnected.class, peer).get(0);
            assertEquals(DisconnectReason.SLOW_CONSUMER, cut.reason(), cut.toString());

            thaw.countDown(); // the cut connection and its successor both hold data for the receiver: only the newer may deliver
            long marker = seq;
            long[] next = {seq};
            Await.until(() -> {
                peer.send(BacklogBoundsTest.numbered(next[0]++, 1000)); // resent until one arrives: a cut may still take some
                LockSupport.parkNanos(20_000_000);
                return delivered.stream().anyMatch(s -> s >= marker);
            }, () -> "frames sent after the thaw arrive; " + delivered.size() + " delivered");
            long previous = -1;
            for (long s : delivered) {
                assertTrue(s > previous, "frame " + s + " delivered after " + previous + ": the cut connection delivered late");
                previous = s;
            }
            assertTrue(delivered.size() > 1, "frames from before and after the cut were delivered: " + delivered.size());
        }
    }

    @Test
    void aConnectionThisNodeCutsForAFailureIsResetSoWhatTheKernelHeldIsDiscardedNotDeliveredLater() throws Exception {
        EventLog events = new EventLog();
        try (ServerSocket deaf = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node sender = NodeConfig.builder().name("resetter").sendBufferSize(32 << 10)
                     .backlogLimits(BacklogLimits.ofFrames(100)).overflowTimeout(Duration.ofMillis(200))
                     .reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5), 0)
                     .drainTimeout(Duration.ZERO).onEvent(events).start()) {
            Peer peer = sender.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), deaf.getLocalPort()));
            try (Socket accepted = deaf.accept()) { // takes the connection, reads nothing
                accepted.setReceiveBufferSize(32 << 10);
                byte[] payload = new byte[4096];
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (events.of(Event.Disconnected.class, peer).isEmpty()) {
                    assertTrue(System.nanoTime() < deadline, "no slow-consumer cut within 20 s");
                    if (peer.send(payload) != SendResult.ACCEPTED) {
                        LockSupport.parkNanos(100_000);
                    }
                }
                assertEquals(DisconnectReason.SLOW_CONSUMER, events.of(Event.Disconnected.class, peer).get(0).reason());
                InputStream in = accepted.getInputStream();
                byte[] buffer = new byte[1 << 16];
                SocketException reset = assertThrows(SocketException.class, () -> {
                    while (in.read(buffer) >= 0) {
                        // what reached our receive buffer before the reset is readable; then the reset
                    }
                }, "a graceful end would read to end of stream; a reset ends in an error");
                assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
