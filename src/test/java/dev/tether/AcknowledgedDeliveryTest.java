package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.FrameCodec;
import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.SeqRecorder;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AcknowledgedDeliveryTest {
    static final long SEED = Long.getLong("tether.test.seed", System.nanoTime());

    static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    static NodeConfig.Builder node(String name, Delivery delivery) {
        return NodeConfig.builder().name(name).delivery(delivery)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50), 0.5)
                .handshakeTimeout(Duration.ofSeconds(2));
    }

    /** What one run saw at each receiver. */
    record Outcome(Delivery delivery, List<String> receivers, long missing, long duplicates, long reordered, long corrupt, int faults,
                   long droppedBytes, int slabsInUse, int slabsAllocated) { }

    /** Streams {@code frames} numbered frames to four receivers, each behind a fault proxy, while faults hit the proxies. */
    static Outcome stream(Delivery delivery, long seed, int frames, int faults) throws Exception {
        return stream(delivery, seed, frames, faults, 16);
    }

    /** The same with payloads of {@code payloadBytes} bytes, each byte after the number checked at the receivers. */
    static Outcome stream(Delivery delivery, long seed, int frames, int faults, int payloadBytes) throws Exception {
        Random random = new Random(seed);
        List<SeqRecorder> recorders = new ArrayList<>();
        List<Node> receivers = new ArrayList<>();
        List<FaultProxy> proxies = new ArrayList<>();
        List<String> log = new ArrayList<>();
        try (Node sender = node("sender", delivery).backlogLimits(BacklogLimits.ofFrames(frames + 10)).start()) {
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                SeqRecorder r = new SeqRecorder();
                recorders.add(r);
                Node receiver = node("receiver" + i, delivery).onMessage(r).start();
                receivers.add(receiver);
                FaultProxy proxy = new FaultProxy(receiver.listen(loopback0()));
                proxies.add(proxy);
                peers.add(sender.connect(proxy.address()));
            }
            AtomicLong sent = new AtomicLong();
            Thread producer = Thread.ofVirtual().start(() -> {
                ByteBuffer payload = ByteBuffer.allocate(payloadBytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < frames; i++) {
                    sender.broadcast(SeqRecorder.numbered(payload, i));
                    sent.incrementAndGet();
                    if ((i & 1023) == 0) { // keep the faults spread over the stream: do not run far ahead of the slowest peer
                        Await.until(Duration.ofSeconds(60), () -> peers.stream().allMatch(p -> p.queuedFrames() < 20_000), () -> "progress");
                    }
                }
            });
            for (int k = 0; k < faults; k++) {
                long at = (long) frames * (k + 1) / (faults + 1);
                Await.until(Duration.ofSeconds(60), () -> sent.get() >= at, () -> "sender reaches " + at);
                int which = random.nextInt(proxies.size());
                FaultProxy proxy = proxies.get(which);
                int kind = random.nextInt(4);
                String what = switch (kind) {
                    case 0 -> "cut";
                    case 1 -> "reset";
                    case 2 -> "stall";
                    default -> "drop-buffered-and-cut";
                };
                log.add("fault " + k + " at frame " + at + ": " + what + " proxy " + which);
                switch (kind) {
                    case 0 -> proxy.cut();
                    case 1 -> proxy.reset();
                    case 2 -> {
                        proxy.stall();
                        long until = System.nanoTime() + 20_000_000L + random.nextInt(80) * 1_000_000L;
                        Await.until(() -> System.nanoTime() - until > 0, "stall time");
                        proxy.resume();
                    }
                    default -> {
                        proxy.stall(); // let data pile up inside the proxy, then lose it with the connection
                        long until = System.nanoTime() + 10_000_000L;
                        Await.until(() -> System.nanoTime() - until > 0, "pile-up time");
                        proxy.dropBufferedAndCut();
                        proxy.resume();
                    }
                }
            }
            producer.join();
            proxies.forEach(FaultProxy::resume);
            // Markers after the last fault: once one arrives everywhere, everything that can arrive has. In plain mode a
            // marker itself can die in a connection whose cut tether has not noticed yet, so a fresh one (a new number,
            // never a repeat) follows every 100 ms until each receiver has one.
            Await.until(Duration.ofSeconds(30), () -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED), () -> "reconnected: " + peers);
            ByteBuffer marker = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            long[] next = {frames, 0};
            Await.until(Duration.ofSeconds(60), () -> {
                if (recorders.stream().allMatch(r -> r.last() >= frames)) {
                    return true;
                }
                if (System.nanoTime() - next[1] > 100_000_000L) {
                    SeqRecorder.numbered(marker, next[0]++);
                    sender.broadcast(marker);
                    next[1] = System.nanoTime();
                }
                return false;
            }, () -> "a marker at every receiver: " + recorders + " seed " + seed + "\n" + String.join("\n", log));
            if (delivery == Delivery.ACKNOWLEDGED) {
                for (Peer p : peers) {
                    assertTrue(p.awaitFlushed(Duration.ofSeconds(10)), "every frame acknowledged: " + p.stats());
                }
            }
            Await.until(() -> peers.stream().allMatch(p -> p.queuedFrames() == 0), () -> "every backlog written: " + peers);
            long missing = 0;
            long duplicates = 0;
            long reordered = 0;
            long corrupt = 0;
            List<String> seen = new ArrayList<>();
            for (SeqRecorder r : recorders) {
                missing += r.missing(frames);
                duplicates += r.duplicates();
                reordered += r.reordered();
                corrupt += r.corrupt();
                seen.add(r.toString());
            }
            long dropped = proxies.stream().mapToLong(FaultProxy::droppedBytes).sum();
            System.out.println(delivery + " run, seed " + seed + ": " + faults + " faults, " + dropped + " bytes dropped in flight, missing "
                    + missing + ", duplicates " + duplicates + ", reordered " + reordered);
            return new Outcome(delivery, seen, missing, duplicates, reordered, corrupt, faults, dropped,
                    Internals.slabsInUse(sender), Internals.slabsAllocated(sender));
        } finally {
            proxies.forEach(FaultProxy::close);
            receivers.forEach(Node::closeNow);
        }
    }

    @Test
    void everyFrameReachesEveryHandlerExactlyOnceAndInOrderThroughCutsResetsStallsAndLostBuffers() throws Exception {
        int frames = 200_000;
        Outcome acked = stream(Delivery.ACKNOWLEDGED, SEED, frames, 36);
        assertEquals(0, acked.duplicates(), "seed " + SEED + ": " + acked);
        assertEquals(0, acked.reordered(), "seed " + SEED + ": " + acked);
        assertEquals(0, acked.missing(), "seed " + SEED + ": " + acked);

        Outcome plain = stream(Delivery.PLAIN, SEED, frames, 36); // the same faults without acknowledgements
        assertEquals(0, plain.duplicates(), "plain mode never duplicates either; seed " + SEED + ": " + plain);
        assertEquals(0, plain.reordered(), "seed " + SEED + ": " + plain);
        if (plain.droppedBytes() > 1000) {
            assertTrue(plain.missing() > 0, "frames lost in flight stay lost in plain mode: " + plain);
        }
    }

    /**
     * Payloads of 1 KiB are encoded into slabs of direct memory shared by every writer: through cuts, resets
     * and lost buffers none is written from a slab reused too early (the tests poison a reused slab), none is
     * duplicated or lost (acknowledged mode), and once everything is written no slab is held by anything.
     */
    @Test
    void framesSharedFromSlabMemoryReachEveryHandlerExactlyOnceAndIntactThroughFaultsAndEverySlabIsFreeAfter() throws Exception {
        int frames = 40_000;
        Outcome acked = stream(Delivery.ACKNOWLEDGED, SEED, frames, 16, 1024);
        String context = "seed " + SEED + ": " + acked;
        assertEquals(0, acked.duplicates(), context);
        assertEquals(0, acked.reordered(), context);
        assertEquals(0, acked.missing(), context);
        assertEquals(0, acked.corrupt(), "every byte as sent: " + context);
        assertTrue(acked.slabsAllocated() > 1, "the frames went through slabs, and slabs were reused: " + context);
        assertEquals(0, acked.slabsInUse(), "nothing holds a slab once every frame is acknowledged: " + context);

        Outcome plain = stream(Delivery.PLAIN, SEED, frames, 16, 1024);
        context = "plain, seed " + SEED + ": " + plain;
        assertEquals(0, plain.duplicates(), context);
        assertEquals(0, plain.reordered(), context);
        assertEquals(0, plain.corrupt(), "every byte as sent: " + context);
        assertEquals(0, plain.slabsInUse(), "nothing holds a slab once every frame is written: " + context);
    }

    @Test
    void aFastReceiverAcknowledgingABatchStillBeingWrittenDoesNotBreakTheConnection() throws Exception {
        // the receiver may acknowledge frames before the writer's write call has even returned
        List<Event> events = new CopyOnWriteArrayList<>();
        SeqRecorder recorder = new SeqRecorder();
        int frames = 1_000_000;
        try (Node receiver = node("receiver", Delivery.ACKNOWLEDGED).onMessage(recorder).start();
             Node sender = node("sender", Delivery.ACKNOWLEDGED).onEvent(events::add).start()) {
            Peer peer = sender.connect(receiver.listen(loopback0()));
            ByteBuffer payload = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < frames; i++) {
                payload.putLong(0, i);
                peer.send(payload, Duration.ofSeconds(30));
            }
            assertTrue(peer.awaitFlushed(Duration.ofSeconds(60)), peer.stats().toString());
            Await.until(() -> recorder.has(frames - 1), () -> "all delivered: " + recorder);
            assertEquals(List.of(), events.stream().filter(e -> e instanceof Event.Disconnected).toList(),
                    "one connection from start to end");
            assertEquals(frames, recorder.distinct());
        }
    }

    @Test
    void aReceiverThatRestartsGetsEveryUnacknowledgedFrameAgainInOrderWithNoGap() throws Exception {
        int frames = 50_000;
        SeqRecorder before = new SeqRecorder();
        SeqRecorder after = new SeqRecorder();
        // the first receiver acknowledges nothing before it dies, so everything it delivered comes again
        Node first = node("receiver", Delivery.ACKNOWLEDGED).onMessage(before).ackBatching(500_000, Duration.ofMinutes(1)).start();
        InetSocketAddress address = first.listen(loopback0());
        try (FaultProxy proxy = new FaultProxy(address);
             Node sender = node("sender", Delivery.ACKNOWLEDGED).start()) {
            Peer peer = sender.connect(proxy.address());
            ByteBuffer payload = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < frames / 2; i++) {
                payload.putLong(0, i);
                peer.send(payload);
            }
            Await.until(() -> before.last() >= frames / 2 - 1, "first half delivered");
            proxy.stall();               // a crash: whatever the receiver says from now on never reaches the sender
            first.closeNow();
            proxy.dropBufferedAndCut();
            proxy.resume();
            try (Node second = node("receiver", Delivery.ACKNOWLEDGED).onMessage(after).start()) {
                second.listen(address);  // a new process on the same port, with no memory of the stream
                for (int i = frames / 2; i < frames; i++) {
                    payload.putLong(0, i);
                    peer.send(payload);
                }
                Await.until(() -> after.has(frames - 1), () -> "all delivered to the new receiver: " + after);
                assertTrue(peer.awaitFlushed(Duration.ofSeconds(10)), peer.stats().toString());
                assertEquals(0, after.duplicates(), after.toString());
                assertEquals(0, after.reordered(), after.toString());
                assertEquals(0, after.first(), "every unacknowledged frame comes again, from the oldest: " + after);
                assertEquals(frames, after.distinct(), "contiguous to the last, no gap: " + after);
                assertEquals(frames / 2, before.distinct(), "the first receiver had delivered the first half: at-least-once");
            }
        }
    }

    @Test
    void anAcknowledgingNodeAndAPlainNodeRefuseEachOtherWithAReasonInsteadOfHanging() throws Exception {
        List<Event> ackEvents = new CopyOnWriteArrayList<>();
        List<Event> plainEvents = new CopyOnWriteArrayList<>();
        try (Node plain = node("plain", Delivery.PLAIN).onEvent(plainEvents::add).drainTimeout(Duration.ZERO).start();
             Node acked = node("acked", Delivery.ACKNOWLEDGED).onEvent(ackEvents::add).drainTimeout(Duration.ZERO).start()) {
            Peer toPlain = acked.connect(plain.listen(loopback0()));
            toPlain.send(new byte[] {1});
            Await.until(() -> ackEvents.stream().anyMatch(e -> e instanceof Event.ConnectFailed f && f.reason() == DisconnectReason.HANDSHAKE_FAILED),
                    () -> "the acknowledging side refuses: " + ackEvents);
            Await.until(() -> plainEvents.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.HANDSHAKE_FAILED
                    && d.detail().contains("acknowledged")), () -> "the plain side says why: " + plainEvents);
            assertEquals(1, toPlain.queuedFrames(), "nothing is delivered over a refused connection");

            Peer toAcked = plain.connect(acked.listen(loopback0()));
            toAcked.send(new byte[] {2});
            Await.until(() -> ackEvents.stream().anyMatch(e -> e instanceof Event.ConnectFailed d && d.peer().direction() == Direction.INBOUND
                    && d.reason() == DisconnectReason.HANDSHAKE_FAILED && d.detail().contains("plain")),
                    () -> "a plain client is refused by the acknowledging listener: " + ackEvents);
            Await.until(() -> toAcked.stats().lastFailure().filter(f -> f.refused() && f.detail().contains("acknowledged")).isPresent(),
                    () -> "the plain client learns it was refused, and why: " + toAcked.stats());
            assertEquals(1, toAcked.queuedFrames(), "what it wrote to the refusing listener stays queued");
            assertEquals(0, toAcked.stats().framesWritten(), "and is not counted as written");
        }
    }

    /**
     * A listener that turned acknowledging says so (its HELLO) and resets the connection at once. If our
     * writer meets the reset before our reader has read the HELLO (here the reader is held in the message
     * handler), the connection must still end as refused, and what we wrote must stay queued, not count as
     * written: before, the writer's "connection reset" won and the frames counted as written, unconfirmed.
     */
    @Test
    void aRefusalReadAfterTheWriterMetTheResetStillCountsAsARefusal() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch inHandler = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch resetSent = new java.util.concurrent.CountDownLatch(1);
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node plain = node("plain", Delivery.PLAIN).handshakeTimeout(Duration.ofSeconds(30)).drainTimeout(Duration.ZERO)
                     .onEvent(events::add)
                     .onMessage((peer, payload, sentAt) -> {
                         inHandler.countDown();
                         try {
                             release.await(30, java.util.concurrent.TimeUnit.SECONDS); // the reader stays here
                         } catch (InterruptedException e) {
                             Thread.currentThread().interrupt();
                         }
                     }).start()) {
            try { // the handler lets go before the node closes, also when an assertion fails
                Thread fake = Thread.ofVirtual().start(() -> {
                    try (Socket first = listener.accept()) { // a tether listener: takes the stream, then goes away
                        first.getOutputStream().write(toArray(FrameCodec.marker(FrameCodec.MARK_ACCEPT, 42)));
                        first.getInputStream().read(new byte[64]);
                    } catch (IOException e) {
                        return;
                    }
                    try (Socket second = listener.accept()) { // back, acknowledging now: one frame of its own, its HELLO, a reset
                        ByteBuffer said = ByteBuffer.allocate(13 + 12 + FrameCodec.HELLO_BODY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                        said.putInt(1).putLong(FrameCodec.epochNanos()).put((byte) 7).put(hello(FrameCodec.PROTOCOL_VERSION, 5, 1));
                        second.getOutputStream().write(said.array());
                        inHandler.await(30, java.util.concurrent.TimeUnit.SECONDS);
                        second.setSoLinger(true, 0);
                    } catch (IOException | InterruptedException e) {
                        return;
                    } finally {
                        resetSent.countDown();
                    }
                });
                Peer peer = plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
                peer.send(new byte[] {1});
                Await.until(() -> peer.stats().framesWritten() == 1, () -> "the first listener took the first frame: " + peer.stats());
                assertTrue(inHandler.await(30, java.util.concurrent.TimeUnit.SECONDS), "the reader is in the handler: " + events);
                assertTrue(resetSent.await(30, java.util.concurrent.TimeUnit.SECONDS), "the listener reset the connection");
                long[] sent = {0};
                Await.until(() -> {
                    if (Internals.writerWaitsOrEnded(peer)) {
                        return true;
                    }
                    if (sent[0] < 1_000) {
                        peer.send(new byte[] {2}); // until the writer meets the reset
                        sent[0]++;
                    }
                    return false;
                }, () -> "the writer met the reset, " + sent[0] + " frames sent: " + peer.stats());
                release.countDown();
                Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.HANDSHAKE_FAILED),
                        () -> "the connection ends as refused: " + events);
                Event.Disconnected d = events.stream().filter(e -> e instanceof Event.Disconnected x && x.reason() == DisconnectReason.HANDSHAKE_FAILED)
                        .map(Event.Disconnected.class::cast).findFirst().orElseThrow();
                assertTrue(d.detail().contains("requires acknowledged delivery"), d.detail());
                assertEquals(1, peer.stats().framesWritten(), "only the first listener's frame counts as written: " + peer.stats());
                assertEquals(0, peer.stats().framesUnconfirmed(), "nothing counts as written unconfirmed: " + peer.stats());
                assertEquals(sent[0], peer.queuedFrames(), "what went to the refusing listener is queued again: " + peer.stats());
                listener.close();
                fake.join(Duration.ofSeconds(10));
            } finally {
                release.countDown();
            }
        }
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void aListenerThatResetsTheFirstConnectionAtOnceIsNotTakenForAForeignReceiverSoItsLaterRefusalSendsFramesBack() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node plain = node("plain", Delivery.PLAIN).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(50), 0)
                     .drainTimeout(Duration.ZERO).onEvent(events::add).start()) {
            Peer peer = plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
            try (Socket first = listener.accept()) { // gone soon, without a word: that says nothing of what listens here
                Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Connected), () -> "connected: " + events);
                first.setSoLinger(true, 0);
            }
            Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Disconnected), () -> "the first connection ended: " + events);
            assertEquals(SendResult.ACCEPTED, peer.send(new byte[] {1}));
            try (Socket second = listener.accept()) { // a tether listener that takes our frame into its kernel, then refuses
                assertEquals(1 + FrameCodec.HEADER_BYTES, second.getInputStream().readNBytes(1 + FrameCodec.HEADER_BYTES).length);
                second.getOutputStream().write(toArray(FrameCodec.marker(FrameCodec.MARK_REFUSE, FrameCodec.REFUSE_FULL)));
                Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.HANDSHAKE_FAILED),
                        () -> "the refusal ends the second connection: " + events);
                second.setSoLinger(true, 0);
            }
            listener.close();
            assertEquals(0, peer.stats().framesWritten(), () -> "the refused frame is not counted as written: " + peer.stats());
            assertEquals(0, peer.stats().framesUnconfirmed(), () -> "nor as written unconfirmed: " + peer.stats());
            assertEquals(1, peer.queuedFrames(), () -> "it is queued again: " + peer.stats());
        }
    }

    @Test
    void aListenerThatReadsNothingOfALargeHelloIsCutAfterHandshakeTimeoutAsAHandshakeThatDidNotFinish() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        byte[] hello = new byte[8 << 20]; // more than the kernel buffers hold while nothing is read
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node plain = node("plain", Delivery.PLAIN).hello(hello).handshakeTimeout(Duration.ofMillis(500))
                     .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30), 0)
                     .drainTimeout(Duration.ZERO).onEvent(events::add).start()) {
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
            try (Socket silent = listener.accept()) { // accepts, and never reads or closes
                Await.until(Duration.ofSeconds(20), () -> events.stream().anyMatch(e -> e instanceof Event.Disconnected),
                        () -> "the connection is cut: " + events);
                Event.Disconnected d = events.stream().filter(e -> e instanceof Event.Disconnected)
                        .map(Event.Disconnected.class::cast).findFirst().orElseThrow();
                assertEquals(DisconnectReason.HANDSHAKE_FAILED, d.reason(), d::toString);
                assertTrue(d.detail().contains("did not take our first") && d.detail().contains("within handshakeTimeout PT0.5S"), d.detail());
            }
        }
    }

    @Test
    void anUnknownProtocolVersionIsRefusedWithBothVersionsInTheReason() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node acked = node("acked", Delivery.ACKNOWLEDGED).onEvent(events::add).start()) {
            InetSocketAddress bound = acked.listen(loopback0());
            try (Socket raw = new Socket(bound.getAddress(), bound.getPort())) {
                raw.getOutputStream().write(hello(99, 77L, 1L));
                DataInputStream in = new DataInputStream(raw.getInputStream());
                byte[] theirs = new byte[12 + FrameCodec.HELLO_BODY_BYTES];
                in.readFully(theirs);
                ByteBuffer b = ByteBuffer.wrap(theirs).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(FrameCodec.CONTROL_BIT | FrameCodec.HELLO, b.getInt(0), "the node says hello first");
                assertEquals(FrameCodec.PROTOCOL_VERSION, Short.toUnsignedInt(b.getShort(16)), "with its own version");
                assertEquals(-1, in.read(), "then closes");
            }
            Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.ConnectFailed d && d.reason() == DisconnectReason.HANDSHAKE_FAILED
                    && d.detail().contains("version 99") && d.detail().contains("version 1")), () -> "reason names both versions: " + events);
        }
    }

    @Test
    void aPeerThatNeverAcknowledgesFillsItsBacklogToTheBoundAndIsDisconnectedAsASlowConsumer() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node acked = node("acked", Delivery.ACKNOWLEDGED).backlogLimits(BacklogLimits.ofFrames(2000))
                     .overflowTimeout(Duration.ofMillis(300)).onEvent(events::add).drainTimeout(Duration.ZERO).start()) {
            AtomicLong framesSeen = new AtomicLong();
            Thread server = Thread.ofVirtual().start(() -> neverAcknowledge(silent, framesSeen));
            Peer peer = acked.connect(new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort()));
            int accepted = 0;
            for (int i = 0; i < 3000; i++) {
                if (peer.send(new byte[] {1, 2, 3}) == SendResult.ACCEPTED) {
                    accepted++;
                }
            }
            assertEquals(2000, accepted, "unacknowledged frames count against the bound");
            assertEquals(1000, peer.stats().droppedBacklogFull());
            Await.until(() -> peer.stats().unackedFrames() == 2000, () -> "all written, none acknowledged: " + peer.stats());
            for (int i = 0; i < 10; i++) { // still full: the overflow clock runs
                assertEquals(SendResult.BACKLOG_FULL, peer.send(new byte[] {1}));
            }
            Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.SLOW_CONSUMER),
                    () -> "disconnected as a slow consumer: " + events);
            Await.until(() -> framesSeen.get() >= 4000, () -> "the unacknowledged frames are sent again on the next connection: " + framesSeen.get());
            silent.close();
            server.join(Duration.ofSeconds(10));
        }
    }

    static byte[] hello(int version, long session, long stream) {
        ByteBuffer b = ByteBuffer.allocate(12 + FrameCodec.HELLO_BODY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        FrameCodec.putHello(b, version, FrameCodec.FLAG_ACKNOWLEDGED | FrameCodec.FLAG_RESUMABLE, session, stream);
        return b.array();
    }

    /** Speaks the handshake, then reads data frames forever without acknowledging any. */
    private static void neverAcknowledge(ServerSocket server, AtomicLong frames) {
        List<Socket> open = new ArrayList<>();
        try {
            while (true) {
                Socket s = server.accept();
                open.add(s);
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        DataInputStream data = new DataInputStream(in);
                        data.readFully(new byte[12 + FrameCodec.HELLO_BODY_BYTES]);
                        out.write(hello(FrameCodec.PROTOCOL_VERSION, 5L, 5L));
                        ByteBuffer resume = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
                        FrameCodec.putControl(resume, FrameCodec.RESUME, 0);
                        FrameCodec.putControl(resume, FrameCodec.START, 1); // every end says where its own stream starts
                        out.write(resume.array());
                        byte[] header = new byte[12];
                        data.readFully(header); // their RESUME
                        while (true) {
                            data.readFully(header);
                            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                            int word = h.getInt(0);
                            if ((word & FrameCodec.CONTROL_BIT) == 0) {
                                data.readFully(new byte[word]);
                                frames.incrementAndGet();
                            }
                        }
                    } catch (IOException e) {
                        // the node disconnected us
                    }
                });
            }
        } catch (IOException e) {
            open.forEach(s -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            });
        }
    }
}
