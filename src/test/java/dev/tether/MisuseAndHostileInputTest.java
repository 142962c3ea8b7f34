package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MisuseAndHostileInputTest {

    static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    @Test
    void sendingToAnUnknownOrClosedPeerIdThrowsAndTheMessageSaysWhy() throws Exception {
        try (FrameSink sink = FrameSink.start(); Node node = NodeConfig.builder().start()) {
            UnknownPeerException never = assertThrows(UnknownPeerException.class, () -> node.send(42, new byte[] {1}));
            assertEquals(42, never.peerId());
            assertTrue(never.getMessage().contains("no peer with id 42"), never.getMessage());

            Peer peer = node.connect(sink.address());
            peer.close();
            Await.until(() -> peer.state() == PeerState.CLOSED, "closed");
            assertThrows(UnknownPeerException.class, () -> node.send(peer.id(), new byte[] {1}));
            assertEquals(SendResult.PEER_CLOSED, peer.send(new byte[] {1}), "a stale handle gets a value, not an exception");
            assertTrue(node.peer(peer.id()).isEmpty());
        }
    }

    @Test
    void badPayloadsAndSendsAfterCloseThrowWithAMessageThatSaysWhatToDo() throws Exception {
        Node node = NodeConfig.builder().maxFrameSize(1024).start();
        Peer peer = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> peer.send(new byte[0]));
        assertTrue(empty.getMessage().contains("at least one byte"), empty.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> node.broadcast(new byte[1025]));
        assertTrue(big.getMessage().contains("exceeds maxFrameSize 1024"), big.getMessage());
        assertThrows(NullPointerException.class, () -> peer.send((byte[]) null));

        node.close(Duration.ZERO);
        assertTrue(node.isClosed());
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> peer.send(new byte[] {1}));
        assertTrue(after.getMessage().contains("closed"), after.getMessage());
        assertThrows(IllegalStateException.class, () -> node.broadcast(new byte[] {1}));
        assertThrows(IllegalStateException.class, () -> node.send(peer.id(), new byte[] {1}));
        IllegalStateException connect = assertThrows(IllegalStateException.class,
                () -> node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)));
        assertTrue(connect.getMessage().endsWith(" is closed: connect() after close() is rejected"), connect.getMessage());
        IllegalStateException listen = assertThrows(IllegalStateException.class,
                () -> node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        assertTrue(listen.getMessage().endsWith(" is closed: listen() after close() is rejected"), listen.getMessage());
        node.close(); // idempotent
    }

    @Test
    void badConfigurationValuesAreRejectedWithTheValueAndTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.builder().reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1), 0.5).build());
        assertTrue(e.getMessage().contains("reconnectMaxBackoff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().connectTimeout(Duration.ZERO).build());
        assertTrue(e.getMessage().contains("connectTimeout must be positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BacklogLimits.of(0, 10));
        assertTrue(e.getMessage().contains("maxFrames must be positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(2), 1.5).build());
        assertTrue(e.getMessage().contains("reconnectJitter"), e.getMessage());
    }

    @Test
    void aDeclaredLengthAboveTheMaximumClosesThatConnectionWithAReasonAndNothingElse() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        AtomicInteger good = new AtomicInteger();
        try (Node node = NodeConfig.builder().maxFrameSize(1 << 20).onEvent(events::add)
                .onMessage((p, m, t) -> good.incrementAndGet()).start();
             Node friend = NodeConfig.builder().name("friend").start()) {
            InetSocketAddress bound = node.listen(loopback0());
            Peer friendly = friend.connect(bound);
            for (long declared : new long[] {0xFFFF_FFFFL, 0x8000_0000L, (1 << 20) + 1, 0x7FFF_FFFFL}) {
                try (Socket hostile = new Socket(bound.getAddress(), bound.getPort())) {
                    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt((int) declared).putLong(0);
                    hostile.getOutputStream().write(header.array());
                    assertEquals(-1, readUntilClosed(hostile.getInputStream()), "tether closed the hostile connection");
                }
                friendly.send(new byte[] {1});
            }
            Await.until(() -> good.get() == 4, "the friendly peer kept being served");
            Await.until(() -> events.stream().filter(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.FRAME_TOO_LARGE).count() == 4,
                    () -> "four FRAME_TOO_LARGE disconnects: " + events);
            // events of different connections may arrive in any order: the client sees the close before the event is emitted
            List<String> details = events.stream().filter(e -> e instanceof Event.Disconnected x && x.reason() == DisconnectReason.FRAME_TOO_LARGE)
                    .map(e -> ((Event.Disconnected) e).detail()).toList();
            assertTrue(details.stream().anyMatch(d -> d.contains("4294967295") && d.contains("maxFrameSize 1048576")), details.toString());
        }
    }

    @Test
    void randomBytesCloseThatConnectionOnly() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node node = NodeConfig.builder().onEvent(events::add).start()) {
            InetSocketAddress bound = node.listen(loopback0());
            Random random = new Random(7);
            for (int i = 0; i < 5; i++) {
                try (Socket hostile = new Socket(bound.getAddress(), bound.getPort())) {
                    byte[] junk = new byte[4096];
                    random.nextBytes(junk);
                    junk[3] |= (byte) 0x40; // a length far above the maximum, like almost every random word
                    OutputStream out = hostile.getOutputStream();
                    try {
                        out.write(junk);
                    } catch (java.io.IOException closedOnUs) {
                        // tether may close before we finish writing
                    }
                    assertEquals(-1, readUntilClosed(hostile.getInputStream()));
                }
            }
            Await.until(() -> events.stream().filter(e -> e instanceof Event.Disconnected).count() == 5, () -> "5 disconnects: " + events);
            Await.until(() -> node.peers().isEmpty(), "inbound peers are closed and forgotten");
        }
    }

    @Test
    void aHandlerThatThrowsIsLoggedAndTheReaderGoesOn() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        try (Node server = NodeConfig.builder().name("server").onMessage((p, m, t) -> {
            if (seen.incrementAndGet() % 2 == 0) {
                throw new IllegalStateException("handler bug");
            }
        }).onEvent(e -> {
            throw new IllegalStateException("listener bug");
        }).start(); Node client = NodeConfig.builder().name("client").start()) {
            Peer peer = client.connect(server.listen(loopback0()));
            for (int i = 0; i < 100; i++) {
                peer.send(new byte[] {(byte) i});
            }
            Await.until(() -> seen.get() == 100, () -> "all 100 frames reached the handler, got " + seen.get());
            Await.until(() -> server.stats().handlerErrors() >= 50, "handler and listener failures are counted");
            assertEquals(1, server.peers().size(), "the connection survived");
        }
    }

    private static int readUntilClosed(InputStream in) {
        try {
            byte[] b = new byte[1024];
            while (true) {
                int n = in.read(b);
                if (n < 0) {
                    return -1;
                }
            }
        } catch (java.io.IOException reset) {
            return -1; // a reset also closes it
        }
    }
}
