package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.TlsFixtures;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What a real service needs from the API: groups, waiting for a connection, who a peer is. */
class ServiceApiTest {

    private static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    @Test
    void aGroupBroadcastReachesOnlyItsGroupAndNodeBroadcastStillReachesAll() throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        NodeConfig.Builder counting = NodeConfig.builder().onMessage((p, payload, at) ->
                got.computeIfAbsent(text(payload), k -> new AtomicInteger()).incrementAndGet());
        try (Node subscriberA = counting.name("subA").start(); Node subscriberB = counting.name("subB").start();
             Node replier = counting.name("replier").start();
             Node publisher = NodeConfig.builder().name("pub").start()) {
            publisher.connect(subscriberA.listen(loopback0())).awaitConnected(Duration.ofSeconds(10));
            publisher.connect(subscriberB.listen(loopback0())).awaitConnected(Duration.ofSeconds(10));
            Peer replies = replier.connect(publisher.listen(loopback0())); // a reply link into the publisher
            assertTrue(replies.awaitConnected(Duration.ofSeconds(10)));
            Await.until(() -> publisher.inbound().size() == 1, "the reply link is accepted");

            assertEquals(2, publisher.outbound().size());
            assertEquals(2, publisher.outbound().broadcast("to-subscribers".getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, publisher.inbound().broadcast("to-repliers".getBytes(StandardCharsets.UTF_8)));
            assertEquals(3, publisher.broadcast("to-all".getBytes(StandardCharsets.UTF_8)), "Node.broadcast keeps its meaning");
            Await.until(() -> count(got, "to-subscribers") == 2 && count(got, "to-repliers") == 1 && count(got, "to-all") == 3,
                    () -> "each broadcast reached its own group: " + got);

            PeerGroup vip = publisher.group("vip");
            Peer first = publisher.outbound().peers().get(0);
            assertTrue(vip.add(first));
            assertFalse(vip.add(first), "a member once");
            assertEquals(1, vip.broadcast("vip-only".getBytes(StandardCharsets.UTF_8)));
            Await.until(() -> count(got, "vip-only") == 1, () -> "one member, one frame: " + got);
            assertSame(vip.peers().get(0), first);
            assertThrows(UnsupportedOperationException.class, () -> publisher.outbound().add(first), "built-in groups follow direction");

            first.close(); // a closed peer leaves every group
            assertEquals(0, vip.size());
            assertEquals(1, publisher.outbound().size());
            Peer newcomer = publisher.connect(subscriberA.listen(loopback0()));
            assertEquals(2, publisher.outbound().size(), "a new outbound peer is in the outbound group at once");
            assertTrue(newcomer.awaitConnected(Duration.ofSeconds(10)));
        }
    }

    private static int count(Map<String, AtomicInteger> got, String key) {
        AtomicInteger n = got.get(key);
        return n == null ? 0 : n.get();
    }

    @Test
    void aGroupBroadcastEncodesOnceForEveryMember() throws Exception {
        int port = BroadcastTest.unusedPort(); // nobody listens: the frames stay where we can look at them
        try (Node node = NodeConfig.builder().drainTimeout(Duration.ZERO).start()) {
            PeerGroup group = node.group("some");
            for (int i = 0; i < 4; i++) {
                Peer p = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                if (i % 2 == 0) {
                    group.add(p);
                }
            }
            assertEquals(2, group.broadcast(new byte[] {9}));
            List<Peer> members = group.peers();
            assertSame(Internals.queuedFrames(members.get(0))[0], Internals.queuedFrames(members.get(1))[0], "one frame object");
            long nonMembersWithFrames = node.peers().stream().filter(p -> !members.contains(p) && p.queuedFrames() > 0).count();
            assertEquals(0, nonMembersWithFrames, "others get nothing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "acknowledged", "tls"})
    void awaitConnectedSaysWhenThePeerIsUpTimesOutWhenItIsNotAndThrowsOnceItIsClosed(String mode) throws Exception {
        NodeConfig.Builder b = NodeConfig.builder().delivery(mode.equals("acknowledged") ? Delivery.ACKNOWLEDGED : Delivery.PLAIN);
        NodeConfig.Builder server = NodeConfig.builder().delivery(b.build().delivery());
        if (mode.equals("tls")) {
            b.tls(TlsFixtures.client());
            server.tls(TlsFixtures.server());
        }
        try (Node listener = server.name("up").start(); Node node = b.name("waiter").drainTimeout(Duration.ZERO).start()) {
            InetSocketAddress at = listener.listen(loopback0());
            Peer up = node.connect(mode.equals("tls") ? InetSocketAddress.createUnresolved("localhost", at.getPort()) : at);
            assertTrue(up.awaitConnected(Duration.ofSeconds(10)));
            assertEquals(PeerState.CONNECTED, up.state());
            Peer nowhere = node.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort()));
            assertFalse(nowhere.awaitConnected(Duration.ofMillis(200)), "nobody listens: false at the timeout");
            nowhere.close();
            assertThrows(IllegalStateException.class, () -> nowhere.awaitConnected(Duration.ofSeconds(1)), "closed: it never will");
        }
    }

    @Test
    void theHelloAndAnAttachedValueAreVisibleInHandlersAndEventsForBothDirectionsAfterAReconnectToo() throws Exception {
        for (Delivery delivery : Delivery.values()) {
            List<String> seenInHandler = new CopyOnWriteArrayList<>();
            List<String> helloInEvents = new CopyOnWriteArrayList<>();
            NodeEventListener events = e -> {
                switch (e) {
                    case Event.Connected c -> helloInEvents.add("connected:" + new String(c.hello(), StandardCharsets.UTF_8));
                    case Event.Reconnected r -> helloInEvents.add("reconnected:" + new String(r.hello(), StandardCharsets.UTF_8));
                    case Event.Accepted a -> helloInEvents.add("accepted:" + new String(a.hello(), StandardCharsets.UTF_8));
                    default -> { }
                }
            };
            MessageHandler naming = (p, payload, at) -> { // e.g. a subscriber name parsed from its hello, kept on the peer
                String hello = new String(p.hello(), StandardCharsets.UTF_8);
                if (p.attachment() == null) {
                    p.attach("name=" + hello);
                }
                seenInHandler.add(p.direction() + " " + p.attachment() + " " + text(payload));
            };
            try (Node listener = NodeConfig.builder().name("pub").delivery(delivery).hello("I am pub".getBytes(StandardCharsets.UTF_8))
                    .onEvent(events).onMessage(naming).start();
                 Node connector = NodeConfig.builder().name("sub").delivery(delivery).hello("I am sub".getBytes(StandardCharsets.UTF_8))
                         .onEvent(events).onMessage(naming).reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).start()) {
                Peer toPub = connector.connect(listener.listen(loopback0()));
                assertTrue(toPub.awaitConnected(Duration.ofSeconds(10)));
                Await.until(() -> toPub.hello().length > 0, "the listener's hello reaches the connector");
                assertEquals("I am pub", new String(toPub.hello(), StandardCharsets.UTF_8), delivery.toString());
                toPub.send("up".getBytes(StandardCharsets.UTF_8));
                Await.until(() -> seenInHandler.contains("INBOUND name=I am sub up"), () -> delivery + " handler: " + seenInHandler);
                Await.until(() -> seenInHandler.contains("OUTBOUND name=I am pub I am pub"), () -> delivery + " handler: " + seenInHandler);
                Peer inbound = listener.peers().get(0);
                assertEquals("I am sub", new String(inbound.hello(), StandardCharsets.UTF_8));
                if (delivery == Delivery.ACKNOWLEDGED) { // the handshake carries the hellos: the events have them
                    Await.until(() -> helloInEvents.contains("connected:I am pub") && helloInEvents.contains("accepted:I am sub"),
                            () -> "events: " + helloInEvents);
                }

                inbound.close(); // the connector reconnects: a new inbound peer, the same outbound one
                Await.until(() -> listener.peers().size() == 1 && listener.peers().get(0) != inbound
                        && listener.peers().get(0).hello().length > 0, "reconnected, and the new inbound peer has the hello");
                assertEquals("I am sub", new String(listener.peers().get(0).hello(), StandardCharsets.UTF_8));
                Await.until(() -> toPub.hello().length > 0, "the connector has the listener's hello again");
                assertEquals("name=I am pub", toPub.attachment(), "the attachment stays with the peer across reconnects");
                if (delivery == Delivery.ACKNOWLEDGED) {
                    Await.until(() -> helloInEvents.contains("reconnected:I am pub"), () -> "events: " + helloInEvents);
                }
            }
        }
    }

    @Test
    void addressesPrintAsHostAndPort() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node listener = NodeConfig.builder().name("l").start();
             Node node = NodeConfig.builder().name("n").onEvent(events::add).start()) {
            int port = listener.listen(loopback0()).getPort();
            Peer peer = node.connect("127.0.0.1", port);
            assertTrue(peer.awaitConnected(Duration.ofSeconds(10)));
            Await.until(() -> !events.isEmpty(), "an event");
            String printed = peer + " " + peer.stats() + " " + events;
            assertTrue(printed.contains("127.0.0.1:" + port), printed);
            assertFalse(printed.contains("unresolved"), printed);
            assertFalse(printed.contains("/127.0.0.1"), printed);
        }
    }
}
