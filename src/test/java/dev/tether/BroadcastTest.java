package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Frame;
import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BroadcastTest {

    static int unusedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aBroadcastReachesEveryOutboundAndInboundPeer() throws Exception {
        AtomicInteger atClient = new AtomicInteger();
        try (FrameSink a = FrameSink.start(); FrameSink b = FrameSink.start();
             Node node = NodeConfig.builder().name("hub").start();
             Node client = NodeConfig.builder().name("client").onMessage((p, m, t) -> atClient.incrementAndGet()).start()) {
            InetSocketAddress bound = node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            node.connect(a.address());
            node.connect(b.address());
            client.connect(bound);
            Await.until(() -> node.peers().size() == 3, "two outbound and one inbound peer");
            assertEquals(3, node.broadcast("all".getBytes(StandardCharsets.UTF_8)));
            a.awaitFrames(1, Duration.ofSeconds(10));
            b.awaitFrames(1, Duration.ofSeconds(10));
            Await.until(() -> atClient.get() == 1, "the inbound peer got it");
        }
    }

    @Test
    void aBroadcastEncodesOnceAndAppendsTheSameFrameToEveryBacklog() throws Exception {
        int port = unusedPort(); // nobody listens: frames stay in the backlogs where we can look at them
        try (Node node = NodeConfig.builder().drainTimeout(Duration.ZERO).start()) {
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                peers.add(node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            }
            assertEquals(5, node.broadcast(new byte[] {1, 2, 3}));
            Frame first = Internals.queuedFrames(peers.get(0))[0];
            for (Peer p : peers) {
                Frame[] queued = Internals.queuedFrames(p);
                assertEquals(1, queued.length);
                assertSame(first, queued[0], "one frame object shared by every peer: encoded once");
            }
            assertEquals(3 + 12, first.size());
            assertTrue(node.stats().queuedBytes() == 5L * 15, "each peer counts the frame's bytes against its own bound");
        }
    }
}
