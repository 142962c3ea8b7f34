package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Argument parsing and exit codes of every subcommand, through {@link Main#run}. */
class MainTest {

    /** A bad command line: exit 2, nothing on stdout, exactly one line on stderr, and that line. */
    static void usageError(String expectedLine, String... args) {
        Cli r = Cli.run(args);
        assertEquals(2, r.code(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals("error: " + expectedLine + System.lineSeparator(), r.err(), r::toString);
    }

    @Test
    void noArgumentsPrintsUsageOnStderrAndExits2() {
        Cli r = Cli.run();
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("usage: java -jar tether.jar COMMAND"), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help"})
    void topLevelHelpPrintsUsageOnStdoutAndExits0(String flag) {
        Cli r = Cli.run(flag);
        assertEquals(0, r.code());
        assertTrue(r.out().contains("demo") && r.out().contains("blast") && r.out().contains("sink"), r.out());
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @CsvSource({
        "demo, --help, --frames N",
        "blast, --help, --max-backlog-frames N",
        "sink, -h, --idle-timeout SECONDS",
    })
    void helpAfterACommandPrintsItsOptionsAndExits0(String command, String flag, String option) {
        Cli r = Cli.run(command, flag);
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().startsWith("usage: java -jar tether.jar " + command), r.out());
        assertTrue(r.out().contains(option), r.out());
        assertEquals("", r.err());
    }

    @Test
    void helpWinsOverOtherwiseBadArguments() {
        Cli r = Cli.run("blast", "--foo", "--size", "3", "--help");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("--to HOST:PORT"), r.out());
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        usageError("unknown command 'bench' (expected demo, blast or sink; see --help)", "bench");
    }

    // ------------------------------------------------------------------ blast

    @Test
    void blastNeedsTo() {
        usageError("--to is required (HOST:PORT[,HOST:PORT...])", "blast", "--messages", "10", "--size", "8");
    }

    @Test
    void blastNeedsMessagesAndSize() {
        usageError("--messages is required (a positive integer)", "blast", "--to", "127.0.0.1:7000", "--size", "8");
        usageError("--size is required (a number of bytes, at least 8)", "blast", "--to", "127.0.0.1:7000", "--messages", "1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--messages | abc | --messages expects a positive integer, got 'abc'",
        "--messages | 0   | --messages expects a positive integer, got '0'",
        "--messages | -5  | --messages expects a positive integer, got '-5'",
        "--messages | 1.5 | --messages expects a positive integer, got '1.5'",
    })
    void blastRejectsABadMessageCount(String option, String value, String message) {
        usageError(message, "blast", "--to", "127.0.0.1:7000", option, value, "--size", "8");
    }

    @Test
    void blastSizeMustHoldTheSequenceNumber() {
        usageError("--size must be at least 8 bytes (the sequence number), got 4",
                "blast", "--to", "127.0.0.1:7000", "--messages", "10", "--size", "4");
        usageError("--size expects a number of bytes (at least 8), got 'big'",
                "blast", "--to", "127.0.0.1:7000", "--messages", "10", "--size", "big");
        usageError("--size must be at most 16777216 bytes (the largest frame), got 16777217",
                "blast", "--to", "127.0.0.1:7000", "--messages", "10", "--size", "16777217");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "localhost              | --to expects HOST:PORT[,HOST:PORT...], got 'localhost'",
        "127.0.0.1:             | --to expects HOST:PORT[,HOST:PORT...], got '127.0.0.1:'",
        ":7000                  | --to expects HOST:PORT[,HOST:PORT...], got ':7000'",
        "127.0.0.1:http         | --to expects a port number after the host, got 'http' in '127.0.0.1:http'",
        "127.0.0.1:70000        | --to: port must be 1 to 65535, got 70000 in '127.0.0.1:70000'",
        "127.0.0.1:0            | --to: port must be 1 to 65535, got 0 in '127.0.0.1:0'",
        "::1:7000               | --to expects HOST:PORT[,HOST:PORT...], got '::1:7000' (write an IPv6 address in brackets: [::1]:7000)",
        "127.0.0.1:7000,        | --to expects HOST:PORT[,HOST:PORT...], got '127.0.0.1:7000,'",
        "127.0.0.1:1,127.0.0.1:1 | --to lists 127.0.0.1:1 twice",
        "no-such-host.invalid:7000 | --to: unknown host 'no-such-host.invalid'",
    })
    void blastRejectsABadAddress(String to, String message) {
        usageError(message, "blast", "--to", to, "--messages", "10", "--size", "8");
    }

    @Test
    void blastRejectsUnknownOptionsStrayWordsAndMissingValues() {
        usageError("unknown option --foo for blast (see blast --help)",
                "blast", "--to", "127.0.0.1:7000", "--messages", "10", "--size", "8", "--foo");
        usageError("unexpected argument 'fast' for blast (see blast --help)",
                "blast", "--to", "127.0.0.1:7000", "fast");
        usageError("--messages needs a value (a positive integer)", "blast", "--to", "127.0.0.1:7000", "--messages");
        usageError("--messages needs a value (a positive integer)", "blast", "--messages", "--to", "127.0.0.1:7000");
        usageError("--messages is given twice", "blast", "--messages", "1", "--messages=2");
        usageError("--json takes no value, got 'yes'", "blast", "--json=yes");
    }

    @Test
    void blastChecksItsOtherNumbers() {
        String[] base = {"blast", "--to", "127.0.0.1:7000", "--messages", "10", "--size", "8"};
        usageError("--rate expects a positive number (frames per second), got '0'", concat(base, "--rate", "0"));
        usageError("--rate expects a positive number (frames per second), got 'fast'", concat(base, "--rate", "fast"));
        usageError("--timeout expects a positive number (seconds), got '-1'", concat(base, "--timeout=-1"));
        usageError("--max-backlog-frames expects a positive integer, got 'x'", concat(base, "--max-backlog-frames", "x"));
        usageError("--max-backlog-bytes must hold at least one frame (12 + --size = 20 bytes), got 10",
                concat(base, "--max-backlog-bytes", "10"));
        usageError("--hello expects a non-empty text", concat(base, "--hello="));
        usageError("--max-backlog-frames and --max-backlog-bytes cannot both be 9223372036854775807 (no limit): a backlog "
                + "needs a bound, so nothing grows without one; lower either",
                concat(base, "--max-backlog-frames", "9223372036854775807", "--max-backlog-bytes", "9223372036854775807"));
        usageError("--rate 1e-300 sends one frame every 1.00e+300 s, longer than --timeout (60.0 s): raise --rate or --timeout",
                concat(base, "--rate", "1e-300"));
        usageError("--rate 0.5 sends one frame every 2.00 s, longer than --timeout (1.5 s): raise --rate or --timeout",
                concat(base, "--rate", "0.5", "--timeout", "1.5"));
    }

    @Test
    void blastAtOneFramePerTimeoutIsAllowedAndEndsWithinItsTimeouts() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // nobody listens: the run ends at the flush timeout
        }
        long start = System.nanoTime();
        Cli r = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "2", "--size", "8", "--rate", "2", "--timeout", "0.5");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(1, r.code(), r::toString);
        assertTrue(seconds < 5, "one pacing wait of 0.5 s and a flush wait of 0.5 s, not more: " + seconds + " s\n" + r);
    }

    @Test
    void blastsProgressLineSaysWhenItWaitsForRoomAndForWhat() throws Exception {
        String[] big = {"--messages", "3000", "--size", "65536", "--timeout", "2.5"}; // 1,023 frames fill the 64 MiB default bound
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Cli down = Cli.run(concat(new String[] {"blast", "--to", "127.0.0.1:" + closed}, big));
        assertEquals(1, down.code(), down::toString);
        assertTrue(down.err().contains("127.0.0.1:" + closed + " DISCONNECTED q=1,023 (waiting for room: waiting for the peer to come back)"),
                down::toString);
        assertTrue(down.out().contains("result: FAILED: a peer's backlog stayed full for 2.5 s; gave up after 1,024 of 3,000 frames; 127.0.0.1:"
                + closed + ": connect failed: 127.0.0.1:" + closed + ": connection refused"), down::toString);

        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { // connects, never reads
            Cli slow = Cli.run(concat(new String[] {"blast", "--to", "127.0.0.1:" + silent.getLocalPort()}, big));
            assertEquals(1, slow.code(), slow::toString);
            assertTrue(slow.err().matches("(?s).*127\\.0\\.0\\.1:" + silent.getLocalPort()
                    + " CONNECTED q=[\\d,]+ \\(waiting for room: the peer reads slower than blast sends\\).*"), slow::toString);
        }
    }

    @Test
    void blastThatCannotWriteEveryFrameExits1() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nobody listens there
        }
        Cli r = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "100", "--size", "8", "--timeout", "0.3", "--json");
        assertEquals(1, r.code(), r::toString);
        assertEquals(false, Cli.jsonBoolean(r.out(), "ok"));
        assertEquals(0, Cli.jsonLong(r.out(), "written"));
        assertEquals(100, Cli.jsonLong(r.out(), "queued"));
        assertTrue(r.out().contains("\"error\":\"queues not empty after 0.3 s; 127.0.0.1:" + port + ": connect failed: 127.0.0.1:"
                + port + ": connection refused (is anything listening there?)\""), r.out());
        assertTrue(r.out().contains("\"last_failure\":{\"reason\":\"CONNECT_FAILED\",\"detail\":\"127.0.0.1:" + port
                + ": connection refused (is anything listening there?)\"}"), r.out());

        Cli dropping = Cli.run("blast", "--to", "127.0.0.1:" + port, "--messages", "100", "--size", "8",
                "--max-backlog-frames", "10", "--timeout", "0.3");
        assertEquals(1, dropping.code(), dropping::toString);
        assertTrue(dropping.out().contains("result: FAILED"), dropping.out());
        assertTrue(dropping.out().matches("(?s).*127\\.0\\.0\\.1:" + port + " +0 +90 +0 +0 +10 .*"), dropping.out());
    }

    // ------------------------------------------------------------------ sink

    @Test
    void sinkNeedsListen() {
        usageError("--listen is required (HOST:PORT[,HOST:PORT...])", "sink");
        usageError("--listen expects HOST:PORT[,HOST:PORT...], got '7000'", "sink", "--listen", "7000");
        usageError("--expect expects a positive integer, got 'all'", "sink", "--listen", "127.0.0.1:0", "--expect", "all");
        usageError("--expect must be below 2^48, got 281474976710656", "sink", "--listen", "127.0.0.1:0", "--expect", "281474976710656");
        usageError("--messages must be below 2^48, got 281474976710656",
                "blast", "--to", "127.0.0.1:7000", "--messages", "281474976710656", "--size", "8");
        usageError("--idle-timeout expects a positive number (seconds), got '0'", "sink", "--listen", "127.0.0.1:0", "--idle-timeout", "0");
        usageError("unknown option --messages for sink (see sink --help)", "sink", "--listen", "127.0.0.1:0", "--messages", "5");
    }

    @Test
    void sinkOnAnAddressInUseSaysSoAndExits2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            usageError("--listen 127.0.0.1:" + port + ": cannot bind: Address already in use",
                    "sink", "--listen", "127.0.0.1:0,127.0.0.1:" + port);
        }
    }

    @Test
    void sinkWithAnAddressNotOnThisHostSaysSoAndExits2() {
        Cli r = Cli.run("sink", "--listen", "192.0.2.1:7000"); // TEST-NET-1: never a local address
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().startsWith("error: --listen 192.0.2.1:7000: cannot bind: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void sinkThatGetsNothingOfWhatItExpectsExits1() {
        Cli r = Cli.run("sink", "--listen", "127.0.0.1:0", "--expect", "10", "--idle-timeout", "0.2", "--json");
        assertEquals(1, r.code(), r::toString);
        assertEquals(false, Cli.jsonBoolean(r.out(), "ok"));
        assertEquals(10, Cli.jsonLong(r.out(), "missing"));
        assertTrue(r.out().contains("\"stopped\":\"nothing arrived for 0.2 s\""), r.out());
    }

    @Test
    void sinkWithoutExpectationsThatGetsNothingExits0() {
        Cli r = Cli.run("sink", "--listen", "127.0.0.1:0", "--idle-timeout", "0.2");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("result: OK, but no numbered frame arrived"), r.out());
    }

    // ------------------------------------------------------------------ demo

    @Test
    void demoChecksItsOptions() {
        usageError("--frames expects a positive integer, got 'many'", "demo", "--frames", "many");
        usageError("--frames must be at least 3 (sink #2 stops a third of the way in), got 2", "demo", "--frames", "2");
        usageError("--outage expects a positive number (seconds), got '-2'", "demo", "--outage", "-2");
        usageError("unknown option --to for demo (see demo --help)", "demo", "--to", "127.0.0.1:7000");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
