package dev.tether;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.SeqRecorder;
import dev.tether.testing.TlsFixtures;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The guarantees of the plain transport, over TLS; and every way a TLS connection can fail, with its reason. */
class TlsTest {

    record Got(Peer peer, String text) { }

    static InetSocketAddress loopback0() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    static NodeConfig.Builder node(String name, TlsConfig tls) {
        NodeConfig.Builder b = NodeConfig.builder().name(name)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.5)
                .handshakeTimeout(Duration.ofSeconds(5));
        return tls == null ? b : b.tls(tls);
    }

    static MessageHandler texts(BlockingQueue<Got> q) {
        return (peer, payload, sentAt) -> {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            q.add(new Got(peer, new String(b, StandardCharsets.UTF_8)));
        };
    }

    static Got take(BlockingQueue<Got> q) throws InterruptedException {
        Got g = q.poll(10, TimeUnit.SECONDS);
        if (g == null) {
            throw new AssertionError("nothing within 10 s");
        }
        return g;
    }

    /** Connects to 127.0.0.1 by name "localhost", as the server certificate names both. */
    static InetSocketAddress byName(InetSocketAddress bound) {
        return InetSocketAddress.createUnresolved("localhost", bound.getPort());
    }

    @Test
    void framesTravelBothWaysAndBroadcastsReachEveryPeerOverTls() throws Exception {
        BlockingQueue<Got> atServer = new LinkedBlockingQueue<>();
        BlockingQueue<Got> atClients = new LinkedBlockingQueue<>();
        try (Node server = node("server", TlsFixtures.server()).onMessage(texts(atServer)).start();
             Node client = node("client", TlsFixtures.client()).onMessage(texts(atClients)).start()) {
            InetSocketAddress bound = server.listen(loopback0());
            Peer byIp = client.connect(bound);           // the certificate names 127.0.0.1 too
            Peer byHost = client.connect(byName(bound));
            byIp.send("one".getBytes(StandardCharsets.UTF_8));
            byHost.send("two".getBytes(StandardCharsets.UTF_8));
            assertEquals(java.util.Set.of("one", "two"), java.util.Set.of(take(atServer).text(), take(atServer).text()));
            Await.until(() -> server.peers().size() == 2, "two inbound peers");
            assertEquals(2, server.broadcast("all".getBytes(StandardCharsets.UTF_8)));
            assertEquals("all", take(atClients).text());
            assertEquals("all", take(atClients).text());
        }
    }

    @Test
    void theHelloAndTheReplayOfABoundedBacklogWorkOverTls() throws Exception {
        BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        Node first = node("receiver", TlsFixtures.server()).onMessage(texts(got)).start();
        InetSocketAddress address = first.listen(loopback0());
        try (Node sender = node("sender", TlsFixtures.client()).hello("HELLO".getBytes(StandardCharsets.UTF_8))
                .backlogLimits(BacklogLimits.ofFrames(50)).start()) {
            Peer peer = sender.connect(byName(address));
            assertEquals("HELLO", take(got).text());
            first.closeNow();
            Await.until(() -> peer.state() == PeerState.DISCONNECTED, "down");
            int accepted = 0;
            for (int i = 0; i < 80; i++) {
                if (peer.send(("frame " + i).getBytes(StandardCharsets.UTF_8)) == SendResult.ACCEPTED) {
                    accepted++;
                }
            }
            assertEquals(50, accepted, "the bound holds over TLS too");
            got.clear();
            try (Node second = node("receiver", TlsFixtures.server()).onMessage(texts(got)).start()) {
                second.listen(address);
                assertEquals("HELLO", take(got).text(), "the hello first on the new connection");
                for (int i = 0; i < 50; i++) {
                    assertEquals("frame " + i, take(got).text(), "then the backlog, in order, once");
                }
                Await.until(() -> peer.queuedFrames() == 0, "flushed");
                assertTrue(got.isEmpty(), "nothing more: " + got);
            }
        }
    }

    @Test
    void acknowledgedDeliveryStaysExactlyOnceOverTlsThroughCutsAndResets() throws Exception {
        int frames = 40_000;
        SeqRecorder recorder = new SeqRecorder();
        try (Node receiver = node("receiver", TlsFixtures.server()).delivery(Delivery.ACKNOWLEDGED).onMessage(recorder).start();
             FaultProxy proxy = new FaultProxy(receiver.listen(loopback0()));
             Node sender = node("sender", TlsFixtures.client()).delivery(Delivery.ACKNOWLEDGED)
                     .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50), 0.5).start()) {
            Peer peer = sender.connect(byName(proxy.address()));
            ByteBuffer payload = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            long links = 0;
            for (int i = 0; i < frames; i++) {
                payload.putLong(0, i);
                peer.send(payload);
                if (i % 4000 == 2000) {
                    long seen = links;
                    Await.until(() -> proxy.connections() > seen && proxy.openLinks() > 0, "a fresh connection to break");
                    links = proxy.connections();
                    if ((i / 4000) % 2 == 0) {
                        proxy.reset();
                    } else {
                        proxy.stall();
                        proxy.dropBufferedAndCut();
                        proxy.resume();
                    }
                }
            }
            Await.until(Duration.ofSeconds(30), () -> recorder.has(frames - 1), () -> "everything arrives: " + recorder);
            assertTrue(peer.awaitFlushed(Duration.ofSeconds(10)));
            assertEquals(frames, recorder.distinct(), recorder.toString());
            assertEquals(0, recorder.duplicates(), recorder.toString());
            assertEquals(0, recorder.reordered(), recorder.toString());
            assertTrue(proxy.connections() >= 10, "the connection really broke ten times: " + proxy.connections());
        }
    }

    @Test
    void mutualTlsAcceptsAClientWithATrustedCertificateAndRefusesOneWithout() throws Exception {
        List<Event> serverEvents = new CopyOnWriteArrayList<>();
        List<Event> anonymousEvents = new CopyOnWriteArrayList<>();
        BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        try (Node server = node("server", TlsFixtures.server().withClientAuth(TlsConfig.ClientAuth.REQUIRE))
                .onMessage(texts(got)).onEvent(serverEvents::add).start();
             Node withCert = node("with-cert", TlsConfig.of(TlsFixtures.context("client"))).start();
             Node anonymous = node("anonymous", TlsFixtures.client()).onEvent(anonymousEvents::add).drainTimeout(Duration.ZERO).start()) {
            InetSocketAddress bound = server.listen(loopback0());
            withCert.connect(byName(bound)).send("mutual".getBytes(StandardCharsets.UTF_8));
            assertEquals("mutual", take(got).text());
            anonymous.connect(byName(bound)).send("nope".getBytes(StandardCharsets.UTF_8));
            // an inbound connection that fails its handshake was never accepted: ConnectFailed, not Disconnected
            Await.until(() -> serverEvents.stream().anyMatch(e -> e instanceof Event.ConnectFailed d && d.reason() == DisconnectReason.HANDSHAKE_FAILED
                    && d.detail().contains("requires one")), () -> "the listener says the client had no certificate: " + serverEvents);
            // TLS 1.3: the client finishes its side of the handshake before the server checks its certificate, so it may
            // learn of the refusal as a Disconnected right after a Connected rather than as a ConnectFailed
            Await.until(() -> anonymousEvents.stream().filter(e -> (e instanceof Event.ConnectFailed f && f.reason() == DisconnectReason.HANDSHAKE_FAILED
                    && f.detail().contains("requires a client certificate")) || (e instanceof Event.Disconnected d
                    && d.reason() == DisconnectReason.HANDSHAKE_FAILED && d.detail().contains("requires a client certificate"))).count() >= 2,
                    () -> "the client keeps retrying, with the reason in each event: " + anonymousEvents);
            assertTrue(got.isEmpty());
        }
    }

    @Test
    void aCertificateThatIsUntrustedExpiredOrForAnotherHostEndsEachAttemptWithAReasonAndTheClientKeepsRetrying() throws Exception {
        assertRefused("untrusted", "not trusted");
        assertRefused("expired", "expired");
        assertRefused("wronghost", "does not name the host");
    }

    private static void assertRefused(String serverKeyStore, String reasonText) throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node server = node("server", TlsConfig.of(TlsFixtures.context(serverKeyStore))).start();
             Node client = node("client", TlsFixtures.client()).onEvent(events::add).drainTimeout(Duration.ZERO).start()) {
            Peer peer = client.connect(byName(server.listen(loopback0())));
            peer.send(new byte[] {1});
            Await.until(() -> events.stream().filter(e -> e instanceof Event.ConnectFailed).count() >= 2,
                    () -> serverKeyStore + ": retried with backoff: " + events);
            Event.ConnectFailed f = events.stream().filter(e -> e instanceof Event.ConnectFailed).map(Event.ConnectFailed.class::cast)
                    .reduce((a, b) -> b).orElseThrow();
            assertEquals(DisconnectReason.HANDSHAKE_FAILED, f.reason());
            assertTrue(f.detail().contains(reasonText), serverKeyStore + ": " + f.detail());
            assertTrue(f.attempt() >= 2);
            assertEquals(1, peer.queuedFrames(), "nothing goes to a server we do not trust");
        }
    }

    @Test
    void aPlainClientOnATlsListenerAndATlsClientOnAPlainListenerAreRefusedWithAReason() throws Exception {
        List<Event> tlsEvents = new CopyOnWriteArrayList<>();
        List<Event> plainEvents = new CopyOnWriteArrayList<>();
        try (Node tls = node("tls", TlsFixtures.server()).onEvent(tlsEvents::add).drainTimeout(Duration.ZERO).start();
             Node plain = node("plain", null).onEvent(plainEvents::add).drainTimeout(Duration.ZERO).start()) {
            plain.connect(tls.listen(loopback0())).send("plaintext".getBytes(StandardCharsets.UTF_8));
            Await.until(() -> tlsEvents.stream().anyMatch(e -> e instanceof Event.ConnectFailed d && d.reason() == DisconnectReason.HANDSHAKE_FAILED
                    && d.detail().contains("not speaking TLS")), () -> "the TLS listener names the problem: " + tlsEvents);

            tls.connect(byName(plain.listen(loopback0()))).send(new byte[] {1});
            Await.until(() -> tlsEvents.stream().filter(e -> e instanceof Event.ConnectFailed f && f.reason() == DisconnectReason.HANDSHAKE_FAILED).count() >= 2,
                    () -> "the TLS client fails its handshake and retries: " + tlsEvents);
            Await.until(() -> plainEvents.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.reason() == DisconnectReason.FRAME_TOO_LARGE),
                    () -> "the plain listener sees a ClientHello as an absurd frame: " + plainEvents);
        }
    }

    @Test
    void aTlsListenerWithoutAPrivateKeyRefusesToStartAndSaysWhatItNeeds() throws Exception {
        try (Node keyless = node("keyless", TlsFixtures.client()).start()) { // trusts the CA, holds no key of its own
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> keyless.listen(loopback0()));
            assertTrue(e.getMessage().contains("cannot listen with TLS: this node's SSLContext has no private key and certificate"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("a key store that holds this node's private key and certificate"), e.getMessage());
            assertTrue(keyless.peers().isEmpty());
        }
        try (Node withKey = node("with-key", TlsFixtures.server()).start()) {
            assertTrue(withKey.listen(loopback0()).getPort() > 0, "a key store with a key listens as before");
        }
    }

    @Test
    void aServerThatNeverAnswersTheTlsHandshakeTimesOutAndIsRetried() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node client = node("client", TlsFixtures.client()).handshakeTimeout(Duration.ofMillis(300))
                     .onEvent(events::add).drainTimeout(Duration.ZERO).start()) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // accept, then say nothing
                    }
                } catch (Exception closed) {
                    // test over
                }
            });
            client.connect(new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort()));
            Await.until(() -> events.stream().filter(e -> e instanceof Event.ConnectFailed).count() >= 2, () -> "timed out twice: " + events);
            Event.ConnectFailed f = events.stream().filter(e -> e instanceof Event.ConnectFailed).map(Event.ConnectFailed.class::cast).findFirst().orElseThrow();
            assertEquals(DisconnectReason.HANDSHAKE_FAILED, f.reason());
            assertTrue(f.detail().contains("did not finish within PT0.3S"), f.detail());
            silent.close();
            acceptor.join();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void theHelloPayloadIsUnchangedOverTls() throws Exception {
        BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        byte[] hello = new byte[100_000]; // larger than one TLS record
        for (int i = 0; i < hello.length; i++) {
            hello[i] = (byte) ('a' + i % 26);
        }
        try (Node server = node("server", TlsFixtures.server()).onMessage(texts(got)).start();
             Node client = node("client", TlsFixtures.client()).hello(hello).start()) {
            client.connect(byName(server.listen(loopback0())));
            assertArrayEquals(hello, take(got).text().getBytes(StandardCharsets.UTF_8));
        }
    }
}
