package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.CapturingLogs;
import dev.tether.testing.EventOrder;
import dev.tether.testing.TetherTestExtension;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What the user's event listener and message handler throw: a {@link VirtualMachineError} is not theirs to
 * handle, and is treated the same from both (rethrown to the tether loop that called them, which ends the
 * connection with a reason that names it, never counted as a handler error); anything else is counted,
 * logged, and the loop goes on: no thread dies, no connection ends.
 */
class ListenerAndHandlerFailuresTest {

    /** How a VirtualMachineError from the user's code ended the inbound connection it came from. */
    record Ended(Event.Disconnected disconnected, long handlerErrors, List<Event> events) { }

    @Test
    void anOutOfMemoryErrorFromTheMessageHandlerEndsTheConnectionWithAReasonThatNamesIt() throws Exception {
        AtomicBoolean thrown = new AtomicBoolean();
        Ended ended = provokeVirtualMachineError(
                (peer, payload, sentAt) -> {
                    if (thrown.compareAndSet(false, true)) {
                        throw new OutOfMemoryError("test");
                    }
                },
                e -> { });
        assertEndedByTheError(ended);
    }

    @Test
    void anOutOfMemoryErrorFromTheEventListenerEndsTheConnectionWithAReasonThatNamesIt() throws Exception {
        AtomicBoolean thrown = new AtomicBoolean();
        Ended ended = provokeVirtualMachineError(
                MessageHandler.DISCARD,
                e -> {
                    if (e instanceof Event.Accepted && thrown.compareAndSet(false, true)) {
                        throw new OutOfMemoryError("test");
                    }
                });
        assertEndedByTheError(ended);
    }

    @Test
    void otherExceptionsFromTheListenerAndTheHandlerAreCountedAndNeitherAThreadNorAConnectionEnds() throws Exception {
        int frames = 200;
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        List<Event> atReceiver = new CopyOnWriteArrayList<>();
        List<Event> atSender = new CopyOnWriteArrayList<>();
        Node receiver = NodeConfig.builder().name("rx")
                .onMessage((peer, payload, sentAt) -> {
                    int n = payload.getInt(payload.position());
                    delivered.add(n);
                    if (n % 2 == 0) {
                        throw new IllegalStateException("handler fails on purpose");
                    }
                    throw new AssertionError("handler fails on purpose (an Error, not a VirtualMachineError)");
                })
                .onEvent(e -> {
                    atReceiver.add(e);
                    if (atReceiver.size() % 2 == 0) {
                        throw new IllegalArgumentException("listener fails on purpose");
                    }
                    throw new AssertionError("listener fails on purpose (an Error, not a VirtualMachineError)");
                }).start();
        Node sender = NodeConfig.builder().name("tx").onEvent(e -> {
            atSender.add(e);
            throw new UnsupportedOperationException("listener fails on purpose");
        }).start();
        try (receiver; sender) {
            InetSocketAddress bound = receiver.listen(TlsTest.loopback0());
            Peer peer = sender.connect(bound);
            for (int i = 0; i < frames; i++) {
                peer.send(ByteBuffer.allocate(4).putInt(0, i));
            }
            Await.until(() -> delivered.size() == frames, () -> "every frame reached the handler: " + delivered.size());
            assertTrue(peer.awaitFlushed(Duration.ofSeconds(10)));
            assertEquals(PeerState.CONNECTED, peer.state(), "the connection stays up: " + atSender);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < frames; i++) {
                expected.add(i);
            }
            assertEquals(expected, delivered, "each frame once, in order, though the handler threw on every one");
            // the listener sees an event before its throw is counted: wait for the count, do not race it
            Await.until(() -> receiver.stats().handlerErrors() == frames + atReceiver.size(),
                    () -> "every throw counted, the handler's and the listener's: " + receiver.stats().handlerErrors() + " for " + atReceiver);
            Await.until(() -> sender.stats().handlerErrors() == atSender.size(),
                    () -> "the sender's listener threw on each event: " + sender.stats().handlerErrors() + " for " + atSender);
            assertTrue(atReceiver.stream().noneMatch(e -> e instanceof Event.Disconnected), atReceiver::toString);
            assertTrue(atSender.stream().noneMatch(e -> e instanceof Event.Disconnected), atSender::toString);
        }
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(atReceiver), atReceiver.toString());
    }

    @Test
    void anOutOfMemoryErrorFromTheListenerOnTheWatchdogThreadLeavesTheWatchdogAtWork() throws Exception {
        TetherTestExtension.expectErrors(line -> isTheProvokedError(line.thrown()));
        List<Event> events = new CopyOnWriteArrayList<>();
        AtomicBoolean thrown = new AtomicBoolean();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             Node node = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED).disconnectPolicy(DisconnectPolicy.DROP_BACKLOG)
                     .dropReportInterval(Duration.ofMillis(20)).handshakeTimeout(Duration.ofMillis(300))
                     .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60), 0.0).drainTimeout(Duration.ZERO)
                     .onEvent(e -> {
                         events.add(e);
                         if (e instanceof Event.FramesDropped && Thread.currentThread().getName().contains("watchdog")
                                 && thrown.compareAndSet(false, true)) {
                             throw new OutOfMemoryError("test");
                         }
                     }).start()) {
            Peer down = node.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
            Await.until(() -> down.state() == PeerState.DISCONNECTED, () -> "down: " + events);
            down.send(new byte[] {1}); // dropped and reported at once, by this thread
            down.send(new byte[] {2}); // dropped, reported by the watchdog once the interval has passed
            Await.until(thrown::get, () -> "the watchdog reported a drop: " + events);
            // the watchdog still aborts a handshake past its deadline: a listener that never answers the hello
            node.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), silent.getLocalPort()));
            Await.until(Duration.ofSeconds(5), () -> events.stream().anyMatch(e -> e instanceof Event.ConnectFailed f
                    && f.detail().contains("handshake did not finish")), () -> "the watchdog aborted the silent handshake: " + events);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A receiver with this handler and listener; a sender sends it frames until its inbound connection ends. */
    private static Ended provokeVirtualMachineError(MessageHandler handler, NodeEventListener listener) throws Exception {
        TetherTestExtension.expectErrors(line -> isTheProvokedError(line.thrown())); // tether logs what ended the connection
        List<Event> atReceiver = new CopyOnWriteArrayList<>();
        Node receiver = NodeConfig.builder().name("rx").onMessage(handler).onEvent(e -> {
            atReceiver.add(e);
            listener.onEvent(e);
        }).start();
        Node sender = NodeConfig.builder().name("tx").reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).start();
        Event.Disconnected disconnected;
        long handlerErrors;
        try (receiver; sender) {
            Peer peer = sender.connect(receiver.listen(TlsTest.loopback0()));
            peer.send(new byte[] {1});
            Await.until(() -> atReceiver.stream().anyMatch(e -> e instanceof Event.Disconnected),
                    () -> "the inbound connection ended: " + atReceiver);
            disconnected = atReceiver.stream().filter(e -> e instanceof Event.Disconnected).map(Event.Disconnected.class::cast)
                    .findFirst().orElseThrow();
            handlerErrors = receiver.stats().handlerErrors();
            Await.until(() -> peer.state() == PeerState.CONNECTED && receiver.stats().peersByState().get(PeerState.CONNECTED) == 1,
                    () -> "the sender reconnected, and the receiver serves it: " + atReceiver);
        }
        return new Ended(disconnected, handlerErrors, List.copyOf(atReceiver));
    }

    private static void assertEndedByTheError(Ended ended) {
        assertEquals(DisconnectReason.IO_ERROR, ended.disconnected().reason(), ended.events().toString());
        assertTrue(ended.disconnected().detail().contains("OutOfMemoryError: test"),
                "the reason names the error: " + ended.disconnected());
        assertEquals(0, ended.handlerErrors(), "a VirtualMachineError is rethrown, not counted as a handler error");
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(ended.events()), ended.events().toString());
        long logged = CapturingLogs.lines().stream().filter(l -> l.level() == CapturingLogs.Level.ERROR && isTheProvokedError(l.thrown())).count();
        assertTrue(logged >= 1, "logged at ERROR with the error");
    }

    private static boolean isTheProvokedError(Throwable t) {
        return t instanceof OutOfMemoryError && "test".equals(t.getMessage());
    }
}
