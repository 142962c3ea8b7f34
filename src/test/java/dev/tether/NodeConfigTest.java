package dev.tether;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.TlsFixtures;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class NodeConfigTest {

    private static final MessageHandler HANDLER = (peer, payload, sentAt) -> { };
    private static final NodeEventListener LISTENER = event -> { };
    private static final TlsConfig TLS = TlsFixtures.client();

    /** A configuration with no setting at its default, so every setting takes part in the comparisons. */
    private static NodeConfig.Builder everythingSet() {
        return NodeConfig.builder()
                .name("quotes")
                .onMessage(HANDLER)
                .onEvent(LISTENER)
                .connectTimeout(Duration.ofSeconds(2))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(3), 0.25)
                .hello("subscribe:prices".getBytes(US_ASCII))
                .maxFrameSize(1 << 20)
                .tcpNoDelay(false)
                .keepAlive(false)
                .sendBufferSize(1 << 16)
                .receiveBufferSize(1 << 17)
                .backlogLimits(BacklogLimits.of(1000, 1 << 20))
                .overflowTimeout(Duration.ofSeconds(3))
                .disconnectPolicy(DisconnectPolicy.DROP_BACKLOG)
                .drainTimeout(Duration.ZERO)
                .handshakeTimeout(Duration.ofSeconds(4))
                .delivery(Delivery.ACKNOWLEDGED)
                .ackBatching(100, Duration.ofMillis(5))
                .dropReportInterval(Duration.ofSeconds(7))
                .tls(TLS)
                .jmx(true)
                .inboundMemoryBudget(3L << 20)
                .maxInboundConnections(50);
    }

    @Test
    void everySetterRefusesABadValueWhenCalledAndTheMessageNamesTheSettingAndTheValue() {
        NodeConfig.Builder b = NodeConfig.builder();
        Map<String, Executable> nulls = new LinkedHashMap<>();
        nulls.put("name", () -> b.name(null));
        nulls.put("onMessage", () -> b.onMessage(null));
        nulls.put("onEvent", () -> b.onEvent(null));
        nulls.put("connectTimeout", () -> b.connectTimeout(null));
        nulls.put("reconnectInitialBackoff", () -> b.reconnectBackoff(null, Duration.ofSeconds(1), 0.5));
        nulls.put("reconnectMaxBackoff", () -> b.reconnectBackoff(Duration.ofSeconds(1), null, 0.5));
        nulls.put("hello", () -> b.hello(null));
        nulls.put("backlogLimits", () -> b.backlogLimits(null));
        nulls.put("overflowTimeout", () -> b.overflowTimeout(null));
        nulls.put("disconnectPolicy", () -> b.disconnectPolicy(null));
        nulls.put("drainTimeout", () -> b.drainTimeout(null));
        nulls.put("handshakeTimeout", () -> b.handshakeTimeout(null));
        nulls.put("delivery", () -> b.delivery(null));
        nulls.put("ackInterval", () -> b.ackBatching(10, null));
        nulls.put("dropReportInterval", () -> b.dropReportInterval(null));
        nulls.put("tls", () -> b.tls(null));
        nulls.forEach((setting, call) -> {
            NullPointerException e = assertThrows(NullPointerException.class, call, setting + "(null)");
            assertTrue(e.getMessage().contains(setting), setting + ": " + e.getMessage());
        });

        Map<String, Executable> bad = new LinkedHashMap<>();
        bad.put("name must not be blank", () -> b.name(" "));
        bad.put("connectTimeout must be positive, was PT0S", () -> b.connectTimeout(Duration.ZERO));
        bad.put("connectTimeout must be positive, was PT-1S", () -> b.connectTimeout(Duration.ofSeconds(-1)));
        bad.put("reconnectInitialBackoff must be positive, was PT0S",
                () -> b.reconnectBackoff(Duration.ZERO, Duration.ofSeconds(1), 0.5));
        bad.put("reconnectMaxBackoff must be positive, was PT-0.001S",
                () -> b.reconnectBackoff(Duration.ofSeconds(1), Duration.ofMillis(-1), 0.5));
        bad.put("reconnectMaxBackoff (PT1S) must not be shorter than reconnectInitialBackoff (PT5S)",
                () -> b.reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1), 0.5));
        bad.put("reconnectJitter must be between 0 and 1 (a share of each delay), was 1.5",
                () -> b.reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 1.5));
        bad.put("reconnectJitter must be between 0 and 1 (a share of each delay), was NaN",
                () -> b.reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), Double.NaN));
        bad.put("maxFrameSize must be between 1 and 2147483583 bytes, was 0 bytes", () -> b.maxFrameSize(0));
        bad.put("maxFrameSize must be between 1 and 2147483583 bytes, was 2147483647 bytes",
                () -> b.maxFrameSize(Integer.MAX_VALUE));
        bad.put("sendBufferSize must be a positive number of bytes, was 0", () -> b.sendBufferSize(0));
        bad.put("receiveBufferSize must be a positive number of bytes, was -1", () -> b.receiveBufferSize(-1));
        bad.put("overflowTimeout must be positive, was PT0S", () -> b.overflowTimeout(Duration.ZERO));
        bad.put("drainTimeout must not be negative, was PT-1S", () -> b.drainTimeout(Duration.ofSeconds(-1)));
        bad.put("handshakeTimeout must be positive, was PT0S", () -> b.handshakeTimeout(Duration.ZERO));
        bad.put("ackEveryFrames must be a positive number of frames, was 0", () -> b.ackBatching(0, Duration.ofMillis(1)));
        bad.put("ackInterval must be positive, was PT0S", () -> b.ackBatching(1, Duration.ZERO));
        bad.put("dropReportInterval must be positive, was PT0S", () -> b.dropReportInterval(Duration.ZERO));
        bad.put("inboundMemoryBudget must be a positive number of bytes, was 0", () -> b.inboundMemoryBudget(0));
        bad.put("maxInboundConnections must be a positive number of connections, was -1", () -> b.maxInboundConnections(-1));
        bad.forEach((message, call) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, message);
            assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
        });

        assertEquals(NodeConfig.builder().build(), b.build(), "a refused value leaves the builder as it was");
    }

    @Test
    void aRefusedPairLeavesBothValuesAsTheyWere() {
        NodeConfig.Builder b = NodeConfig.builder().ackBatching(10, Duration.ofMillis(3));
        assertThrows(IllegalArgumentException.class, () -> b.ackBatching(20, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2));
        NodeConfig c = b.build();
        assertEquals(10, c.ackEveryFrames());
        assertEquals(Duration.ofMillis(3), c.ackInterval());
        assertEquals(Duration.ofMillis(100), c.reconnectInitialBackoff());
        assertEquals(0.5, c.reconnectJitter());
    }

    @Test
    void aHelloLongerThanMaxFrameSizeIsRefusedAtBuildWhicheverIsSetFirst() {
        byte[] five = {1, 2, 3, 4, 5};
        NodeConfig.Builder helloFirst = NodeConfig.builder().hello(five).maxFrameSize(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, helloFirst::build);
        assertTrue(e.getMessage().contains("hello is 5 bytes, more than maxFrameSize 4 bytes; shorten it or raise maxFrameSize"),
                e.getMessage());
        NodeConfig.Builder sizeFirst = NodeConfig.builder().maxFrameSize(4).hello(five);
        assertThrows(IllegalArgumentException.class, sizeFirst::build);
        assertThrows(IllegalArgumentException.class, sizeFirst::start, "start() builds, so it refuses too");

        assertEquals(5, sizeFirst.maxFrameSize(5).build().hello().length, "a hello exactly maxFrameSize long is fine");
    }

    @Test
    void anInboundMemoryBudgetTooSmallForOneFrameOfTheLargestSizeIsRefusedAtBuild() {
        NodeConfig.Builder b = NodeConfig.builder().maxFrameSize(1 << 20).inboundMemoryBudget((1 << 20) + 11);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains("inboundMemoryBudget is 1048587 bytes, less than maxFrameSize + 12 (1048588 bytes)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("raise inboundMemoryBudget or lower maxFrameSize"), e.getMessage());
        assertEquals((1 << 20) + 12, b.inboundMemoryBudget((1 << 20) + 12).build().inboundMemoryBudget(), "exactly one frame fits");
    }

    @Test
    void theDefaultBudgetIsAQuarterOfTheHeapAtMostOneGibibyteAndAlwaysHoldsOneFrameOfTheLargestSize() {
        long quarter = Math.min(Runtime.getRuntime().maxMemory() / 4, 1L << 30);
        NodeConfig defaults = NodeConfig.builder().build();
        assertEquals(Math.max(quarter, NodeConfig.DEFAULT_MAX_FRAME_SIZE + 12L), defaults.inboundMemoryBudget());
        assertEquals(10_000, defaults.maxInboundConnections());
        int huge = (int) Math.min(Integer.MAX_VALUE - 64L, quarter + 1);
        NodeConfig bigFrames = defaults.toBuilder().maxFrameSize(huge).build(); // a default stays a default in a derived builder
        assertEquals(huge + 12L, bigFrames.inboundMemoryBudget());
    }

    @Test
    void aConfigurationEqualsItsOwnToBuilderBuildAndHashesTheSame() {
        NodeConfig c = everythingSet().build();
        NodeConfig copy = c.toBuilder().build();
        assertEquals(c, copy);
        assertEquals(c.hashCode(), copy.hashCode());
        assertEquals(NodeConfig.builder().build(), NodeConfig.builder().build());
        assertEquals(NodeConfig.builder().build().hashCode(), NodeConfig.builder().build().hashCode());
        assertEquals(everythingSet().build(), c, "built twice from the same settings: equal, hello compared by content");
        assertEquals(everythingSet().build().hashCode(), c.hashCode());
        assertNotEquals(c, NodeConfig.builder().build());
        assertNotEquals(null, c);
    }

    @Test
    void changingAnySingleSettingMakesTheConfigurationsUnequal() {
        NodeConfig base = everythingSet().build();
        Map<String, Consumer<NodeConfig.Builder>> changes = new LinkedHashMap<>();
        changes.put("name", b -> b.name("other"));
        changes.put("messageHandler", b -> b.onMessage((p, m, t) -> { }));
        changes.put("eventListener", b -> b.onEvent(e -> { }));
        changes.put("connectTimeout", b -> b.connectTimeout(Duration.ofSeconds(9)));
        changes.put("reconnectInitialBackoff", b -> b.reconnectBackoff(Duration.ofMillis(51), Duration.ofSeconds(3), 0.25));
        changes.put("reconnectMaxBackoff", b -> b.reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(4), 0.25));
        changes.put("reconnectJitter", b -> b.reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(3), 0.3));
        changes.put("hello", b -> b.hello("subscribe:prices!".getBytes(US_ASCII)));
        changes.put("maxFrameSize", b -> b.maxFrameSize(1 << 21));
        changes.put("tcpNoDelay", b -> b.tcpNoDelay(true));
        changes.put("keepAlive", b -> b.keepAlive(true));
        changes.put("sendBufferSize", b -> b.sendBufferSize(1 << 18));
        changes.put("receiveBufferSize", b -> b.receiveBufferSize(1 << 18));
        changes.put("backlogLimits", b -> b.backlogLimits(BacklogLimits.of(1001, 1 << 20)));
        changes.put("overflowTimeout", b -> b.overflowTimeout(Duration.ofSeconds(30)));
        changes.put("disconnectPolicy", b -> b.disconnectPolicy(DisconnectPolicy.KEEP_BACKLOG));
        changes.put("drainTimeout", b -> b.drainTimeout(Duration.ofMillis(1)));
        changes.put("handshakeTimeout", b -> b.handshakeTimeout(Duration.ofSeconds(5)));
        changes.put("delivery", b -> b.delivery(Delivery.PLAIN));
        changes.put("ackEveryFrames", b -> b.ackBatching(101, Duration.ofMillis(5)));
        changes.put("ackInterval", b -> b.ackBatching(100, Duration.ofMillis(6)));
        changes.put("dropReportInterval", b -> b.dropReportInterval(Duration.ofSeconds(8)));
        changes.put("tls", b -> b.tls(TLS.withHostnameVerification(false)));
        changes.put("jmx", b -> b.jmx(false));
        changes.put("inboundMemoryBudget", b -> b.inboundMemoryBudget(4L << 20));
        changes.put("maxInboundConnections", b -> b.maxInboundConnections(51));
        changes.forEach((setting, change) -> {
            NodeConfig.Builder b = base.toBuilder();
            change.accept(b);
            assertNotEquals(base, b.build(), "changed " + setting);
        });
    }

    @Test
    void toStringListsTheSettingsReadably() {
        String s = everythingSet().build().toString();
        assertFalse(s.contains("[B@"), s);
        assertTrue(s.contains("hello=16 bytes \"subscribe:prices\""), s);
        assertTrue(s.contains("messageHandler=custom"), s);
        assertTrue(s.contains("connectTimeout=PT2S"), s);
        assertTrue(s.contains("maxFrameSize=1048576 bytes"), s);
        assertTrue(s.contains("sendBufferSize=65536 bytes"), s);
        assertTrue(s.contains("tls=on(clientAuth=NONE"), s);
        assertTrue(s.contains("inboundMemoryBudget=3145728 bytes"), s);
        assertTrue(s.contains("maxInboundConnections=50"), s);

        String binary = NodeConfig.builder().hello(new byte[40]).build().toString();
        assertTrue(binary.contains("hello=40 bytes 0x" + "00".repeat(16) + "..."), binary);
        String defaults = NodeConfig.builder().build().toString();
        assertTrue(defaults.contains("hello=0 bytes"), defaults);
        assertTrue(defaults.contains("messageHandler=none"), defaults);
        assertTrue(defaults.contains("eventListener=none"), defaults);
        assertTrue(defaults.contains("receiveBufferSize=os default"), defaults);
        assertTrue(defaults.contains("tls=none"), defaults);
    }

    @Test
    void changingTheHelloArrayPassedInOrHandedOutDoesNotChangeTheConfiguration() {
        byte[] given = {1, 2, 3};
        NodeConfig.Builder b = NodeConfig.builder().hello(given);
        given[0] = 9;
        NodeConfig c = b.build();
        assertArrayEquals(new byte[] {1, 2, 3}, c.hello(), "the builder copied the array in");

        c.hello()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, c.hello(), "the accessor hands out a copy");

        NodeConfig again = b.build();
        assertEquals(c, again);
        NodeConfig derived = c.toBuilder().build();
        assertArrayEquals(new byte[] {1, 2, 3}, derived.hello());
    }
}
