package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.CapturingLogs;
import dev.tether.testing.FaultProxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * What a restarted receiver gets for each answer its {@link ResumePositions} can give, in one process: the
 * receiver node is closed and a new node (knowing nothing) listens on the same port, as after a restart.
 * <ul>
 *   <li>the answer is what it processed: every frame after it, once;</li>
 *   <li>an answer behind what it processed, while the sender still holds the frames after it (they were
 *       never acknowledged): those frames are delivered again, in order, with their numbers, and nothing
 *       is counted missed. Only the application can tell they are repeats (by their numbers);</li>
 *   <li>an answer behind what the sender already released (acknowledged, so dropped from its backlog):
 *       the frames in between cannot be had; they are counted in framesMissed and logged at WARN,
 *       "resumed with a gap", and delivery goes on after them;</li>
 *   <li>an exception instead of an answer: that handshake fails (the receiver's WARN line names the
 *       exception) and the sender tries again.</li>
 * </ul>
 */
class ResumePositionsTest {
    static final int BATCH = 1_000;

    /** One frame as the handler saw it. */
    record Delivered(StreamId stream, long sequence, long payloadNumber) { }

    static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    static NodeConfig.Builder acknowledged(String name, List<Delivered> into) {
        return NodeConfig.builder().name(name).delivery(Delivery.ACKNOWLEDGED)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50), 0.5)
                .onSequencedMessage((peer, payload, sentAt, stream, sequence) -> {
                    if (sequence > 0) {
                        into.add(new Delivered(stream, sequence, payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position())));
                    }
                });
    }

    static void send(Peer peer, long from, int count) {
        ByteBuffer payload = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = from; i < from + count; i++) {
            assertEquals(SendResult.ACCEPTED, peer.send(payload.putLong(0, i)));
        }
    }

    static List<Long> sequences(List<Delivered> delivered) {
        return delivered.stream().map(Delivered::sequence).toList();
    }

    static List<Long> range(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    /** The receiver's first life: it listens, gets frames 1..BATCH, acknowledges them all, and is closed. */
    record FirstLife(InetSocketAddress at, Peer peer) { }

    static FirstLife firstLife(Node sender, List<Delivered> into) throws Exception {
        Node before = acknowledged("before", into).start();
        InetSocketAddress at = before.listen(loopback0());
        Peer peer = sender.connect(at);
        send(peer, 0, BATCH);
        Await.until(() -> peer.stats().framesAcknowledged() == BATCH, () -> "acknowledged, so released: " + peer.stats());
        before.close();
        return new FirstLife(at, peer);
    }

    static List<CapturingLogs.Line> gapWarnings(long mark) {
        return CapturingLogs.warningsSince(mark).stream()
                .filter(l -> l.level() == CapturingLogs.Level.WARN && l.message().contains("resumed with a gap")).toList();
    }

    @Test
    void anAnswerOfWhatWasProcessedResumesRightAfterIt() throws Exception {
        List<Delivered> first = new CopyOnWriteArrayList<>();
        List<Delivered> second = new CopyOnWriteArrayList<>();
        List<StreamId> asked = new CopyOnWriteArrayList<>();
        try (Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).start()) {
            FirstLife life = firstLife(sender, first);
            InetSocketAddress at = life.at();
            Peer peer = life.peer();
            assertEquals(range(1, BATCH), sequences(first));
            StreamId stream = first.get(0).stream();
            assertEquals(new StreamId(sender.sessionId(), peer.id()), stream, "the stream is the sender's session and its peer id");

            long mark = CapturingLogs.warningMark();
            try (Node after = acknowledged("after", second).resumeFrom(s -> {
                asked.add(s);
                return s.equals(stream) ? BATCH : 0;
            }).start()) {
                after.listen(at);
                send(peer, BATCH, BATCH);
                Await.until(() -> second.size() >= BATCH, () -> "the second batch arrives: " + second.size());
                assertEquals(range(BATCH + 1, 2L * BATCH), sequences(second));
                assertEquals(LongStream.range(BATCH, 2L * BATCH).boxed().toList(), second.stream().map(Delivered::payloadNumber).toList());
                assertEquals(List.of(stream), asked, "asked once, for the stream it did not know");
                assertEquals(0, after.stats().counters().framesMissed());
                assertEquals(List.of(), gapWarnings(mark));
            }
        }
    }

    @Test
    void anAnswerBehindWhatTheSenderStillHoldsGetsThoseFramesAgain() throws Exception {
        List<Delivered> first = new CopyOnWriteArrayList<>();
        List<Delivered> second = new CopyOnWriteArrayList<>();
        FaultProxy proxy = null;
        try (Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).start()) {
            // the first receiver acknowledges nothing while it runs, and its last acknowledgement (a node that closes
            // pays what it owes) dies in the proxy: the sender still holds every frame when the receiver is gone, as after a crash
            Node before = acknowledged("before", first).ackBatching(1_000_000, Duration.ofMinutes(10)).start();
            InetSocketAddress at = before.listen(loopback0());
            proxy = new FaultProxy(at);
            Peer peer = sender.connect(proxy.address());
            send(peer, 0, BATCH);
            Await.until(() -> first.size() == BATCH, () -> "delivered: " + first.size());
            proxy.stall();
            before.closeNow();
            proxy.dropBufferedAndCut();
            proxy.resume();
            Await.until(() -> peer.state() != PeerState.CONNECTED, () -> "the sender saw the connection end: " + peer.stats());
            assertEquals(0, peer.stats().framesAcknowledged(), "nothing was acknowledged: " + peer.stats());

            long mark = CapturingLogs.warningMark();
            try (Node after = acknowledged("after", second).resumeFrom(s -> 400).start()) {
                after.listen(at);
                Await.until(() -> second.size() >= BATCH - 400, () -> "the frames after 400 arrive again: " + second.size());
                send(peer, BATCH, 10);
                Await.until(() -> second.size() >= BATCH - 400 + 10, () -> "then the new ones: " + second.size());
                assertEquals(range(401, BATCH + 10), sequences(second), "401..1000 again (processed before, resent), then the new ones");
                assertEquals(0, after.stats().counters().framesMissed(), "nothing missing: the sender still had them");
                assertEquals(List.of(), gapWarnings(mark));
                Await.until(() -> peer.stats().framesAcknowledged() == BATCH + 10, () -> "all acknowledged: " + peer.stats());
            }
        } finally {
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    @Test
    void anAnswerBehindWhatTheSenderReleasedIsACountedReportedGap() throws Exception {
        List<Delivered> first = new CopyOnWriteArrayList<>();
        List<Delivered> second = new CopyOnWriteArrayList<>();
        try (Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).start()) {
            FirstLife life = firstLife(sender, first);
            InetSocketAddress at = life.at();
            Peer peer = life.peer();
            StreamId stream = first.get(0).stream();

            long mark = CapturingLogs.warningMark();
            try (Node after = acknowledged("after", second).resumeFrom(s -> 400).start()) { // an old position: 401..1000 are gone
                after.listen(at);
                send(peer, BATCH, BATCH);
                Await.until(() -> second.size() >= BATCH, () -> "the second batch arrives: " + second.size());
                assertEquals(range(BATCH + 1, 2L * BATCH), sequences(second), "delivery goes on after the gap, in order");
                assertEquals(BATCH - 400, after.stats().counters().framesMissed(), "401..1000 counted missed");
                List<CapturingLogs.Line> warnings = gapWarnings(mark);
                assertEquals(1, warnings.size(), () -> "one WARN line: " + CapturingLogs.warningsSince(mark));
                String text = warnings.get(0).message();
                assertTrue(text.contains(stream.toString()) && text.contains("401 to 1000") && text.contains("600 frames"), text);
            }
        }
    }

    @Test
    void aResumePositionsThatThrowsFailsTheHandshakeAndTheSenderRetriesUntilItAnswers() throws Exception {
        List<Delivered> got = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        List<Event> senderEvents = new CopyOnWriteArrayList<>();
        long mark = CapturingLogs.warningMark();
        try (Node receiver = acknowledged("receiver", got).resumeFrom(s -> {
                 if (asked.incrementAndGet() <= 2) {
                     throw new IllegalStateException("the position store is not ready");
                 }
                 return 0;
             }).start();
             Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).onEvent(senderEvents::add).start()) {
            Peer peer = sender.connect(receiver.listen(loopback0()));
            send(peer, 0, 10);
            Await.until(() -> got.size() == 10, () -> "delivered once the store answers: " + got.size() + ", asked " + asked.get()
                    + ", sender events " + senderEvents);
            assertEquals(range(1, 10), sequences(got));
            assertEquals(3, asked.get(), "asked on each attempt");
            assertTrue(senderEvents.stream().filter(e -> e instanceof Event.ConnectFailed).count() >= 2,
                    () -> "each failed handshake is a ConnectFailed at the sender: " + senderEvents);
            Await.until(() -> CapturingLogs.warningsSince(mark).stream().anyMatch(l -> l.message().contains("the position store is not ready")),
                    () -> "the receiver's log says why: " + CapturingLogs.warningsSince(mark)); // logged after the socket is aborted
        }
    }

    /** An answer past every frame the sender numbered (an application bug, a log from elsewhere): never a silent loss. */
    @Test
    void anAnswerAheadOfEverythingTheSenderNumberedIsNotSilent() throws Exception {
        List<Delivered> first = new CopyOnWriteArrayList<>();
        List<Delivered> second = new CopyOnWriteArrayList<>();
        List<Event> senderEvents = new CopyOnWriteArrayList<>();
        try (Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).onEvent(senderEvents::add).start()) {
            FirstLife life = firstLife(sender, first);
            InetSocketAddress at = life.at();
            Peer peer = life.peer();

            long mark = CapturingLogs.warningMark();
            try (Node after = acknowledged("after", second).resumeFrom(s -> 5 * BATCH).start()) { // a position this stream never reached
                after.listen(at);
                Await.until(() -> peer.stats().reconnects() >= 1 || senderEvents.stream().anyMatch(e -> e instanceof Event.ConnectFailed),
                        () -> "the sender tried again: " + peer.stats());
                send(peer, BATCH, BATCH); // frames 1001..2000: below the answer
                Await.until(Duration.ofSeconds(5), () -> second.size() == BATCH || after.stats().counters().framesMissed() > 0
                        || CapturingLogs.warningsSince(mark).stream().anyMatch(l -> l.message().contains(Long.toString(5 * BATCH))),
                        () -> "frames 1001..2000 are delivered, counted missed, or the answer is refused with a reason; got: "
                                + second.size() + " delivered, " + after.stats().counters() + ", sender " + peer.stats()
                                + ", warnings " + CapturingLogs.warningsSince(mark));
            }
        }
    }

    /** An answer past what was sent, though within what is queued: refused, and the queued frames stay queued. */
    @Test
    void anAnswerAheadOfWhatWasSentButWithinWhatIsQueuedIsRefusedAndLosesNothing() throws Exception {
        List<Delivered> second = new CopyOnWriteArrayList<>();
        try (Node sender = acknowledged("sender", new CopyOnWriteArrayList<>()).start()) {
            FirstLife life = firstLife(sender, new CopyOnWriteArrayList<>());
            InetSocketAddress at = life.at();
            Peer peer = life.peer();
            Await.until(() -> peer.state() != PeerState.CONNECTED, "the sender saw the receiver go");
            send(peer, BATCH, BATCH); // numbered 1001..2000 while the receiver is away: queued, never sent

            long mark = CapturingLogs.warningMark();
            long answer = BATCH + BATCH / 2;
            try (Node after = acknowledged("after", second).resumeFrom(s -> answer).start()) {
                after.listen(at);
                Await.until(() -> peer.stats().framesAcknowledged() > BATCH || CapturingLogs.warningsSince(mark).stream()
                                .anyMatch(l -> l.message().contains("processed frame " + answer)),
                        () -> "the answer is refused with a reason, or taken: " + peer.stats());
                assertEquals(BATCH, peer.stats().framesAcknowledged(), "no frame that was never sent counts as acknowledged: " + peer.stats());
                assertEquals(BATCH, peer.queuedFrames(), "the frames never sent stay queued");
                assertTrue(second.isEmpty(), "nothing is delivered on a refused resume: " + second.size());
            }
        }
    }
}
