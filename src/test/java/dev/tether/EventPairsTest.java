package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.EventOrder;
import dev.tether.testing.TlsFixtures;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Events pair up as {@link Event}'s Javadoc says: an inbound connection that fails its handshake was never
 * accepted, so it ends in ConnectFailed and never in a Disconnected; an inbound peer reads CLOSED (and its
 * id is unknown) while its Disconnected runs; ConnectFailed counts failed attempts in a row from 1, also
 * after a connection dropped.
 */
class EventPairsTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

    @Test
    void anInboundTlsHandshakeWithoutTheRequiredClientCertificateEndsInConnectFailedNeverInDisconnected() throws Exception {
        List<Event> atServer = new CopyOnWriteArrayList<>();
        List<Event> atClient = new CopyOnWriteArrayList<>();
        Node server = TlsTest.node("server", TlsFixtures.server().withClientAuth(TlsConfig.ClientAuth.REQUIRE))
                .onEvent(atServer::add).start();
        Node anonymous = TlsTest.node("anonymous", TlsFixtures.client()).onEvent(atClient::add).drainTimeout(Duration.ZERO).start();
        try (server; anonymous) {
            InetSocketAddress bound = server.listen(TlsTest.loopback0());
            anonymous.connect(TlsTest.byName(bound)).send(HELLO);
            awaitFailedInboundHandshakes(atServer, 2, f -> f.detail().contains("certificate"));
        }
        assertInboundHandshakesOnlyFailed(atServer);
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(atClient), "the client's events pair up too: " + atClient);
    }

    @Test
    void anAcknowledgedListenerMeetingAPlainSenderEndsTheInboundPeerInConnectFailedNeverInDisconnected() throws Exception {
        List<Event> atServer = new CopyOnWriteArrayList<>();
        List<Event> atClient = new CopyOnWriteArrayList<>();
        Node server = NodeConfig.builder().name("acked").delivery(Delivery.ACKNOWLEDGED).onEvent(atServer::add).start();
        Node plain = NodeConfig.builder().name("plain").reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.5)
                .onEvent(atClient::add).drainTimeout(Duration.ZERO).start();
        try (server; plain) {
            InetSocketAddress bound = server.listen(TlsTest.loopback0());
            plain.connect(bound).send(HELLO);
            awaitFailedInboundHandshakes(atServer, 2, f -> f.detail().contains("plain delivery"));
        }
        assertInboundHandshakesOnlyFailed(atServer);
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(atClient), "the sender's events pair up too: " + atClient);
    }

    @Test
    void anInboundPeerReadsClosedAndIsUnknownWhileItsDisconnectedRuns() throws Exception {
        record During(DisconnectReason reason, PeerState state, boolean known) { }
        List<During> during = new CopyOnWriteArrayList<>();
        List<Event> atServer = new CopyOnWriteArrayList<>();
        AtomicReference<Node> serverRef = new AtomicReference<>();
        CountDownLatch received = new CountDownLatch(2);
        Node server = NodeConfig.builder().name("server").onMessage((peer, payload, sentAt) -> received.countDown())
                .onEvent(e -> {
                    if (e instanceof Event.Disconnected d && d.peer().direction() == Direction.INBOUND) {
                        during.add(new During(d.reason(), d.peer().state(), serverRef.get().peer(d.peer().id()).isPresent()));
                    }
                    atServer.add(e);
                }).start();
        serverRef.set(server);
        Node client = NodeConfig.builder().name("client").drainTimeout(Duration.ZERO).start();
        try (server; client) {
            InetSocketAddress bound = server.listen(TlsTest.loopback0());
            Peer leaves = client.connect(bound);
            Peer stays = client.connect(bound);
            leaves.send(HELLO);
            stays.send(HELLO);
            assertTrue(received.await(10, TimeUnit.SECONDS), "both connections delivered");
            leaves.close(); // the sender ends the connection (with a reset: Peer.close drops what is queued)
            Await.until(() -> during.size() == 1, () -> "the first inbound peer's Disconnected: " + atServer);
            Peer inbound = server.peers().stream().filter(p -> p.direction() == Direction.INBOUND).findFirst().orElseThrow();
            inbound.close(); // this node ends it
            Await.until(() -> during.size() == 2, () -> "the second inbound peer's Disconnected: " + atServer);
        }
        assertEquals(List.of(new During(DisconnectReason.RESET, PeerState.CLOSED, false),
                new During(DisconnectReason.LOCAL_CLOSE, PeerState.CLOSED, false)), during,
                "inside Disconnected an inbound peer reads CLOSED and its id is unknown, whichever end ended it: " + atServer);
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(atServer), atServer.toString());
    }

    @Test
    void theFirstConnectFailedAfterADropIsAttemptOneAndTheNextCountUp() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node client = NodeConfig.builder().name("client").reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(20), 0.0)
                .onEvent(events::add).drainTimeout(Duration.ZERO).start()) {
            int port = BroadcastTest.unusedPort();
            InetSocketAddress address = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port);
            Peer peer = client.connect(address);
            assertEquals(List.of(1, 2, 3), attemptsAfter(events, 0, 3), "before the first connection: " + events);
            for (int drop = 1; drop <= 2; drop++) {
                try (Node server = NodeConfig.builder().name("server-" + drop).start()) {
                    server.listen(address);
                    Await.until(() -> peer.state() == PeerState.CONNECTED, () -> "connected: " + events);
                } // the listener and its connection go: the peer drops and retries
                Await.until(() -> events.stream().anyMatch(e -> e instanceof Event.Disconnected), () -> "dropped: " + events);
                int from = lastIndexOf(events, Event.Disconnected.class);
                assertEquals(List.of(1, 2, 3), attemptsAfter(events, from, 3), "after drop " + drop + ": " + events);
                events.clear();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Waits for {@code n} inbound peers that failed their handshake and closed, one of them with a HANDSHAKE_FAILED
     * that says why (the others may have met the client's reset first, which is a RESET).
     */
    private static void awaitFailedInboundHandshakes(List<Event> atServer, int n, Predicate<Event.ConnectFailed> why) {
        Await.until(() -> atServer.stream().filter(e -> e instanceof Event.PeerClosed c && c.peer().direction() == Direction.INBOUND)
                .count() >= n && atServer.stream().anyMatch(e -> e instanceof Event.ConnectFailed f
                        && f.reason() == DisconnectReason.HANDSHAKE_FAILED && why.test(f)),
                () -> n + " inbound peers failed their handshake and closed, one saying why: " + atServer);
    }

    /** Every inbound peer of the server failed its handshake: a ConnectFailed (attempt 1), a PeerClosed, nothing else. */
    private static void assertInboundHandshakesOnlyFailed(List<Event> atServer) {
        assertEquals(List.of(), EventOrder.violationsOfClosedNode(atServer), atServer.toString());
        List<Event.ConnectFailed> failed = atServer.stream().filter(e -> e instanceof Event.ConnectFailed)
                .map(Event.ConnectFailed.class::cast).toList();
        assertTrue(failed.size() >= 2, atServer::toString);
        for (Event.ConnectFailed f : failed) {
            assertEquals(Direction.INBOUND, f.peer().direction(), f.toString());
            assertEquals(1, f.attempt(), "an inbound peer has one attempt: " + f);
            assertTrue(Set.of(DisconnectReason.HANDSHAKE_FAILED, DisconnectReason.RESET, DisconnectReason.PEER_CLOSED).contains(f.reason()),
                    f.toString());
        }
        assertTrue(atServer.stream().noneMatch(e -> e instanceof Event.Accepted || e instanceof Event.Disconnected),
                "never accepted, so never disconnected: " + atServer);
        assertEquals(failed.size(), atServer.stream().filter(e -> e instanceof Event.PeerClosed).count(),
                "each failed inbound peer closed once: " + atServer);
    }

    /** The attempt numbers of the first {@code n} ConnectFailed events after index {@code from}, waiting for them. */
    private static List<Integer> attemptsAfter(List<Event> events, int from, int n) {
        Await.until(() -> failedAfter(events, from).size() >= n, () -> n + " failed attempts: " + events);
        return failedAfter(events, from).subList(0, n);
    }

    private static List<Integer> failedAfter(List<Event> events, int from) {
        List<Event> copy = List.copyOf(events);
        return copy.subList(Math.min(from, copy.size()), copy.size()).stream()
                .filter(e -> e instanceof Event.ConnectFailed).map(e -> ((Event.ConnectFailed) e).attempt()).toList();
    }

    private static int lastIndexOf(List<Event> events, Class<? extends Event> type) {
        List<Event> copy = List.copyOf(events);
        for (int i = copy.size() - 1; i >= 0; i--) {
            if (type.isInstance(copy.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
