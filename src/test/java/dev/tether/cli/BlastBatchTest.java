package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** blast --batch N (N payloads per call, the same stream on the wire), --max-age and --overflow. */
class BlastBatchTest {

    @Test
    void aBatchedBlastDeliversEveryNumberOnceInOrderIncludingAShortLastBatch() throws Exception {
        int port = TlsCliTest.freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--expect", "10000",
                "--idle-timeout", "10", "--json"}, sink.outStream, sink.errStream));
        TlsCliTest.awaitListening(sink);
        Cli blast = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "10000", "--size", "32", "--batch", "64", "--json");
        assertEquals(0, sink.await(Duration.ofSeconds(30)), sink::toString);
        assertEquals(0, blast.code(), blast::toString);
        assertEquals(64, Cli.jsonLong(blast.out(), "batch"));
        assertEquals(10000, Cli.jsonLong(blast.out(), "written"), blast::toString); // 156 batches of 64 and one of 16
        assertEquals(10000, Cli.jsonLong(sink.out(), "distinct"), sink::toString);
        assertEquals(0, Cli.jsonLong(sink.out(), "out_of_order") + Cli.jsonLong(sink.out(), "duplicates"), sink::toString);
    }

    @Test
    void aBatchThatCannotFitTheBoundIsAUsageError() {
        Cli zero = Cli.run("blast", "--to", "127.0.0.1:1", "--messages", "10", "--size", "8", "--batch", "0");
        assertEquals(2, zero.code(), zero::toString);
        assertTrue(zero.err().startsWith("error: --batch"), zero::toString);
        Cli big = Cli.run("blast", "--to", "127.0.0.1:1", "--messages", "10", "--size", "8", "--batch", "100",
                "--max-backlog-frames", "50");
        assertEquals(2, big.code(), big::toString);
        assertTrue(big.err().contains("smaller --batch"), big::toString);
    }

    @Test
    void theStaleDataPoliciesAreOptionsAndTheirDropsAreCountedApartInTheJson() throws Exception {
        int port = TlsCliTest.freePort();
        BlastToSinkTest.Running sink = new BlastToSinkTest.Running();
        sink.start("sink", () -> Main.run(new String[] {"sink", "--listen", "127.0.0.1:" + port, "--expect", "2000",
                "--idle-timeout", "10"}, sink.outStream, sink.errStream));
        TlsCliTest.awaitListening(sink);
        Cli blast = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "2000", "--size", "16", "--max-age", "60000",
                "--overflow", "drop-oldest", "--json");
        assertEquals(0, sink.await(Duration.ofSeconds(30)), sink::toString);
        assertEquals(0, blast.code(), blast::toString);
        assertEquals(0, Cli.jsonLong(blast.out(), "dropped_expired"), blast::toString);
        assertEquals(0, Cli.jsonLong(blast.out(), "dropped_evicted"), blast::toString);

        Cli bad = Cli.run("blast", "--to", "127.0.0.1:1", "--messages", "10", "--size", "8", "--overflow", "newest");
        assertEquals(2, bad.code(), bad::toString);
        assertTrue(bad.err().startsWith("error: --overflow expects reject or drop-oldest"), bad::toString);
        Cli age = Cli.run("blast", "--to", "127.0.0.1:1", "--messages", "10", "--size", "8", "--max-age", "0");
        assertEquals(2, age.code(), age::toString);
        assertTrue(age.err().startsWith("error: --max-age"), age::toString);
    }
}
