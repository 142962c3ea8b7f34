package dev.tether;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoundTripTest {

    record Got(Peer peer, byte[] payload, long sentAt) { }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    static MessageHandler into(BlockingQueue<Got> queue) {
        return (peer, payload, sentAt) -> {
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            queue.add(new Got(peer, copy, sentAt));
        };
    }

    static Got take(BlockingQueue<Got> q) throws InterruptedException {
        Got g = q.poll(10, TimeUnit.SECONDS);
        if (g == null) {
            throw new AssertionError("no message within 10 s");
        }
        return g;
    }

    @Test
    void framesTravelBothWaysOverOutboundAndInboundConnections() throws Exception {
        BlockingQueue<Got> atServer = new LinkedBlockingQueue<>();
        BlockingQueue<Got> atClient = new LinkedBlockingQueue<>();
        try (Node server = NodeConfig.builder().name("server").onMessage(into(atServer)).start();
             Node client = NodeConfig.builder().name("client").onMessage(into(atClient)).start()) {
            InetSocketAddress bound = server.listen(loopback(0));
            assertTrue(bound.getPort() > 0, "port 0 becomes a real port");

            long before = System.currentTimeMillis() * 1_000_000L;
            Peer toServer = client.connect(bound);
            assertEquals(SendResult.ACCEPTED, toServer.send("ping".getBytes(StandardCharsets.UTF_8)));

            Got ping = take(atServer);
            assertEquals("ping", new String(ping.payload(), StandardCharsets.UTF_8));
            assertEquals(Direction.INBOUND, ping.peer().direction());
            assertEquals(bound, ping.peer().listenAddress().orElseThrow());
            assertTrue(ping.sentAt() >= before && ping.sentAt() <= System.currentTimeMillis() * 1_000_000L + 1_000_000_000L,
                    "timestamp is the sender's epoch nanos");

            assertEquals(SendResult.ACCEPTED, ping.peer().send("pong".getBytes(StandardCharsets.UTF_8)));
            Got pong = take(atClient);
            assertEquals("pong", new String(pong.payload(), StandardCharsets.UTF_8));
            assertSame(toServer, pong.peer(), "the handler gets the same handle connect() returned");

            assertEquals(SendResult.ACCEPTED, server.send(ping.peer().id(), "by id".getBytes(StandardCharsets.UTF_8)));
            assertEquals("by id", new String(take(atClient).payload(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aByteBufferIsCopiedAndItsPositionLeftAlone() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node node = NodeConfig.builder().start()) {
            Peer peer = node.connect(sink.address());
            ByteBuffer buffer = ByteBuffer.allocate(16);
            buffer.put("abcdef".getBytes(StandardCharsets.US_ASCII)).flip();
            buffer.position(2); // "cdef"
            assertEquals(SendResult.ACCEPTED, peer.send(buffer));
            assertEquals(2, buffer.position());
            buffer.clear();
            buffer.put("XXXXXX".getBytes(StandardCharsets.US_ASCII)); // reuse at once
            assertArrayEquals("cdef".getBytes(StandardCharsets.US_ASCII), sink.take(Duration.ofSeconds(10)).payload());
        }
    }

    @Test
    void everyFrameArrivesInOrderAcrossArbitraryReadBoundaries() throws Exception {
        int count = 20_000;
        BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        try (Node server = NodeConfig.builder().name("server").onMessage(into(got)).start();
             Node client = NodeConfig.builder().name("client").start()) {
            InetSocketAddress bound = server.listen(loopback(0));
            Peer peer = client.connect(bound);
            for (int i = 0; i < count; i++) {
                int size = 4 + (i * 7919) % 3000; // sizes that straddle read buffers in every way
                ByteBuffer b = ByteBuffer.allocate(size);
                b.putInt(0, i);
                while (peer.send(b) != SendResult.ACCEPTED) {
                    Await.until(() -> peer.queuedFrames() < 1000, "room");
                }
            }
            for (int i = 0; i < count; i++) {
                Got g = take(got);
                assertEquals(4 + (i * 7919) % 3000, g.payload().length);
                assertEquals(i, ByteBuffer.wrap(g.payload()).getInt(0));
            }
        }
    }
}
