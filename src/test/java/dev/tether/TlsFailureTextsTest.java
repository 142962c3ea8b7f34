package dev.tether;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.TlsFixtures;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad-certificate and TLS-mismatch case the committed key stores allow, over real TLS: the texts both
 * ends get must name what a person has to change, and an end that only received an alert must not claim a
 * cause it cannot know.
 */
class TlsFailureTextsTest {
    static final String PLAIN = "plain";       // no TLS at all
    static final String NO_KEYS = "no-keys";   // TLS, trusting the test CA, no certificate of its own

    /**
     * One way to fail: the listener's and the connecting node's key stores, and the phrases each end's detail
     * text must hold, on every failed attempt looked at ({@code attempts}, the first ones).
     */
    record Case(String name, String listenerStore, TlsConfig.ClientAuth auth, String connectorStore, int attempts,
                List<String> listenerSays, List<String> connectorSays) {
        @Override
        public String toString() {
            return name;
        }
    }

    // what an end that only got "certificate_unknown" (or a hang-up) from a client must list: every cause it can mean
    static final List<String> REFUSED_BY_CLIENT = List.of("can mean", "trust", "name", "validity", "client's log");

    static Stream<Case> cases() {
        return Stream.of(
                new Case("server certificate from an untrusted CA", "untrusted", TlsConfig.ClientAuth.NONE, NO_KEYS, 2,
                        REFUSED_BY_CLIENT,
                        List.of("the listener's certificate is not trusted", "add the CA that signed it to this node's trust store")),
                new Case("server certificate for another host", "wronghost", TlsConfig.ClientAuth.NONE, NO_KEYS, 2,
                        REFUSED_BY_CLIENT,
                        List.of("does not name the host this node connected to", "subject alternative names", "SAN=dns:")),
                new Case("expired server certificate", "expired", TlsConfig.ClientAuth.NONE, NO_KEYS, 2,
                        List.of("can mean", "validity", "client's log"),
                        List.of("the listener's certificate has expired", "renew")),
                new Case("no client certificate for a listener that requires one", "server", TlsConfig.ClientAuth.REQUIRE, NO_KEYS, 2,
                        List.of("the client sent no certificate", "requires one", "key store", "CA this listener trusts"),
                        List.of("requires a client certificate", "sent none", "key store", "CA the listener trusts")),
                new Case("client certificate from an untrusted CA", "server", TlsConfig.ClientAuth.REQUIRE, "untrusted", 2,
                        List.of("the client sent no certificate", "CA this listener trusts"),
                        List.of("requires a client certificate", "CA the listener trusts")),
                new Case("expired client certificate", "server", TlsConfig.ClientAuth.REQUIRE, "expired", 2,
                        List.of("the client's certificate has expired", "renew"),
                        List.of("can mean", "validity", "listener's log")),
                new Case("plain client on a TLS listener", "server", TlsConfig.ClientAuth.NONE, PLAIN, 1,
                        List.of("the client is not speaking TLS", "connect with TLS", "or listen without TLS"),
                        List.of("TLS listener", "give this node TLS")),
                new Case("TLS client on a plain listener", PLAIN, TlsConfig.ClientAuth.NONE, NO_KEYS, 1,
                        List.of("speaks TLS", "give this node TLS"),
                        List.of("plain (non-TLS) listener", "log")));
    }

    static TlsConfig tls(String store, TlsConfig.ClientAuth auth) {
        return store.equals(PLAIN) ? null : TlsConfig.of(TlsFixtures.context(store.equals(NO_KEYS) ? null : store)).withClientAuth(auth);
    }

    static Node start(String name, TlsConfig tls, List<String> failures) {
        NodeConfig.Builder b = NodeConfig.builder().name(name)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.5)
                .handshakeTimeout(Duration.ofSeconds(5)).drainTimeout(Duration.ZERO)
                .onEvent(e -> {
                    switch (e) {
                        case Event.ConnectFailed f -> failures.add(f.reason() + ": " + f.detail());
                        case Event.Disconnected d when d.reason() != DisconnectReason.LOCAL_CLOSE -> failures.add(d.reason() + ": " + d.detail());
                        default -> { }
                    }
                });
        return (tls == null ? b : b.tls(tls)).start();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bothEndsSayWhatToChange(Case c) throws Exception {
        List<String> atListener = new CopyOnWriteArrayList<>();
        List<String> atConnector = new CopyOnWriteArrayList<>();
        try (Node listener = start("listener", tls(c.listenerStore(), c.auth()), atListener);
             Node connector = start("connector", tls(c.connectorStore(), TlsConfig.ClientAuth.NONE), atConnector)) {
            InetSocketAddress bound = listener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            // by name: the good server certificate names localhost, so only the case's own fault can fail the handshake
            connector.connect(InetSocketAddress.createUnresolved("localhost", bound.getPort())).send(new byte[] {1, 2, 3});
            Await.until(() -> atListener.size() >= c.attempts() && atConnector.size() >= c.attempts(),
                    () -> c + ": failures at both ends; listener " + atListener + ", connector " + atConnector);
        }
        for (String text : atListener.subList(0, c.attempts())) {
            assertSays(c, "listener", text, c.listenerSays());
        }
        for (String text : atConnector.subList(0, c.attempts())) {
            assertSays(c, "connector", text, c.connectorSays());
        }
    }

    private static void assertSays(Case c, String end, String text, List<String> phrases) {
        for (String phrase : phrases) {
            assertTrue(text.contains(phrase), c + ", " + end + " must say \"" + phrase + "\": " + text);
        }
        assertFalse(text.contains("make sure it trusts the CA that signed ours"), c + ", " + end + " claims one cause of several: " + text);
    }
}
