package dev.tether;

import static dev.tether.HostileInputTest.closedByPeer;
import static dev.tether.HostileInputTest.header;
import static dev.tether.HostileInputTest.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.CapturingLogs;
import dev.tether.testing.EchoNode;
import dev.tether.testing.KernelQueues;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * What partly received frames and a flood of connections may cost a listener: no more memory than
 * {@link NodeConfig#inboundMemoryBudget()} and no more inbound peers than
 * {@link NodeConfig#maxInboundConnections()}. A connection past either is closed with a reason while every
 * other connection is served, and input alone never runs a node out of memory.
 */
class InboundLimitsTest {
    private static final int MIB = 1 << 20;

    static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    // ------------------------------------------------------------------ the amplification attack, in a small heap

    @Test
    void connectionsThatDeclare16MiBAndSend8MiBCannotRunASmallHeapOutOfMemoryAndAFriendlyPeerIsServedThroughout() throws Exception {
        int waves = 3;
        int perWave = 60;
        long start = System.nanoTime();
        try (Child child = Child.start("-Xmx96m")) {
            Replies replies = new Replies();
            try (Node friendNode = NodeConfig.builder().name("friend").drainTimeout(Duration.ZERO)
                    .onMessage(replies::add).onEvent(replies::event).start()) {
                Peer friend = friendNode.connect(child.address());
                replies.roundTrip(friend);

                AtomicBoolean attacking = new AtomicBoolean(true);
                AtomicReference<Throwable> friendFailed = new AtomicReference<>();
                List<Long> latencies = new CopyOnWriteArrayList<>();
                Thread friendly = Thread.ofVirtual().name("friendly").start(() -> {
                    try {
                        while (attacking.get()) {
                            long t0 = System.nanoTime();
                            replies.roundTrip(friend);
                            latencies.add(System.nanoTime() - t0);
                        }
                    } catch (Throwable t) {
                        friendFailed.set(t);
                    }
                });
                int cut = 0;
                int kept = 0;
                for (int w = 0; w < waves; w++) {
                    Wave wave = attack(child, perWave);
                    cut += wave.cut();
                    kept += wave.kept();
                }
                attacking.set(false);
                friendly.join();
                assertEquals(null, friendFailed.get(), "the friend was answered all through the attack");
                int budgetClosed = child.count("disconnected MEMORY_BUDGET ");
                for (int i = 0; i < 20; i++) {
                    replies.roundTrip(friend);
                }
                byte[] largest = new byte[16 * MIB];
                new Random(1).nextBytes(largest);
                replies.bigRoundTrip(friend, largest); // the budget is all back: the largest legal frame still arrives
                assertEquals(0, replies.friendDisconnects.get(), "the friendly connection never dropped");

                String summary = child.finish();
                Matcher m = Pattern.compile("peakHeap (\\d+) peakAfterGc (\\d+) usedAfterGc (\\d+) errors (\\d+)").matcher(summary);
                assertTrue(m.find(), summary);
                String output = child.output();
                assertFalse(output.contains("OutOfMemoryError"), output);
                assertEquals("0", m.group(4), "the child logged no ERROR: " + output);
                assertTrue(budgetClosed > 0, "some connections were closed for the budget: " + output);
                assertEquals(waves * perWave, budgetClosed + kept, output);
                assertTrue(kept > 0, "the connections within the budget were served, not closed: " + output);
                assertTrue(output.contains("raise NodeConfig.inboundMemoryBudget or lower maxFrameSize"), output);
                long maxLatency = latencies.stream().mapToLong(Long::longValue).max().orElse(0);
                System.out.printf("amplification: %d connections (%d waves of %d) each declaring 16 MiB and sending 8 MiB "
                                + "to a node with -Xmx96m (maxMemory %s, budget %s): %d closed MEMORY_BUDGET, %d held until "
                                + "we closed them; %d writers cut off; %d friendly round trips during the attack, slowest %d ms; "
                                + "child heap: pools peaked at %s (summed), at most %s left after any collection, %s after GC "
                                + "at the end; %d ms%n",
                        waves * perWave, waves, perWave, mib(child.maxMemory()), mib(child.budget()), budgetClosed, kept, cut,
                        latencies.size(), TimeUnit.NANOSECONDS.toMillis(maxLatency),
                        mib(Long.parseLong(m.group(1))), mib(Long.parseLong(m.group(2))), mib(Long.parseLong(m.group(3))),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        }
    }

    /** How one wave of the attack went: writers cut off mid-way, connections the child kept until we closed them. */
    record Wave(int cut, int kept) { }

    /**
     * Opens {@code connections} at once, each declaring the largest frame and sending half of it; once every
     * one has sent its half or been cut off, closes the rest and waits until the child saw each end.
     */
    private static Wave attack(Child child, int connections) throws InterruptedException {
        CountDownLatch written = new CountDownLatch(connections);
        CountDownLatch release = new CountDownLatch(1);
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        AtomicInteger cut = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            threads.add(Thread.ofVirtual().name("hostile-" + i).start(() -> {
                try (Socket s = open(child.address())) {
                    ports.add(s.getLocalPort());
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(header(16 * MIB, 0)); // the largest legal frame...
                        byte[] chunk = new byte[64 << 10];
                        for (int sent = 0; sent < 8 * MIB; sent += chunk.length) {
                            out.write(chunk);            // ...and half of it
                        }
                    } catch (IOException closedOnUs) {
                        cut.incrementAndGet();
                    } finally {
                        written.countDown();
                    }
                    release.await();
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        assertTrue(written.await(30, TimeUnit.SECONDS), "every hostile connection sent its 8 MiB or was cut off");
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(connections, ports.size());
        Await.until(() -> child.endedPorts().keySet().containsAll(ports) || !child.alive(),
                () -> "every hostile connection ended: " + child.output());
        assertTrue(child.alive(), () -> "the child is alive: " + child.output());
        Map<Integer, String> ended = child.endedPorts();
        int kept = (int) ports.stream().filter(p -> !ended.get(p).equals("MEMORY_BUDGET")).count();
        return new Wave(cut.get(), kept);
    }

    // ------------------------------------------------------------------ the budget, in process

    @Test
    void everyByteTakenFromTheBudgetComesBackWhicheverWayAConnectionEnds() throws Exception {
        // a budget for exactly one frame of the largest size: any byte not given back makes the next probe fail
        try (Listener listener = new Listener(NodeConfig.builder().maxFrameSize(MIB).inboundMemoryBudget(MIB + 12))) {
            listener.probe();

            Socket fin = listener.halfFrame();
            fin.close();
            assertEquals(DisconnectReason.PEER_CLOSED, listener.awaitClosed(fin));
            listener.probe();

            Socket reset = listener.halfFrame();
            reset.setSoLinger(true, 0);
            reset.close();
            assertEquals(DisconnectReason.RESET, listener.awaitClosed(reset));
            listener.probe();

            Socket closedHere = listener.halfFrame();
            listener.peerOf(closedHere).close();
            assertEquals(DisconnectReason.LOCAL_CLOSE, listener.awaitClosed(closedHere));
            closedHere.close();
            // a local close reports from the closing thread; the reader gives its buffer back once it has ended
            Await.until(() -> Internals.inboundBudgetInUse(listener.node) == 0,
                    () -> "the closed connection's reader gave its buffer back: " + Internals.inboundBudgetInUse(listener.node) + " bytes held");
            listener.probe();

            Socket holder = listener.halfFrame();
            Socket second = open(listener.address);
            second.getOutputStream().write(header(MIB, 0));
            second.getOutputStream().write(new byte[64 << 10]);
            assertEquals(DisconnectReason.MEMORY_BUDGET, listener.awaitClosed(second), "the holder has the budget");
            String detail = listener.details.get(second.getLocalPort());
            assertTrue(detail.contains("peer declared a frame of 1048576 bytes"), detail);
            assertTrue(detail.contains("inbound memory budget of 1048588 bytes"), detail);
            assertTrue(detail.contains("raise NodeConfig.inboundMemoryBudget or lower maxFrameSize"), detail);
            assertTrue(closedByPeer(second));
            listener.roundTrip(); // the others are served
            holder.close();
            assertEquals(DisconnectReason.PEER_CLOSED, listener.awaitClosed(holder));
            listener.probe();

            listener.probe(); // a probe ends PEER_CLOSED after its whole frame: that gave everything back too
            assertEquals(0, listener.friendDisconnects.get());
        }
    }

    @Test
    void theAcknowledgedModeHandshakeTakesItsBufferFromTheBudgetAndGivesItBack() throws Exception {
        NodeConfig.Builder config = NodeConfig.builder().delivery(Delivery.ACKNOWLEDGED).maxFrameSize(MIB).inboundMemoryBudget(MIB + 12);
        try (Listener listener = new Listener(config)) {
            listener.tetherProbe();
            Socket holder = listener.halfFrame(); // a data frame where the handshake expects a HELLO: read until whole
            Socket second = open(listener.address);
            second.getOutputStream().write(header(MIB, 0));
            second.getOutputStream().write(new byte[64 << 10]);
            assertEquals(DisconnectReason.MEMORY_BUDGET, listener.awaitClosed(second), "the holder's handshake has the budget");
            holder.close();
            assertEquals(DisconnectReason.HANDSHAKE_FAILED, listener.awaitClosed(holder));
            listener.roundTrip();
            listener.tetherProbe();
            listener.tetherProbe();
        }
    }

    @Test
    void aFrameOfTheLargestSizeArrivesWhenTheBudgetJustAllowsIt() throws Exception {
        List<byte[]> got = new CopyOnWriteArrayList<>();
        try (Node receiver = NodeConfig.builder().name("receiver").inboundMemoryBudget(NodeConfig.DEFAULT_MAX_FRAME_SIZE + 12)
                .onMessage((p, payload, t) -> {
                    byte[] copy = new byte[payload.remaining()];
                    payload.get(copy);
                    got.add(copy);
                }).start();
             Node sender = NodeConfig.builder().name("sender").start()) {
            Peer peer = sender.connect(receiver.listen(loopback0()));
            byte[] largest = new byte[NodeConfig.DEFAULT_MAX_FRAME_SIZE];
            new Random(7).nextBytes(largest);
            assertEquals(SendResult.ACCEPTED, peer.send(largest));
            assertEquals(SendResult.ACCEPTED, peer.send(largest));
            Await.until(Duration.ofSeconds(30), () -> got.size() == 2, () -> got.size() + " of 2 frames of 16 MiB");
            assertArrayEquals(largest, got.get(0));
            assertArrayEquals(largest, got.get(1));
            assertTrue(receiver.peers().stream().allMatch(p -> p.state() == PeerState.CONNECTED), "nothing was cut off");
        }
    }

    // ------------------------------------------------------------------ the inbound cap

    @Test
    void aConnectionBeyondMaxInboundConnectionsIsResetAtOnceNeverBecomesAPeerAndIsCounted() throws Exception {
        NodeConfig.Builder config = NodeConfig.builder().maxInboundConnections(2).jmx(true).name("capped-" + System.nanoTime());
        try (Listener listener = new Listener(config)) { // its friend is the first inbound peer
            Peer second = listener.friendNode.connect(listener.address);
            Await.until(() -> second.state() == PeerState.CONNECTED && listener.accepted.get() == 2, "two inbound peers");
            int logMark = CapturingLogs.mark();

            assertTrue(refused(listener.address), "the connection beyond the cap is closed at once");
            Await.until(() -> listener.node.stats().inboundRefused() == 1, "the refusal is counted");
            assertEquals(2, listener.accepted.get(), "it never became a peer");
            assertEquals(2, listener.node.peers().size());
            Object viaJmx = ManagementFactory.getPlatformMBeanServer().getAttribute(
                    new ObjectName("dev.tether:type=Node,name=" + ObjectName.quote(listener.node.config().name())), "InboundRefused");
            assertEquals(1L, viaJmx);
            Await.until(() -> refusalWarnings(logMark).size() == 1, // counted first, logged just after
                    () -> "one WARN line for the refusal: " + refusalWarnings(logMark));
            List<String> warnings = refusalWarnings(logMark);
            assertTrue(warnings.get(0).contains("refused 1 inbound connection(s)"), warnings.get(0));
            assertTrue(warnings.get(0).contains("raise NodeConfig.maxInboundConnections"), warnings.get(0));
            listener.roundTrip();
            assertEquals(SendResult.ACCEPTED, second.send(new byte[] {1}));

            long burstStart = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertTrue(refused(listener.address));
            }
            Await.until(() -> listener.node.stats().inboundRefused() == 21, () -> "refused: " + listener.node.stats().inboundRefused());
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - burstStart);
            List<String> after = refusalWarnings(logMark);
            assertTrue(after.size() <= 2 + seconds, "at most one WARN line a second, not one per refusal: " + after);
            assertEquals(2, listener.accepted.get());
            listener.roundTrip();

            second.close(); // a place frees up
            Await.until(() -> listener.node.peers().size() == 1, () -> "the closed peer left: " + listener.node.peers());
            Await.until(() -> listener.peersClosed.get() == 1, // its place under the cap is given back when it is CLOSED, just before this event
                    () -> "the closed peer's place is free: " + listener.peersClosed.get());
            try (Socket admitted = open(listener.address)) {
                admitted.getOutputStream().write(HostileInputTest.concat(header(1, 0), new byte[] {42}));
                Await.until(() -> listener.dataFrom(admitted) == 1, "a connection within the cap is a peer again");
                assertEquals(3, listener.accepted.get());
            }
            assertEquals(0, listener.friendDisconnects.get(), "the friendly connection never dropped");
        }
    }

    @Test
    void aTetherSenderTurnedAwayByAFullListenerIsToldWhyEvenWhenItsHelloMeetsTheReset() throws Exception {
        NodeConfig.Builder config = NodeConfig.builder().maxInboundConnections(1).name("full-" + System.nanoTime());
        List<Event> events = new CopyOnWriteArrayList<>();
        // more hello than the kernel buffers hold while the listener reads none of it: the write is still
        // blocked when the listener's REFUSE and then its reset arrive, so the write meets the reset first
        byte[] hello = new byte[8 << 20];
        try (Listener listener = new Listener(config); // its friend holds the only place
             Node sender = NodeConfig.builder().name("turned-away").hello(hello).drainTimeout(Duration.ZERO)
                     .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30), 0).onEvent(events::add).start()) {
            Peer peer = sender.connect(listener.address);
            Await.until(() -> failures(events, peer).size() >= 1, () -> "the connection ends: " + events);
            Failure first = failures(events, peer).get(0);
            assertEquals(DisconnectReason.HANDSHAKE_FAILED, first.reason(), () -> "refused, not reset: " + first);
            assertTrue(first.detail().contains("takes no more inbound connections (its maxInboundConnections)"), first.detail());
            Await.until(() -> listener.node.stats().inboundRefused() == 1, "the listener counted its refusal");
            listener.roundTrip(); // the friend is still served
        }
    }

    private record Failure(DisconnectReason reason, String detail) {
    }

    /** The reasons connections to {@code peer} ended, in order: failed handshakes and ended connections alike. */
    private static List<Failure> failures(List<Event> events, Peer peer) {
        List<Failure> out = new ArrayList<>();
        for (Event e : events) {
            if (e instanceof Event.ConnectFailed f && f.peer().id() == peer.id()) {
                out.add(new Failure(f.reason(), f.detail()));
            } else if (e instanceof Event.Disconnected d && d.peer().id() == peer.id()) {
                out.add(new Failure(d.reason(), d.detail()));
            }
        }
        return out;
    }

    /** Connects and reads until the listener closes the connection; its reset may even beat the connect's return. */
    private static boolean refused(InetSocketAddress address) throws IOException {
        Socket s;
        try {
            s = open(address);
        } catch (java.net.SocketException resetBeforeConnectReturned) {
            return resetBeforeConnectReturned.getMessage().contains("reset");
        }
        try (s) {
            return closedByPeer(s);
        }
    }

    private static List<String> refusalWarnings(int mark) {
        return CapturingLogs.since(mark).stream()
                .filter(l -> l.level() == CapturingLogs.Level.WARN && l.message().contains("inbound connection(s)"))
                .map(CapturingLogs.Line::message).toList();
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    // ------------------------------------------------------------------ fixtures

    /**
     * A listening node and a friendly tether node connected to it, with what the listener saw per remote port.
     * Frames of 16 bytes from the friend are its numbered round trips; anything else is recorded by port.
     */
    static final class Listener implements AutoCloseable {
        private static final long FRIEND_ID = 1;
        final Node node;
        final InetSocketAddress address;
        final Node friendNode;
        final Peer friend;
        final int maxFrameSize;
        final Map<Integer, DisconnectReason> closed = new ConcurrentHashMap<>();
        final Map<Integer, String> details = new ConcurrentHashMap<>();
        final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
        final Map<Integer, AtomicInteger> data = new ConcurrentHashMap<>();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger largest = new AtomicInteger();
        final AtomicInteger disconnects = new AtomicInteger();
        final AtomicLong friendly = new AtomicLong();
        final AtomicInteger friendDisconnects = new AtomicInteger();
        final AtomicInteger peersClosed = new AtomicInteger();
        long friendlySent;

        Listener(NodeConfig.Builder config) throws IOException {
            NodeConfig c = config.drainTimeout(Duration.ZERO).build();
            maxFrameSize = c.maxFrameSize();
            node = c.toBuilder()
                    .onMessage((peer, payload, sentAt) -> {
                        if (payload.remaining() == 16) {
                            friendly.incrementAndGet();
                        } else {
                            data.computeIfAbsent(peer.remoteAddress().getPort(), p -> new AtomicInteger()).incrementAndGet();
                            if (payload.remaining() == maxFrameSize) {
                                largest.incrementAndGet();
                            }
                        }
                    })
                    .onEvent(e -> {
                        switch (e) {
                            case Event.Accepted a -> {
                                peers.put(a.remoteAddress().getPort(), a.peer());
                                accepted.incrementAndGet();
                            }
                            case Event.Disconnected d -> {
                                details.put(d.peer().remoteAddress().getPort(), d.detail());
                                closed.put(d.peer().remoteAddress().getPort(), d.reason());
                                disconnects.incrementAndGet();
                            }
                            case Event.ConnectFailed f when f.peer().direction() == Direction.INBOUND -> { // a failed handshake
                                details.put(f.peer().remoteAddress().getPort(), f.detail());
                                closed.put(f.peer().remoteAddress().getPort(), f.reason());
                                disconnects.incrementAndGet();
                            }
                            case Event.PeerClosed closedPeer -> peersClosed.incrementAndGet();
                            default -> { }
                        }
                    })
                    .start();
            address = node.listen(loopback0());
            friendNode = NodeConfig.builder().name("friend").drainTimeout(Duration.ZERO).delivery(c.delivery())
                    .maxFrameSize(c.maxFrameSize())
                    .onEvent(e -> {
                        if (e instanceof Event.Disconnected d && d.peer().id() == FRIEND_ID) {
                            friendDisconnects.incrementAndGet();
                        }
                    }).start();
            friend = friendNode.connect(address);
            assertEquals(FRIEND_ID, friend.id(), "the friend node's first peer");
            roundTrip();
        }

        void roundTrip() {
            long n = ++friendlySent;
            assertEquals(SendResult.ACCEPTED, friend.send(new byte[16]));
            Await.until(Duration.ofSeconds(10), () -> friendly.get() >= n, () -> "the listener serves its friend: frame " + n);
        }

        /** A raw connection that declares the largest frame and sends 60% of it, all read by the listener. */
        Socket halfFrame() throws IOException {
            Socket s = open(address);
            s.getOutputStream().write(header(maxFrameSize, 0));
            s.getOutputStream().write(new byte[maxFrameSize * 3 / 5]);
            if (KernelQueues.supported()) { // the listener has read it all, so its buffer has grown
                Await.until(() -> KernelQueues.unreadOnLocalPort(address.getPort()).bytes() == 0,
                        () -> "the listener read the partial frame: " + KernelQueues.unreadOnLocalPort(address.getPort()));
            }
            return s;
        }

        /**
         * A raw connection sends one whole frame of the largest size, which arrives only if no byte of the
         * budget is held, then ends; returns once the listener has seen it end (its buffer given back).
         */
        void probe() throws IOException {
            Socket s = open(address);
            s.getOutputStream().write(header(maxFrameSize, 0));
            s.getOutputStream().write(new byte[maxFrameSize]);
            Await.until(() -> dataFrom(s) == 1 || closed.containsKey(s.getLocalPort()),
                    () -> "the probe's frame of " + maxFrameSize + " bytes");
            assertEquals(1, dataFrom(s), () -> "the budget was all free: " + details.get(s.getLocalPort()));
            s.close();
            assertEquals(DisconnectReason.PEER_CLOSED, awaitClosed(s));
        }

        /** The same from a tether node of its own, for a listener in acknowledged mode (a raw socket cannot pass its handshake). */
        void tetherProbe() {
            int before = largest.get();
            int ended = disconnects.get();
            try (Node prober = NodeConfig.builder().name("prober").delivery(node.config().delivery())
                    .maxFrameSize(maxFrameSize).drainTimeout(Duration.ZERO).start()) {
                Peer p = prober.connect(address);
                assertEquals(SendResult.ACCEPTED, p.send(new byte[maxFrameSize]));
                Await.until(() -> largest.get() == before + 1 || disconnects.get() > ended,
                        () -> "the prober's frame of " + maxFrameSize + " bytes");
                assertEquals(before + 1, largest.get(), () -> "the budget was all free: " + details);
                Await.until(() -> p.queuedFrames() == 0, "acknowledged"); // so closing drops nothing
            }
            Await.until(() -> disconnects.get() == ended + 1, "the listener saw the prober go");
        }

        Peer peerOf(Socket s) {
            Await.until(() -> peers.containsKey(s.getLocalPort()), "accepted");
            return peers.get(s.getLocalPort());
        }

        DisconnectReason awaitClosed(Socket s) {
            Await.until(Duration.ofSeconds(10), () -> closed.containsKey(s.getLocalPort()),
                    () -> "a Disconnected event for the connection from port " + s.getLocalPort());
            return closed.get(s.getLocalPort());
        }

        int dataFrom(Socket s) {
            return dataFrom(s.getLocalPort());
        }

        int dataFrom(int port) {
            AtomicInteger n = data.get(port);
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() {
            friendNode.closeNow();
            node.closeNow();
        }
    }

    /** What the friend got back from the echo node: numbered small frames, and digests of big ones. */
    static final class Replies {
        final AtomicLong echoed = new AtomicLong();
        final List<ByteBuffer> digests = new CopyOnWriteArrayList<>();
        final AtomicInteger friendDisconnects = new AtomicInteger();
        long sent;

        void add(Peer peer, ByteBuffer payload, long sentAt) {
            if (payload.remaining() == 16) {
                long n = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position());
                echoed.compareAndSet(n - 1, n); // in order, or not counted
            } else {
                ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                digests.add(copy.put(payload).flip());
            }
        }

        void event(Event e) {
            if (e instanceof Event.Disconnected) {
                friendDisconnects.incrementAndGet();
            }
        }

        void roundTrip(Peer friend) {
            long n = ++sent;
            assertEquals(SendResult.ACCEPTED, friend.send(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(n).putLong(0).flip()));
            Await.until(Duration.ofSeconds(10), () -> echoed.get() >= n, () -> "the echo node answers frame " + n);
        }

        void bigRoundTrip(Peer friend, byte[] payload) {
            int before = digests.size();
            assertEquals(SendResult.ACCEPTED, friend.send(payload));
            Await.until(Duration.ofSeconds(20), () -> digests.size() > before || friendDisconnects.get() > 0,
                    () -> "the echo node's digest of a frame of " + payload.length + " bytes");
            assertEquals(0, friendDisconnects.get(), "the friend was not cut off");
            CRC32 crc = new CRC32();
            crc.update(payload);
            ByteBuffer digest = digests.get(before);
            assertEquals(payload.length, digest.getInt(0));
            assertEquals(crc.getValue(), digest.getLong(4));
        }
    }

    /** {@link EchoNode} in a JVM of its own: standard output collected line by line, ended by closing its input. */
    static final class Child implements AutoCloseable {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread pump;
        private final int port;
        private final long budget;
        private final long maxMemory;

        private Child(String heap) throws IOException {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                    "-XX:+ExitOnOutOfMemoryError", "-cp", classPath(), EchoNode.class.getName());
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            pump = Thread.ofVirtual().name("child-output").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ended) {
                    // the child is gone
                }
            });
            Await.until(Duration.ofSeconds(30), () -> line("listening ") != null || !process.isAlive(),
                    () -> "the child listens: " + output());
            Matcher m = Pattern.compile("listening (\\d+) budget (\\d+) maxMemory (\\d+)").matcher(String.valueOf(line("listening ")));
            assertTrue(m.find(), output());
            port = Integer.parseInt(m.group(1));
            budget = Long.parseLong(m.group(2));
            maxMemory = Long.parseLong(m.group(3));
        }

        /** This JVM's class path, and its module path if the tests run on one: the child needs both, on its class path. */
        private static String classPath() {
            String modules = System.getProperty("jdk.module.path");
            String classes = System.getProperty("java.class.path");
            return modules == null || modules.isEmpty() ? classes : modules + java.io.File.pathSeparator + classes;
        }

        static Child start(String heap) throws IOException {
            return new Child(heap);
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        }

        long budget() {
            return budget;
        }

        long maxMemory() {
            return maxMemory;
        }

        String line(String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
        }

        int count(String prefix) {
            return (int) lines.stream().filter(l -> l.startsWith(prefix)).count();
        }

        String output() {
            return String.join("\n", lines);
        }

        boolean alive() {
            return process.isAlive();
        }

        /** The reason each ended connection was given, by its remote port. */
        Map<Integer, String> endedPorts() {
            Map<Integer, String> ended = new java.util.HashMap<>();
            Pattern p = Pattern.compile("^disconnected (\\S+) (\\d+) ");
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    ended.put(Integer.parseInt(m.group(2)), m.group(1));
                }
            }
            return ended;
        }

        /** Ends the child the way it expects, checks it was alive to the end and exits 0; returns its summary line. */
        String finish() throws Exception {
            assertTrue(process.isAlive(), () -> "the child is alive: " + output());
            process.getOutputStream().close();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), () -> "the child ends once its input does: " + output());
            pump.join();
            assertEquals(0, process.exitValue(), this::output);
            return String.valueOf(line("peakHeap "));
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
