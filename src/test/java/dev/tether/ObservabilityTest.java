package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.isA;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.timeout;

import dev.tether.testing.Await;
import dev.tether.testing.CapturingLogs;
import dev.tether.testing.FrameSink;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.consumer.RecordingStream;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/** What a service operator sees: events in order, flight recorder events, JMX, and log levels. */
class ObservabilityTest {

    static NodeConfig.Builder quick(String name) {
        return NodeConfig.builder().name(name).reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5);
    }

    @Test
    void eventsOfAnOutboundPeerComeInTheirLifecycleOrder() throws Exception {
        NodeEventListener listener = mock(NodeEventListener.class);
        try (FrameSink sink = FrameSink.start();
             Node node = quick("events").onEvent(listener).start()) {
            Peer peer = node.connect(sink.address());
            InOrder order = inOrder(listener);
            order.verify(listener, timeout(10_000)).onEvent(isA(Event.Connected.class));
            Await.until(() -> sink.openConnections() == 1, "accepted");
            sink.resetConnections();
            order.verify(listener, timeout(10_000)).onEvent(argThat(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.RESET));
            order.verify(listener, timeout(10_000)).onEvent(argThat(e -> e instanceof Event.Reconnected r && r.reconnects() == 1));
            peer.close();
            order.verify(listener, timeout(10_000)).onEvent(argThat(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.LOCAL_CLOSE));
            order.verify(listener, timeout(10_000)).onEvent(argThat(e -> e instanceof Event.PeerClosed c && c.peer() == peer));
            node.close();
            order.verify(listener, timeout(10_000)).onEvent(isA(Event.NodeClosed.class));
        }
    }

    @Test
    void aFlightRecordingTellsTheStoryOfEachConnection() throws Exception {
        List<String> names = List.of("Connected", "Disconnected", "ConnectAttempt", "FramesDropped", "SlowConsumer", "BacklogHighWater");
        List<RecordedEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RecordingStream stream = new RecordingStream()) {
            for (String name : names) {
                stream.enable("dev.tether." + name).withoutThreshold().withPeriod(Duration.ofMillis(100));
                stream.onEvent("dev.tether." + name, seen::add);
            }
            stream.startAsync();
            try (FrameSink slow = FrameSink.withReceiveBuffer(16 << 10);
                 Node node = quick("recorded").backlogLimits(BacklogLimits.ofFrames(50)).overflowTimeout(Duration.ofMillis(200))
                         .sendBufferSize(16 << 10).dropReportInterval(Duration.ofMillis(50)).drainTimeout(Duration.ZERO).start()) {
                Peer peer = node.connect(slow.address());
                node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
                Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
                slow.stall();
                // keep pushing (the peer reconnects and fills up again) until every kind of event has been seen
                Await.until(() -> {
                    node.broadcast(new byte[4096]);
                    return names.stream().allMatch(n -> seen.stream().anyMatch(e -> e.getEventType().getName().equals("dev.tether." + n)));
                }, () -> "every event type recorded; got " + seen.stream().map(e -> e.getEventType().getName()).distinct().toList());
            }
        }
        Map<String, List<RecordedEvent>> byName = seen.stream().collect(Collectors.groupingBy(e -> e.getEventType().getName()));
        RecordedEvent slow = byName.get("dev.tether.SlowConsumer").get(0);
        assertEquals("recorded", slow.getString("node"));
        assertTrue(slow.getString("address").startsWith("localhost:") || slow.getString("address").startsWith("127.0.0.1:"), slow.getString("address"));
        assertTrue(slow.getLong("queuedFrames") > 0);
        RecordedEvent failedAttempt = byName.get("dev.tether.ConnectAttempt").stream().filter(e -> !e.getBoolean("succeeded")).findFirst().orElseThrow();
        assertTrue(failedAttempt.getString("reason").startsWith("CONNECT_FAILED"), failedAttempt.getString("reason"));
        assertTrue(byName.get("dev.tether.Disconnected").stream().anyMatch(e -> e.getString("reason").equals("SLOW_CONSUMER")));
        assertTrue(byName.get("dev.tether.BacklogHighWater").stream().anyMatch(e -> e.getLong("highWaterFrames") > 0 && e.getLong("maxFrames") == 50));
        assertTrue(byName.get("dev.tether.FramesDropped").stream().mapToLong(e -> e.getLong("frames")).sum() > 0);
    }

    @Test
    void theJmxBeanShowsTheStatisticsWhileTheNodeLivesAndOnlyWhenAskedFor() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.tether:type=Node,name=\"jmx-node\"");
        try (Node plain = quick("jmx-node").start()) {
            assertFalse(server.isRegistered(name), "not registered unless asked");
        }
        try (FrameSink sink = FrameSink.start(); Node node = quick("jmx-node").jmx(true).start()) {
            Peer peer = node.connect(sink.address());
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            node.broadcast(new byte[] {1, 2, 3});
            sink.awaitFrames(1, Duration.ofSeconds(10));
            Await.until(() -> peer.stats().framesWritten() == 1, "written");
            assertEquals(1, server.getAttribute(name, "PeersConnected"));
            assertEquals(1L, server.getAttribute(name, "FramesWritten"));
            assertEquals(0L, server.getAttribute(name, "FramesDropped"));
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> quick("jmx-node").jmx(true).start());
            assertTrue(twice.getMessage().contains("distinct NodeConfig.name"), twice.getMessage());
        }
        assertFalse(server.isRegistered(name), "unregistered on close");
    }

    @Test
    void connectsAndDisconnectsLogOnceAtInfoRetriesAtDebugAndNetworkErrorsWithoutStackTraces() throws Exception {
        int mark = CapturingLogs.mark();
        try (FrameSink sink = FrameSink.start(); Node node = quick("logs").drainTimeout(Duration.ZERO).start()) {
            Peer up = node.connect(sink.address());
            Peer down = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
            Await.until(() -> up.state() == PeerState.CONNECTED, "connected");
            Await.until(() -> down.stats().lastDisconnectReason().isPresent() || CapturingLogs.since(mark).stream()
                    .filter(l -> l.message().contains("connect attempt")).count() >= 2, "two failed attempts");
            Await.until(() -> sink.openConnections() == 1, "accepted");
            sink.resetConnections();
            Await.until(() -> up.stats().reconnects() == 1, "reconnected");
        }
        List<CapturingLogs.Line> lines = CapturingLogs.since(mark);
        assertTrue(lines.stream().filter(l -> l.message().contains("connect attempt")).allMatch(l -> l.level() == CapturingLogs.Level.DEBUG),
                "retries at DEBUG");
        assertEquals(1, lines.stream().filter(l -> l.level() == CapturingLogs.Level.INFO && l.message().endsWith(": connected")).count());
        assertEquals(1, lines.stream().filter(l -> l.level() == CapturingLogs.Level.INFO && l.message().contains("disconnected: connection reset")).count());
        assertTrue(lines.stream().noneMatch(l -> l.thrown() != null), "no stack traces for network errors: "
                + lines.stream().filter(l -> l.thrown() != null).toList());
    }
}
