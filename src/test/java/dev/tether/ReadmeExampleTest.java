package dev.tether;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ten-line example at the top of README.md, as code that compiles and runs (on loopback). */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleWorks() throws Exception {
        AtomicInteger received = new AtomicInteger();
        try (Node other = NodeConfig.builder().name("upstream").onMessage((p, m, t) -> received.incrementAndGet()).start()) {
            InetSocketAddress upstreamAddress = other.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            byte[] prices = "prices".getBytes(StandardCharsets.UTF_8);

            // --- from README.md (hosts and ports made local) ---
            try (Node node = NodeConfig.builder()
                    .onMessage((peer, payload, sentAt) -> System.out.println(peer + " sent " + payload.remaining() + " bytes"))
                    .onEvent(event -> System.out.println(event))
                    .start()) {
                node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)); // peers that connect to us
                Peer upstream = node.connect("localhost", upstreamAddress.getPort());  // kept up; reconnects with backoff
                upstream.send("hello".getBytes(StandardCharsets.UTF_8));               // queued now, written when connected
                node.broadcast(prices);                                                 // encoded once, queued for every peer
            }                                                                           // flushes (up to 5 s), then closes
            // ---
            Await.until(() -> received.get() == 2, () -> "both frames arrived, got " + received.get());
            assertTrue(received.get() == 2);
        }
    }
}
