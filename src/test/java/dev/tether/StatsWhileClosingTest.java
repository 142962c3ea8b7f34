package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Node#stats()} counts every peer exactly once while peers close around it: a closing peer's
 * counters move from the live peers to the closed totals, and no reading may see them in both or in
 * neither. Each peer here has a fixed count (frames refused by its full backlog), so every reading must
 * show the same total, whatever closes meanwhile; and the live peers only ever decrease.
 */
class StatsWhileClosingTest {
    private static final int PEERS = 500;
    private static final int DROPS_EACH = 3;
    private static final int READERS = 3;
    private static final int CLOSERS = 3;
    private static final int ROUNDS = 3;

    @Test
    void everyReadingCountsEachPeerOnceWhilePeersCloseOneByOne() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            try (Node node = node("one-by-one-" + round)) {
                List<Peer> peers = peersWithDrops(node);
                List<Reader> readers = startReaders(node);
                List<Thread> closers = new ArrayList<>();
                for (int c = 0; c < CLOSERS; c++) {
                    int first = c;
                    closers.add(Thread.ofPlatform().start(() -> {
                        for (int i = first; i < peers.size(); i += CLOSERS) {
                            peers.get(i).close();
                        }
                    }));
                }
                for (Thread t : closers) {
                    t.join();
                }
                Await.until(() -> Internals.liveThreads(node) == 1, () -> "every peer's supervisor finished (the watchdog is left): "
                        + Internals.liveThreads(node));
                stopAndCheck(readers, "round " + round);
                assertEquals((long) PEERS * DROPS_EACH, node.stats().droppedBacklogFull(), "with every peer closed");
            }
        }
    }

    @Test
    void everyReadingCountsEachPeerOnceWhileTheNodeClosesThemAll() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Node node = node("node-close-" + round);
            peersWithDrops(node);
            List<Reader> readers = startReaders(node);
            node.close();
            stopAndCheck(readers, "round " + round);
            assertEquals((long) PEERS * DROPS_EACH, node.stats().droppedBacklogFull(), "after close");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Node node(String name) {
        return NodeConfig.builder().name(name).backlogLimits(BacklogLimits.ofFrames(1)).drainTimeout(Duration.ZERO)
                .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60), 0.0)
                .dropReportInterval(Duration.ofHours(1)).start();
    }

    /** PEERS peers to a port nobody listens on, each with one frame queued and DROPS_EACH refused. */
    private static List<Peer> peersWithDrops(Node node) throws Exception {
        InetSocketAddress nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort());
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < PEERS; i++) {
            Peer p = node.connect(nowhere);
            assertEquals(SendResult.ACCEPTED, p.send(new byte[] {1}));
            for (int d = 0; d < DROPS_EACH; d++) {
                assertEquals(SendResult.BACKLOG_FULL, p.send(new byte[] {2}));
            }
            peers.add(p);
        }
        assertEquals((long) PEERS * DROPS_EACH, node.stats().droppedBacklogFull());
        return peers;
    }

    private static List<Reader> startReaders(Node node) {
        List<Reader> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            readers.add(new Reader(node));
        }
        return readers;
    }

    private static void stopAndCheck(List<Reader> readers, String round) throws InterruptedException {
        long readings = 0;
        List<String> wrong = new ArrayList<>();
        for (Reader r : readers) {
            r.stop.set(true);
            r.thread.join(10_000);
            assertTrue(!r.thread.isAlive(), "the reader stopped");
            readings += r.readings.get();
            wrong.addAll(r.wrong);
        }
        assertTrue(readings >= READERS, "the readers read while peers closed: " + readings);
        assertEquals(List.of(), wrong.stream().limit(5).toList(), round + ": " + wrong.size() + " of " + readings + " readings were wrong");
    }

    /** Reads node.stats() in a loop on its own thread and keeps every reading that is wrong. */
    private static final class Reader {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong readings = new AtomicLong();
        final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        final Thread thread;

        Reader(Node node) {
            thread = Thread.ofPlatform().name("stats-reader").start(() -> {
                int lastLive = Integer.MAX_VALUE;
                long expected = (long) PEERS * DROPS_EACH;
                while (!stop.get()) {
                    NodeStats s = node.stats();
                    readings.incrementAndGet();
                    if (s.droppedBacklogFull() != expected) {
                        wrong.add("droppedBacklogFull " + s.droppedBacklogFull() + " of " + expected + ": a peer counted "
                                + (s.droppedBacklogFull() > expected ? "twice" : "zero times"));
                    }
                    int live = s.peersByState().values().stream().mapToInt(Integer::intValue).sum();
                    if (live > lastLive || live > PEERS || s.peersByState().values().stream().anyMatch(n -> n < 0)) {
                        wrong.add("peers by state " + s.peersByState() + " after a reading with " + lastLive + " live");
                    }
                    lastLive = live;
                    if (s.framesWritten() != 0) {
                        wrong.add("nothing was written: " + s);
                    }
                }
            });
        }
    }
}
