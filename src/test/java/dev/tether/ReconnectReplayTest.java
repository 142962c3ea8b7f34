package dev.tether;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ReconnectReplayTest {
    static final byte[] HELLO = "HELLO".getBytes(StandardCharsets.US_ASCII);

    static byte[] numbered(long seq, int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq).array();
    }

    static NodeConfig.Builder fastReconnect() {
        return NodeConfig.builder().hello(HELLO)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.5);
    }

    @Test
    void framesSentWhileAPeerIsDownAreDeliveredOnceInOrderAfterTheHelloWhenItReturns() throws Exception {
        int k = 500;
        List<Event> events = new CopyOnWriteArrayList<>();
        try (FrameSink sink = FrameSink.start();
             FrameSink other = FrameSink.start();
             Node node = fastReconnect().onEvent(events::add).start()) {
            Peer peer = node.connect(sink.address());
            node.connect(other.address());
            peer.send(numbered(-1, 16));
            sink.awaitFrames(2, Duration.ofSeconds(10)); // hello + the first frame

            sink.stop();
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "peer notices the sink is gone");
            for (int i = 0; i < k; i++) { // half single sends, half broadcasts
                SendResult r = i % 2 == 0 ? peer.send(numbered(i, 16)) : (node.broadcast(numbered(i, 16)) == 2 ? SendResult.ACCEPTED : null);
                assertEquals(SendResult.ACCEPTED, r);
            }
            assertEquals(k, peer.queuedFrames());

            sink.restart();
            List<FrameSink.Received> all = sink.awaitFrames(2 + 1 + k, Duration.ofSeconds(20));
            List<FrameSink.Received> second = all.stream().filter(r -> r.connection() == 2).toList();
            assertArrayEquals(HELLO, second.get(0).payload(), "the hello comes first on the new connection");
            assertEquals(k + 1, second.size(), "hello plus exactly the K frames: nothing lost, nothing doubled");
            for (int i = 0; i < k; i++) {
                assertEquals(i, second.get(i + 1).seq(), "in order");
            }
            Await.until(() -> peer.queuedFrames() == 0, "backlog empties");
            assertEquals(k + 1, peer.stats().framesWritten(), "the hello is not counted as a backlog frame");
            assertTrue(events.stream().anyMatch(e -> e instanceof Event.Reconnected r && r.replayFrames() == k),
                    "Reconnected reports the replay: " + events);
        }
    }

    @Test
    void theHelloIsWrittenOnEveryConnectionAndNeverQueued() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node node = fastReconnect().start()) {
            Peer peer = node.connect(sink.address());
            sink.awaitFrames(1, Duration.ofSeconds(10));
            for (int round = 0; round < 3; round++) {
                sink.resetConnections();
                int expected = round + 2;
                Await.until(() -> sink.frameCount() >= expected, "hello on connection " + expected);
                assertEquals(0, peer.queuedFrames(), "the hello never enters the backlog");
            }
            List<FrameSink.Received> all = sink.received();
            assertEquals(4, all.size(), "exactly one hello per connection: " + all);
            for (FrameSink.Received r : all) {
                assertArrayEquals(HELLO, r.payload());
            }
            // a frame equal to the hello is a real frame and is delivered (flux-network swallowed it)
            peer.send(HELLO);
            assertEquals(5, sink.awaitFrames(5, Duration.ofSeconds(10)).size());
        }
    }

    @Test
    void aFrameCutOffMidWriteIsResentWholeAndAFrameWrittenWholeNeverAgain() throws Exception {
        int big = 4 << 20;
        try (FrameSink sink = FrameSink.start();
             Node node = NodeConfig.builder()
                     .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.5)
                     .sendBufferSize(64 << 10)
                     .start()) {
            Peer peer = node.connect(sink.address());
            peer.send(numbered(1, 64));
            sink.awaitFrames(1, Duration.ofSeconds(10));

            long cut = sink.bytesRead() + 100_000; // read 100 kB of the big frame, then stop reading
            sink.stallAfter(cut);
            peer.send(numbered(2, big));
            peer.send(numbered(3, 64));
            Await.until(() -> sink.bytesRead() >= cut, "the sink has read part of the big frame");
            sink.resetConnections(); // cut the connection mid-frame
            sink.resume();

            List<FrameSink.Received> all = sink.awaitFrames(3, Duration.ofSeconds(20));
            Await.until(() -> peer.queuedFrames() == 0, "backlog empties");
            Await.until(() -> sink.truncatedConnections() >= 1, "the first connection's reader saw it end"); // it wakes after resume()
            assertEquals(1, sink.truncatedConnections(), "the first connection ended inside the big frame");
            List<Long> seqs = new ArrayList<>();
            for (FrameSink.Received r : all) {
                seqs.add(r.seq());
            }
            assertEquals(List.of(1L, 2L, 3L), seqs, "frame 1 once, frame 2 whole once, then frame 3");
            assertEquals(big, all.get(1).payload().length);
            assertEquals(2, all.get(1).connection(), "the big frame arrived whole on the second connection");
            assertEquals(3, peer.stats().framesWritten());
        }
    }
}
