package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.EventLog;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.FrameSink;
import dev.tether.testing.StreamCheck;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A broadcast stream of numbered frames of random sizes to eight peers, each a {@link FrameSink} behind its
 * own {@link FaultProxy}, while seeded random faults hit the proxies and the sinks: cuts, resets, stalls,
 * data lost inside the network, restarts on the same port, slow reads. Plain delivery promises: no
 * duplicate, no reordering, and frames lost only with a broken connection, as one run ending where the
 * next connection starts; every frame handed to the kernel exactly once, and statistics that agree with
 * what the peers and the proxies counted.
 *
 * <p>The seed is printed and is in every failure message; rerun one with {@code -Dtether.test.seed=N}.
 * A longer soak runs with {@code -Dtether.soak=true} ({@code -Dtether.soak.minutes}, default 10).
 */
class RandomFaultStreamTest {
    static final long SEED = Long.getLong("tether.test.seed", System.nanoTime());
    static final int PEERS = 8;

    @Test
    void aHundredThousandFramesToEightPeersUnderRandomFaultsArriveWithoutDuplicatesOrReorderingAndLoseOnlyAtBreaks() throws Exception {
        Outcome o = run(SEED, 100_000, 40);
        System.out.println(o);
    }

    /** The same with frames large enough to be encoded into slabs of direct memory and written from there. */
    @Test
    void framesWrittenFromSlabMemoryToEightPeersUnderRandomFaultsArriveWithoutDuplicatesOrReorderingAndLoseOnlyAtBreaks() throws Exception {
        Outcome o = run(SEED + 1, 20_000, 24, 512, 3000);
        System.out.println(o);
    }

    @Test
    void soak() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tether.soak"), "a soak: run with -Dtether.soak=true");
        long until = System.nanoTime() + Duration.ofMinutes(Long.getLong("tether.soak.minutes", 10)).toNanos();
        long seed = SEED;
        int runs = 0;
        while (System.nanoTime() < until) {
            System.out.println(run(seed, 1_000_000, 200));
            seed++;
            runs++;
        }
        System.out.println("soak: " + runs + " runs from seed " + SEED);
    }

    /** The faults, each on one peer's path; some break its connection, the others only slow it. */
    enum Fault {
        PROXY_CUT(true), PROXY_RESET(true), PROXY_STALL(false), PROXY_LOSES_BUFFERED(true),
        SINK_RESTARTS(true), SINK_RESETS(true), SINK_STALLS(false), SINK_READS_SLOWLY(false);

        final boolean breaks;

        Fault(boolean breaks) {
            this.breaks = breaks;
        }
    }

    /** Kernel buffers on every socket of the path (Linux reserves twice this), so a break can lose only so much. */
    static final int SOCKET_BUFFER = 64 << 10;
    static final int PROXY_MEMORY = 256 << 10;

    record Outcome(long seed, int frames, int faults, long missing, long gaps, long longestGap, long reconnects, long droppedInProxies) {
        @Override
        public String toString() {
            return "seed " + seed + ": " + frames + " frames to " + PEERS + " peers, " + faults + " faults, " + reconnects
                    + " reconnects, " + missing + " frames lost in " + gaps + " runs (longest " + longestGap + "), "
                    + droppedInProxies + " bytes lost inside proxies";
        }
    }

    static Outcome run(long seed, int frames, int faults) throws Exception {
        return run(seed, frames, faults, 8, 256); // 8 to 256 bytes: frames straddle every write and read boundary
    }

    static Outcome run(long seed, int frames, int faults, int minSize, int maxSize) throws Exception {
        System.out.println("RandomFaultStreamTest seed " + seed + " (-Dtether.test.seed=" + seed + " to repeat)");
        Random random = new Random(seed);
        List<String> faultLog = new ArrayList<>();
        List<FrameSink> sinks = new ArrayList<>();
        List<FaultProxy> proxies = new ArrayList<>();
        EventLog events = new EventLog();
        try (Node node = NodeConfig.builder().onEvent(events)
                .backlogLimits(BacklogLimits.ofFrames(frames + 10L)) // no frame is ever refused: every loss is the network's
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100), 0.5)
                .sendBufferSize(SOCKET_BUFFER)
                .start()) {
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < PEERS; i++) {
                FrameSink sink = FrameSink.withReceiveBuffer(SOCKET_BUFFER);
                sinks.add(sink);
                FaultProxy proxy = new FaultProxy(sink.address(), SOCKET_BUFFER, PROXY_MEMORY);
                proxies.add(proxy);
                peers.add(node.connect(proxy.address()));
            }
            Await.until(() -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED), "all connected");

            int[] sizes = new int[frames + 1];
            long encodedBytes = 0;
            for (int i = 0; i <= frames; i++) {
                sizes[i] = minSize + random.nextInt(maxSize - minSize + 1);
                encodedBytes += 12 + sizes[i];
            }
            AtomicLong sent = new AtomicLong();
            Thread producer = Thread.ofVirtual().name("producer").start(() -> {
                for (int i = 0; i < frames; i++) {
                    ByteBuffer payload = ByteBuffer.allocate(sizes[i]).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i);
                    int queued = node.broadcast(payload);
                    if (queued != PEERS) {
                        throw new AssertionError("frame " + i + " queued for " + queued + " of " + PEERS + " peers; seed " + seed);
                    }
                    sent.incrementAndGet();
                    if ((i & 1023) == 0) { // keep the faults spread over the stream: stay near the slowest peer
                        Await.until(Duration.ofSeconds(60), () -> peers.stream().allMatch(p -> p.queuedFrames() < 20_000),
                                () -> "the peers keep up; seed " + seed);
                    }
                }
            });

            for (int k = 0; k < faults; k++) {
                long at = (long) frames * (k + 1) / (faults + 1);
                Await.until(Duration.ofSeconds(60), () -> sent.get() >= at || !producer.isAlive(), () -> "the producer reaches " + at);
                int which = random.nextInt(PEERS);
                Fault fault = Fault.values()[random.nextInt(Fault.values().length)];
                int holdMillis = 10 + random.nextInt(70);
                faultLog.add("frame " + at + " (sent " + sent.get() + "): " + fault + " on peer " + which + " for " + holdMillis + " ms");
                Peer peer = peers.get(which);
                FaultProxy proxy = proxies.get(which);
                FrameSink sink = sinks.get(which);
                if (fault.breaks) { // a break needs a connection to break: wait until the path is whole again
                    Await.until(() -> peer.state() == PeerState.CONNECTED && proxy.openLinks() == 1 && sink.openConnections() == 1,
                            () -> "peer " + which + " connected end to end before " + fault + ": " + paths(peers, proxies, sinks) + "; seed " + seed);
                }
                int breaksBefore = events.of(Event.Disconnected.class, peer).size();
                String before = "links " + proxy.openLinks() + "/" + proxy.connections() + ", sink " + sink.openConnections() + "/" + sink.connections();
                inject(fault, proxy, sink, holdMillis);
                faultLog.add("    before: " + before + "; after: links " + proxy.openLinks() + "/" + proxy.connections() + ", sink "
                        + sink.openConnections() + "/" + sink.connections() + ", frames at sink " + sink.frameCount());
                if (fault.breaks) { // and its effect is over before the next fault, so none is still on its way at the end
                    Await.until(() -> events.of(Event.Disconnected.class, peer).size() > breaksBefore,
                            () -> "peer " + which + " noticed " + fault + "; seed " + seed + "; now " + peer.state() + ", "
                                    + paths(peers, proxies, sinks) + "\n" + peer.stats() + "\n" + String.join("\n", faultLog));
                }
            }
            producer.join();
            assertEquals(frames, sent.get(), "the producer finished; seed " + seed);

            // a last frame after every fault: once it is everywhere, everything that can arrive has
            Await.until(Duration.ofSeconds(30), () -> {
                for (int i = 0; i < PEERS; i++) {
                    if (peers.get(i).state() != PeerState.CONNECTED || proxies.get(i).openLinks() != 1 || sinks.get(i).openConnections() != 1) {
                        return false;
                    }
                }
                return true;
            }, () -> "every path whole again: " + paths(peers, proxies, sinks) + "; seed " + seed);
            ByteBuffer marker = ByteBuffer.allocate(sizes[frames]).order(ByteOrder.LITTLE_ENDIAN).putLong(0, frames);
            assertEquals(PEERS, node.broadcast(marker));
            long markerAt = System.nanoTime();
            for (int i = 0; i < PEERS; i++) {
                FrameSink sink = sinks.get(i);
                int index = i;
                Await.until(Duration.ofSeconds(60), () -> sink.last() != null && sink.last().seq() == frames,
                        () -> "the last frame at sink " + index + ", seed " + seed + "\n"
                                + describe(index, peers.get(index), sink, proxies.get(index), events, markerAt)
                                + "\n" + String.join("\n", faultLog));
            }
            Await.until(() -> peers.stream().allMatch(p -> p.queuedFrames() == 0), "every backlog written");

            Outcome o = verify(seed, frames, faults, sizes, maxSize, encodedBytes, node, peers, sinks, proxies, events, faultLog);
            assertEquals(0, Internals.slabsInUse(node), "every frame written: nothing holds a slab; seed " + seed);
            return o;
        } finally {
            proxies.forEach(FaultProxy::close);
            sinks.forEach(FrameSink::close);
        }
    }

    private static void inject(Fault fault, FaultProxy proxy, FrameSink sink, int holdMillis) throws Exception {
        switch (fault) {
            case PROXY_CUT -> proxy.cut();
            case PROXY_RESET -> proxy.reset();
            case PROXY_STALL -> {
                proxy.stall();
                hold(holdMillis);
                proxy.resume();
            }
            case PROXY_LOSES_BUFFERED -> {
                proxy.stall(); // let data pile up inside the network, then lose it with the connection
                hold(holdMillis);
                proxy.dropBufferedAndCut();
                proxy.resume();
            }
            case SINK_RESTARTS -> {
                sink.stop();
                hold(holdMillis); // the proxy refuses meanwhile: tether's connects succeed and drop at once
                sink.restart();
            }
            case SINK_RESETS -> sink.resetConnections();
            case SINK_STALLS -> {
                sink.stall();
                hold(holdMillis);
                sink.resume();
            }
            case SINK_READS_SLOWLY -> {
                sink.readSlowly(true);
                hold(holdMillis);
                sink.readSlowly(false);
            }
        }
    }

    static String paths(List<Peer> peers, List<FaultProxy> proxies, List<FrameSink> sinks) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < peers.size(); i++) {
            b.append("\n  peer ").append(i).append(' ').append(peers.get(i).state()).append(", proxy links open ")
                    .append(proxies.get(i).openLinks()).append(", sink connections open ").append(sinks.get(i).openConnections());
        }
        return b.toString();
    }

    /** Encoded bytes of the numbered frames a sink never received. */
    static long lostBytes(List<FrameSink.Received> got, int[] sizes) {
        java.util.BitSet seen = new java.util.BitSet(sizes.length);
        for (FrameSink.Received r : got) {
            seen.set((int) r.seq());
        }
        long lost = 0;
        for (int i = seen.nextClearBit(0); i < sizes.length; i = seen.nextClearBit(i + 1)) {
            lost += 12 + sizes[i];
        }
        return lost;
    }

    /** One peer's path and history, for a failure message; times in ms relative to the last frame's broadcast. */
    static String describe(int index, Peer peer, FrameSink sink, FaultProxy proxy, EventLog events, long zeroNanos) {
        StringBuilder b = new StringBuilder("peer " + index + ": " + peer.stats() + "\n  sink: " + sink.frameCount() + " frames on "
                + sink.connections() + " connections (" + sink.truncatedConnections() + " cut mid-frame, " + sink.openConnections()
                + " open), last " + (sink.last() == null ? "none" : sink.last().seq() + " on connection " + sink.last().connection())
                + "\n  proxy: " + proxy.connections() + " connections, " + proxy.openLinks() + " open\n  events:");
        for (EventLog.Timed t : events.all()) {
            Peer p = EventLog.peerOf(t.event());
            if (p != null && p.id() == peer.id()) {
                b.append("\n    ").append((t.nanos() - zeroNanos) / 1_000_000).append(" ms: ").append(t.event());
            }
        }
        return b.toString();
    }

    /** Keeps a fault in place for a while: pacing the scenario, not waiting for a condition. */
    private static void hold(int millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    private static Outcome verify(long seed, int frames, int faults, int[] sizes, int maxSize, long encodedBytes, Node node, List<Peer> peers,
                                  List<FrameSink> sinks, List<FaultProxy> proxies, EventLog events, List<String> faultLog) {
        String context = "; seed " + seed + "\n" + String.join("\n", faultLog);
        long total = frames + 1L;
        long missing = 0;
        long gaps = 0;
        long longest = 0;
        long reconnects = 0;
        for (int i = 0; i < PEERS; i++) {
            Peer peer = peers.get(i);
            PeerStats s = peer.stats();
            List<FrameSink.Received> got = StreamCheck.inConnectionOrder(sinks.get(i).received());
            StreamCheck.Result r = StreamCheck.check(got, total);
            String who = "peer " + i + " " + s + "\n" + r;
            int breaks = events.of(Event.Disconnected.class, peer).size();

            assertEquals(0, r.duplicates(), "no duplicate: " + who + context);
            assertEquals(0, r.reordered(), "no reordering within a connection or from one to the next: " + who + context);
            assertEquals(0, r.gapsMidConnection(), "frames lost only where a connection broke: " + who + context);
            assertTrue(r.gapsAtNewConnection() <= breaks, "at most one lost run per broken connection (" + breaks + "): " + who + context);
            assertTrue(got.get(0).seq() == 0 || got.get(0).connection() > 1,
                    "a stream that lost its head lost it with its first connection: " + who + context);
            if (breaks == 0) {
                assertEquals(0, r.missing(), "a peer whose connection never broke lost nothing: " + who + context);
            }
            // what a break can lose is what the path held: tether's send buffer, the proxy, the sink's receive buffer
            // (each kernel buffer at twice its set size plus 64 KiB a queue may overshoot by), and one frame
            long socket = 2L * SOCKET_BUFFER + (64 << 10);
            long perBreak = socket + proxies.get(i).maxBytesHeld() + socket + 12 + maxSize;
            long lostBytes = lostBytes(got, sizes);
            assertTrue(lostBytes <= breaks * perBreak, "lost " + lostBytes + " bytes in " + breaks + " breaks, more than the "
                    + perBreak + " bytes a broken path holds: tether lost frames it had not handed to the kernel: " + who + context);

            // the node's counters against what the sink, the proxy and the events saw
            assertEquals(total, s.framesWritten(), "every frame handed to the kernel exactly once: " + who + context);
            assertEquals(encodedBytes, s.bytesWritten(), "and every byte of it once: " + who + context);
            assertTrue(r.frames() <= s.framesWritten(), "the sink cannot count more than was written: " + who + context);
            assertEquals(0, s.framesDropped(), "no bound was hit, so nothing was dropped: " + who + context);
            assertEquals(0, s.queuedFrames());
            assertEquals(breaks, s.reconnects(), "every broken connection was reconnected: " + who + context);
            assertEquals(breaks, events.of(Event.Reconnected.class, peer).size(), who + context);
            assertEquals(proxies.get(i).connections(), s.reconnects() + 1, "tether's connections are the proxy's: " + who + context);
            assertTrue(sinks.get(i).connections() <= proxies.get(i).connections(), who + context);

            missing += r.missing();
            gaps += r.gapsAtNewConnection();
            longest = Math.max(longest, r.longestGap());
            reconnects += s.reconnects();
        }
        NodeStats n = node.stats();
        assertEquals(PEERS * total, n.framesWritten(), "the node sums its peers: " + n + context);
        assertEquals(PEERS * encodedBytes, n.bytesWritten(), n + context);
        assertEquals(reconnects, n.reconnects(), n + context);
        assertEquals(0, n.framesDropped(), n + context);
        assertEquals(0, n.queuedFrames(), n + context);
        assertEquals(PEERS, n.peersByState().get(PeerState.CONNECTED), n + context);
        long droppedInProxies = proxies.stream().mapToLong(FaultProxy::droppedBytes).sum();
        return new Outcome(seed, frames, faults, missing, gaps, longest, reconnects, droppedInProxies);
    }
}
