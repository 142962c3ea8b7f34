package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.StreamCheck;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The first finding of the seed review: a peer that drops during a broadcast got the frame queued twice.
 * Here peers reset and restart while a broadcast storm runs; every stream must stay free of duplicates and
 * reordering, and lose frames only where a connection broke.
 */
class BroadcastStormTest {

    @Test
    void peersThatDropDuringABroadcastStormGetNoDuplicateAndNoReordering() throws Exception {
        int total = 200_000;
        try (FrameSink steady = FrameSink.start(); FrameSink resetting = FrameSink.start(); FrameSink restarting = FrameSink.start();
             Node node = NodeConfig.builder()
                     .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50), 0.5)
                     .start()) {
            List<Peer> peers = List.of(node.connect(steady.address()), node.connect(resetting.address()), node.connect(restarting.address()));
            Await.until(() -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED), "all connected");

            ByteBuffer payload = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            int resets = 0;
            for (int i = 0; i < total; i++) {
                payload.putLong(0, i);
                assertEquals(3, node.broadcast(payload), "every peer accepts: the bound is far away");
                if (i % 20_000 == 10_000) { // reset a live connection while its backlog is being written and appended to
                    Await.until(() -> peers.get(1).state() == PeerState.CONNECTED && resetting.openConnections() > 0, "reconnected");
                    resets += resetting.resetConnections();
                }
                if (i == 90_000) {
                    restarting.stop();
                }
                if (i == 150_000) {
                    restarting.restart();
                }
            }
            // Frames written into a connection just before its reset is processed die with it (plain TCP), so a tail
            // that must arrive is sent only once every peer has noticed every fault and is connected again.
            int resetsDone = resets;
            Await.until(Duration.ofSeconds(60), () -> peers.get(1).stats().reconnects() >= resetsDone
                    && peers.get(2).stats().reconnects() >= 1 && peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED),
                    () -> "every fault noticed: " + peers.stream().map(Peer::stats).toList());
            int tail = 1000;
            for (int i = total; i < total + tail; i++) {
                payload.putLong(0, i);
                assertEquals(3, node.broadcast(payload));
            }
            Await.until(Duration.ofSeconds(60), () -> peers.stream().allMatch(p -> p.queuedFrames() == 0),
                    () -> "every backlog written: " + peers.stream().map(Peer::stats).toList());
            for (FrameSink sink : List.of(steady, resetting, restarting)) {
                Await.until(() -> sink.last() != null && sink.last().seq() == total + tail - 1, "the last frame reaches " + sink.port());
                StreamCheck.Result r = StreamCheck.check(sink.received(), total + tail);
                assertTrue(r.clean(), "sink " + sink.port() + ": " + r);
            }
            assertEquals(total + tail, StreamCheck.check(steady.received(), total + tail).frames(), "the steady peer lost nothing");
            assertEquals(resets + 1, resetting.connections(), "each reset was followed by one reconnect");
            assertEquals(2, restarting.connections());
            for (Peer p : peers) {
                assertEquals(total + tail, p.stats().framesWritten(), "each frame written whole exactly once per peer: " + p.stats());
                assertEquals(0, p.stats().framesDropped());
            }
        }
    }
}
