package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FaultProxy;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Acknowledged mode: a message handler that takes its time does not hold up a reconnecting sender's
 * handshake (a review found the handler ran holding the lock the new connection's handshake needed), and
 * once it returns every frame is delivered exactly once, in order.
 */
class SlowHandlerReconnectTest {
    private static final int FRAMES = 1000;

    @Test
    void aSenderReconnectsWhileTheHandlerIsBlockedAndEveryFrameArrivesOnceInOrderAfterwards() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> delivered = new CopyOnWriteArrayList<>();
        List<Event> atSender = new CopyOnWriteArrayList<>();
        Node receiver = NodeConfig.builder().name("rx").delivery(Delivery.ACKNOWLEDGED).handshakeTimeout(Duration.ofSeconds(20))
                .onMessage((peer, payload, sentAt) -> {
                    delivered.add(payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()));
                    if (delivered.size() == 1) {
                        inHandler.countDown();
                        await(release); // a slow handler, on the first frame
                    }
                }).start();
        Node sender = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED).handshakeTimeout(Duration.ofSeconds(20))
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).onEvent(atSender::add).start();
        try (receiver; sender; FaultProxy proxy = new FaultProxy(receiver.listen(TlsTest.loopback0()))) {
            Peer peer = sender.connect(proxy.address());
            for (int i = 0; i < FRAMES; i++) {
                peer.send(ReconnectReplayTest.numbered(i, 16));
            }
            assertTrue(inHandler.await(10, TimeUnit.SECONDS), "the handler got the first frame");
            proxy.reset(); // the sender's connection is cut while the receiver's handler is busy with it
            try {
                Await.until(Duration.ofSeconds(8), () -> atSender.stream().anyMatch(e -> e instanceof Event.Reconnected),
                        () -> "the sender reconnected (the receiver finished its handshake) while the handler is blocked: " + atSender);
                assertEquals(PeerState.CONNECTED, peer.state());
                assertEquals(1, delivered.size(), "the handler is still busy with the first frame");
            } finally {
                release.countDown();
            }
            Await.until(() -> delivered.size() >= FRAMES, () -> "every frame delivered: " + delivered.size());
            assertTrue(peer.awaitFlushed(Duration.ofSeconds(10)), "and acknowledged");
            assertEquals(List.of(), misdelivered(delivered), "each frame exactly once, in order");
        }
    }

    /** Where the deliveries differ from 0, 1, 2 ... FRAMES-1: the first few positions, and the count. */
    private static List<String> misdelivered(List<Long> delivered) {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < Math.max(FRAMES, delivered.size()); i++) {
            Long got = i < delivered.size() ? delivered.get(i) : null;
            if (got == null || got != i) {
                wrong.add("#" + i + ": " + got);
            }
        }
        return wrong.size() <= 5 ? wrong : List.of(wrong.subList(0, 5) + " and " + (wrong.size() - 5) + " more of " + delivered.size());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never released the handler");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
