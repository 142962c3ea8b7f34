package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * blast never reports success for a stream a peer refused: it exits 1 with the peer's reason, and what it
 * wrote to a refused connection is not counted as written.
 */
class BlastRefusedTest {

    @Test
    void aPlainBlastToASinkThatRequiresAcknowledgementsExitsOneWithTheReasonAndCountsNothingWritten() throws Exception {
        int port = TlsCliTest.freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--ack", "--expect", "1000",
                "--idle-timeout", "3"}, sink.outStream, sink.errStream));
        TlsCliTest.awaitListening(sink);
        Cli blast = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "1000", "--size", "64", "--timeout", "20", "--json");
        sink.await(Duration.ofSeconds(30));
        assertEquals(1, blast.code(), blast::toString);
        assertTrue(blast.out().contains("\"ok\":false"), blast::toString);
        assertTrue(blast.out().contains("requires acknowledged delivery"), blast::toString);
        assertEquals(0, Cli.jsonLong(blast.out(), "written"), "nothing went into a stream the sink refused: " + blast);
        assertTrue(Cli.jsonLong(blast.out(), "elapsed_seconds") < 10, "it stopped at the refusal, not at --timeout: " + blast);
    }

    @Test
    void aPlainBlastToATlsSinkExitsOneWithTheReason() throws Exception {
        int port = TlsCliTest.freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--idle-timeout", "3",
                "--key-store", TlsCliTest.store("server"), "--store-password", "changeit"}, sink.outStream, sink.errStream));
        TlsCliTest.awaitListening(sink);
        Cli blast = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "1000", "--size", "64", "--timeout", "20");
        sink.await(Duration.ofSeconds(30));
        assertEquals(1, blast.code(), blast::toString);
        assertTrue(blast.out().contains("result: FAILED: 127.0.0.1:" + port + ": "), blast::toString);
        assertTrue(blast.out().contains("TLS"), blast::toString);
    }

    @Test
    void aBlastToAListenerThatAcceptsAndClosesWithoutReadingExitsOne() throws Exception {
        try (ServerSocket rude = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = Thread.ofVirtual().start(() -> {
                while (!rude.isClosed()) {
                    try {
                        Socket s = rude.accept();
                        s.close(); // takes the connection, reads nothing, hangs up
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Cli blast = Cli.run("blast", "--to", "127.0.0.1:" + rude.getLocalPort(), "--messages", "2000", "--size", "64",
                    "--timeout", "5", "--json");
            rude.close();
            closer.join();
            assertEquals(1, blast.code(), blast::toString);
            assertTrue(blast.out().contains("\"ok\":false"), blast::toString);
            // whether any frame left before the hang-up is a race (the listener may close before our writer first runs):
            // what did leave is reported as never accepted; if none did, the frames are still queued at the timeout
            assertTrue(blast.out().contains("never accepted")
                    || (blast.out().contains("queues not empty") && Cli.jsonLong(blast.out(), "written") == 0), blast::toString);
        }
    }
}
