package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A thousand outbound peers on one node, all connected to one listening node, all dropped at once by a
 * restart of that node, all reconnected; the reconnect backoff's jitter spreads the reconnects instead of
 * sending a thousand connects in the same instant.
 */
class ManyPeersTest {
    static final int PEERS = 1000;

    @Test
    void aThousandPeersDroppedAtOnceAllReconnectAndTheJitteredBackoffSpreadsTheReconnects() throws Exception {
        Duration initial = Duration.ofMillis(400);
        double jitter = 0.5;
        Map<Long, Long> disconnectedAt = new ConcurrentHashMap<>();
        Map<Long, Long> reconnectedAt = new ConcurrentHashMap<>();
        Map<DisconnectReason, AtomicInteger> reasons = new ConcurrentHashMap<>();
        AtomicInteger connectFailures = new AtomicInteger();
        AtomicInteger connected = new AtomicInteger();
        NodeEventListener recorder = e -> {
            long now = System.nanoTime();
            switch (e) {
                case Event.Connected c -> connected.incrementAndGet();
                case Event.Disconnected d -> {
                    disconnectedAt.putIfAbsent(d.peer().id(), now);
                    reasons.computeIfAbsent(d.reason(), r -> new AtomicInteger()).incrementAndGet();
                }
                case Event.Reconnected r -> reconnectedAt.putIfAbsent(r.peer().id(), now);
                case Event.ConnectFailed f -> connectFailures.incrementAndGet();
                default -> { }
            }
        };
        Node server = NodeConfig.builder().name("server").start();
        Node restarted = null;
        try (Node client = NodeConfig.builder().name("client").onEvent(recorder)
                .reconnectBackoff(initial, Duration.ofSeconds(2), jitter).start()) {
            InetSocketAddress address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            for (int i = 0; i < PEERS; i++) {
                client.connect(address);
            }
            Node first = server;
            Await.until(Duration.ofSeconds(60), () -> connected.get() == PEERS && first.peers().size() == PEERS,
                    () -> connected.get() + " of " + PEERS + " connected, " + first.peers().size() + " accepted");
            assertEquals(PEERS, client.broadcast(new byte[] {1}));
            Await.until(() -> first.stats().framesReceived() == PEERS, () -> "a frame over every connection: " + first.stats());

            // a bounce: the new node listens on the same port before the old one drops every connection at once, so
            // the first retries find it (under load, closing a thousand peers first could outlast the shortest backoff)
            server.stopListening(address);
            restarted = NodeConfig.builder().name("restarted").start();
            restarted.listen(address);
            server.closeNow();
            Await.until(Duration.ofSeconds(30), () -> disconnectedAt.size() == PEERS, () -> disconnectedAt.size() + " disconnects seen");
            assertEquals(PEERS, client.broadcast(new byte[] {2}), "sent while down or reconnecting: queued for every peer");

            Node second = restarted;
            Await.until(Duration.ofSeconds(60), () -> reconnectedAt.size() == PEERS && second.peers().size() == PEERS
                            && client.peers().stream().allMatch(p -> p.state() == PeerState.CONNECTED),
                    () -> reconnectedAt.size() + " of " + PEERS + " reconnected, " + second.peers().size() + " accepted");
            Await.until(() -> second.stats().framesReceived() == PEERS, () -> "the frame queued while down reached every peer: " + second.stats());
            assertEquals(PEERS, client.stats().reconnects());
            assertEquals(0, client.stats().framesDropped());

            long[] delays = new long[PEERS]; // per peer: from its disconnect to its reconnect
            long[] at = new long[PEERS];     // when each reconnect happened
            int k = 0;
            for (Map.Entry<Long, Long> e : reconnectedAt.entrySet()) {
                delays[k] = e.getValue() - disconnectedAt.get(e.getKey());
                at[k++] = e.getValue();
            }
            Arrays.sort(delays);
            Arrays.sort(at);
            long floor = (long) (initial.toNanos() * (1 - jitter)); // the shortest delay the backoff may pick
            long range = (long) (initial.toNanos() * jitter);           // the share jitter may take off
            long middle = floor + range / 2;
            long p10 = delays[PEERS / 10];
            long p90 = delays[PEERS - PEERS / 10];
            long spread = at[PEERS - 1] - at[0];
            int buckets = (int) Arrays.stream(at).map(t -> (t - at[0]) / 1_000_000).distinct().count();
            String summary = String.format("%d reconnects: delay from disconnect min %d ms, 10%% %d ms, median %d ms, 90%% %d ms, max %d ms; "
                            + "reconnects spread over %d ms, %d distinct milliseconds, at most %d in any 10 ms; %d refused attempts; reasons %s",
                    PEERS, delays[0] / 1_000_000, p10 / 1_000_000, delays[PEERS / 2] / 1_000_000, p90 / 1_000_000,
                    delays[PEERS - 1] / 1_000_000, spread / 1_000_000, buckets, busiestWindow(at, 10_000_000L), connectFailures.get(), reasons);
            System.out.println(summary);

            // Each peer's own delay, from its disconnect to its reconnect, shows the jitter; the reconnect times
            // alone do not, as the disconnects are already spread by the old node closing its peers one by one
            // (without jitter every delay here is 400 ms and more, and the reconnect times look much the same).
            assertTrue(delays[0] >= floor, "no peer came back before the shortest jittered delay, " + floor / 1_000_000 + " ms: " + summary);
            assertTrue(p10 < middle, "at least a tenth of the peers came back in the lower half of the jitter range, before "
                    + middle / 1_000_000 + " ms: " + summary);
            assertTrue(p90 > middle, "and at least a tenth in the upper half: " + summary);
            assertTrue(buckets >= 50, "the reconnects are not bunched in a few milliseconds: " + summary);
            int dropped = reasons.values().stream().mapToInt(AtomicInteger::get).sum();
            assertEquals(PEERS, dropped, "one disconnect per peer: " + reasons);
            assertTrue(reasons.keySet().stream().allMatch(r -> r == DisconnectReason.PEER_CLOSED || r == DisconnectReason.RESET),
                    "each says the other side went away: " + reasons);
        } finally {
            server.closeNow();
            if (restarted != null) {
                restarted.closeNow();
            }
        }
    }

    /** The most events within any window of {@code width} nanoseconds; {@code sorted} ascending. */
    static int busiestWindow(long[] sorted, long width) {
        int best = 0;
        int start = 0;
        for (int end = 0; end < sorted.length; end++) {
            while (sorted[end] - sorted[start] >= width) {
                start++;
            }
            best = Math.max(best, end - start + 1);
        }
        return best;
    }
}
