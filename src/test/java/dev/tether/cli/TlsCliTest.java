package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** blast and sink over TLS with the test key stores (src/test/resources/tls), and their option errors. */
class TlsCliTest {
    static final String DIR = Path.of("src", "test", "resources", "tls").toString();

    static String store(String name) {
        return Path.of(DIR, name + ".p12").toString();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void blastReachesASinkOverMutualTls() throws Exception {
        int port = freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--expect", "20000",
                "--idle-timeout", "20", "--json", "--key-store", store("server"), "--trust-store", store("truststore"),
                "--store-password", "changeit", "--client-auth", "require"}, sink.outStream, sink.errStream));
        Cli blast = Cli.run("blast", "--to", "localhost:" + port, "--messages", "20000", "--size", "64", "--json",
                "--key-store", store("client"), "--trust-store", store("truststore"), "--store-password", "changeit");
        int sinkCode = sink.await(Duration.ofSeconds(30));
        assertEquals(0, blast.code(), blast::toString);
        assertEquals(20000, Cli.jsonLong(blast.out(), "written"), blast::toString);
        assertEquals(0, sinkCode, sink::toString);
        assertEquals(20000, Cli.jsonLong(sink.out(), "distinct"), sink::toString);
        assertTrue(sink.err.toString().contains("(TLS)"), sink::toString);
    }

    @Test
    void anUntrustedCertificateEndsInItsReasonAtBothEndsNotInATimeout() throws Exception {
        int port = freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--expect", "100",
                "--idle-timeout", "4", "--json", "--key-store", store("untrusted"), "--store-password", "changeit"},
                sink.outStream, sink.errStream));
        awaitListening(sink);
        String[] blastArgs = {"blast", "--to", "localhost:" + port, "--messages", "100", "--size", "8", "--timeout", "1.5",
                "--trust-store", store("truststore"), "--store-password", "changeit"};
        Cli text = Cli.run(blastArgs);
        Cli json = Cli.run(concat(blastArgs, "--json"));
        int sinkCode = sink.await(Duration.ofSeconds(30));

        assertEquals(1, text.code(), text::toString);
        // a failed handshake cannot succeed by waiting: blast stops at once and says why
        assertTrue(text.out().contains("result: FAILED: localhost:" + port + ": TLS handshake with localhost:" + port
                + " failed: the listener's certificate is not trusted"), text::toString);
        assertTrue(text.out().matches("(?s).*\\n  localhost:" + port + ": [\\d,]+ failures?, the last: handshake failed: .*"), text::toString);
        List<String> said = text.err().lines().filter(l -> l.startsWith("blast: localhost:" + port + ": ")).toList();
        assertEquals(1, said.size(), "one line when the peer starts failing, none for each retry: " + text);
        assertTrue(said.get(0).contains("handshake failed: TLS handshake with localhost:" + port + " failed: the listener's "
                + "certificate is not trusted"), text::toString);

        assertEquals(1, json.code(), json::toString);
        assertTrue(json.out().contains("\"error\":\"localhost:" + port + ": TLS handshake with localhost:" + port + " failed: "), json::toString);
        assertTrue(json.out().contains("\"last_failure\":{\"reason\":\"HANDSHAKE_FAILED\",\"detail\":\"TLS handshake with localhost:"
                + port + " failed: the listener's certificate is not trusted"), json::toString);
        assertTrue(Cli.jsonLong(json.out(), "failures") >= 1, json::toString);

        assertEquals(1, sinkCode, sink::toString);
        assertTrue(Cli.jsonLong(sink.out(), "refused_connections") >= 2, sink::toString);
        assertTrue(sink.out().contains("\"last_failure\":{\"reason\":\"HANDSHAKE_FAILED\",\"detail\":\"TLS handshake from 127.0.0.1:"),
                sink::toString);
        assertTrue(sink.out().contains("the client's log names the exact cause"), sink::toString);
        List<String> sinkSaid = sink.err.toString().lines().filter(l -> l.startsWith("sink: connections to 127.0.0.1:" + port + ": ")).toList();
        assertEquals(1, sinkSaid.size(), "one line when the address starts refusing: " + sink);
        assertTrue(sinkSaid.get(0).contains(": handshake failed: TLS handshake from 127.0.0.1:"), sink::toString);
    }

    @Test
    void aSinkWithoutExpectationsThatRefusedEveryConnectionSaysWhyInItsResult() throws Exception {
        int port = freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--idle-timeout", "2.5",
                "--key-store", store("server"), "--store-password", "changeit"}, sink.outStream, sink.errStream));
        awaitListening(sink);
        Cli plain = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "10", "--size", "8", "--timeout", "1");
        assertEquals(0, sink.await(Duration.ofSeconds(30)), sink::toString);
        assertTrue(sink.out().matches("(?s).*refused\\R.*127\\.0\\.0\\.1:" + port + "( +0){9} +[1-9][\\d,]*\\R.*"), sink::toString);
        assertTrue(sink.out().matches("(?s).*result: OK, but no numbered frame arrived; 127\\.0\\.0\\.1:" + port
                + " refused [\\d,]+ connections?, the last: handshake failed: TLS handshake from 127\\.0\\.0\\.1:.*"), sink::toString);
        assertTrue(sink.out().contains("the client is not speaking TLS"), sink::toString);
        // what blast says of it depends on what "written" counts, which is the core's business: not asserted here
        assertTrue(plain.code() <= 1, plain::toString);
    }

    static void awaitListening(BlastToSinkTest.Running sink) {
        dev.tether.testing.Await.until(() -> sink.err.toString().contains("sink: listening on"), () -> "the sink listens: " + sink);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void assertKeylessStoreRefused(Cli r) {
        assertEquals(2, r.code(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.err().lines().count(), r::toString);
        assertTrue(r.err().startsWith("error: --key-store " + store("truststore") + ": holds no private key"), r::toString);
    }

    @Test
    void tlsOptionMistakesAreUsageErrors() {
        Cli noPassword = Cli.run("sink", "--listen", "127.0.0.1:0", "--key-store", store("server"));
        assertEquals(2, noPassword.code());
        assertTrue(noPassword.err().contains("--store-password is required"), noPassword::toString);

        Cli missing = Cli.run("blast", "--to", "127.0.0.1:9", "--messages", "1", "--size", "8",
                "--trust-store", "/no/such/file.p12", "--store-password", "x");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--trust-store /no/such/file.p12: no such file"), missing::toString);

        Cli wrongPassword = Cli.run("sink", "--listen", "127.0.0.1:0", "--key-store", store("server"), "--store-password", "nope");
        assertEquals(2, wrongPassword.code());
        assertTrue(wrongPassword.err().contains("--key-store"), wrongPassword::toString);

        Cli badAuth = Cli.run("sink", "--listen", "127.0.0.1:0", "--key-store", store("server"), "--store-password", "changeit",
                "--client-auth", "sometimes");
        assertEquals(2, badAuth.code());
        assertTrue(badAuth.err().contains("--client-auth expects none, request or require"), badAuth::toString);

        // a trust store has certificates but no private key: a sink cannot present one, a blaster has none for mutual TLS
        assertKeylessStoreRefused(Cli.run("sink", "--listen", "127.0.0.1:0", "--key-store", store("truststore"),
                "--store-password", "changeit"));
        assertKeylessStoreRefused(Cli.run("blast", "--to", "127.0.0.1:9", "--messages", "1", "--size", "8",
                "--key-store", store("truststore"), "--store-password", "changeit"));

        Cli authWithoutKey = Cli.run("sink", "--listen", "127.0.0.1:0", "--client-auth", "require");
        assertEquals(2, authWithoutKey.code());
        assertTrue(authWithoutKey.err().contains("--client-auth needs --key-store"), authWithoutKey::toString);
    }
}
