package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.StreamId;
import dev.tether.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sink --ack --resume-file}: a sink process killed with SIGKILL while blast sends, then started again
 * with the same file, ends with one summary over both runs in which every frame was processed exactly once.
 */
class SinkResumeTest {
    static final int N = 30_000;
    static final String RATE = "10000"; // three seconds of sending: time to kill the sink in the middle

    @TempDir
    Path dir;

    @Test
    void resumeFileWithoutAckIsAUsageError() {
        Cli c = Cli.run("sink", "--listen", "127.0.0.1:0", "--resume-file", dir.resolve("f").toString());
        assertEquals(Main.EXIT_USAGE, c.code(), c::toString);
        assertEquals("error: --resume-file needs --ack: only acknowledged delivery has positions to resume from\n", c.err());
        assertTrue(Files.notExists(dir.resolve("f")), "nothing created");
    }

    @Test
    void aFileThatIsNoResumeFileIsAUsageErrorAndLeftAlone() throws IOException {
        Path other = dir.resolve("notes.txt");
        Files.writeString(other, "some notes");
        Cli c = Cli.run("sink", "--listen", "127.0.0.1:0", "--ack", "--resume-file", other.toString(), "--idle-timeout", "0.1");
        assertEquals(Main.EXIT_USAGE, c.code(), c::toString);
        assertTrue(c.err().startsWith("error: --resume-file " + other + ": not a sink resume file"), c::toString);
        assertEquals("some notes", Files.readString(other));
    }

    @Test
    void aTornLastRecordIsCutOffAndEveryWholeOneCountedAgain() throws Exception {
        Path file = dir.resolve("torn.resume");
        StreamId stream = new StreamId(0x1234, 1);
        try (ResumeFile f = ResumeFile.open(file, 1, (i, length, prefix) -> { throw new AssertionError("a new file has nothing"); })) {
            for (long seq = 1; seq <= 3; seq++) {
                assertTrue(f.append(stream, seq, 0, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq - 1)));
            }
        }
        Files.write(file, new byte[17], StandardOpenOption.APPEND); // a record cut off by a kill
        StreamStats replayed = new StreamStats();
        try (ResumeFile f = ResumeFile.open(file, 1, (i, length, prefix) -> replayed.replay(length, prefix))) {
            assertEquals(3, f.replayed());
            assertEquals(3, f.lastProcessed(stream));
            assertEquals(0, f.lastProcessed(new StreamId(0x1234, 2)));
        }
        assertEquals(ResumeFile.RECORD_BYTES * 4L, Files.size(file), "header and three records: the torn one is gone");
        StreamStats.Snapshot s = replayed.snapshot(3);
        assertEquals(3, s.distinct());
        assertEquals(0, s.missing());
        assertEquals(48, s.bytes());
        assertEquals(0, replayed.lastFrameNanos(), "replayed frames are not arrivals");
    }

    @Test
    void aSinkKilledAndStartedAgainWithItsResumeFileProcessesEveryFrameExactlyOnce() throws Exception {
        int port = freePort();
        Path file = dir.resolve("sink.resume");
        List<String> sinkArgs = List.of("sink", "--listen", "127.0.0.1:" + port, "--ack", "--resume-file", file.toString(),
                "--expect", Integer.toString(N), "--idle-timeout", "20", "--json");
        List<SinkProcess> started = new ArrayList<>();
        try {
            run(port, file, sinkArgs, started);
        } finally {
            for (SinkProcess p : started) {
                p.destroy();
            }
        }
    }

    private void run(int port, Path file, List<String> sinkArgs, List<SinkProcess> started) throws Exception {
        SinkProcess first = SinkProcess.start(sinkArgs);
        started.add(first);
        BlastToSinkTest.Running blastRun = new BlastToSinkTest.Running();
        Blast blast = new Blast(Blast.config(Options.parse(Blast.SPEC, List.of("--to", "127.0.0.1:" + port, "--messages",
                Integer.toString(N), "--size", "32", "--rate", RATE, "--timeout", "30", "--ack", "--json"))), blastRun.outStream, blastRun.errStream);
        blastRun.start("blast", blast::run);

        Await.until(Duration.ofSeconds(20), () -> records(file) >= N / 3 || !first.alive(),
                () -> "a third of the frames recorded: " + records(file) + "\n" + first.output());
        first.kill();
        long recordedByFirst = records(file);
        assertTrue(recordedByFirst < N, "the first sink was killed before it had everything");

        SinkProcess second = SinkProcess.start(sinkArgs);
        started.add(second);
        assertEquals(0, blastRun.await(Duration.ofSeconds(40)), blastRun::toString);
        int code = second.await(Duration.ofSeconds(30));
        String json = second.lastLine();
        String log = "second sink (exit " + code + "):\n" + second.output() + "\nfirst sink:\n" + first.output() + "\nblast:\n" + blastRun;
        assertEquals(N, Cli.jsonLong(blastRun.out(), "written"), () -> "every frame acknowledged\n" + log);

        assertEquals(recordedByFirst, Cli.jsonLong(json, "resumed_frames"), () -> "the second run counts what the first recorded\n" + log);
        assertEquals(N, Cli.jsonLong(json, "frames"), () -> "every frame counted once over both runs: none processed twice\n" + log);
        assertEquals(N, Cli.jsonLong(json, "distinct"), log);
        assertEquals(0, Cli.jsonLong(json, "duplicates"), log);
        assertEquals(0, Cli.jsonLong(json, "missing"), log);
        assertEquals(0, Cli.jsonLong(json, "out_of_order"), log);
        assertEquals(0, Cli.jsonLong(json, "frames_missed"), () -> "no gap\n" + log);
        assertTrue(Cli.jsonBoolean(json, "ok"), log);
        assertEquals(0, code, log);
        assertEquals(N, records(file), "the file holds every frame once");
        assertTrue(second.output().contains("resuming from " + file + ": "), log);
    }

    private static long records(Path file) {
        try {
            return Files.exists(file) ? Math.max(0, Files.size(file) - ResumeFile.RECORD_BYTES) / ResumeFile.RECORD_BYTES : 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code tether sink} in a JVM of its own (so SIGKILL is a real kill), stdout and stderr collected by line. */
    static final class SinkProcess {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread pump;

        private SinkProcess(List<String> args) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            command.addAll(args);
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            pump = Thread.ofVirtual().name("sink-output").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ended) {
                    // the process is gone
                }
            });
            Await.until(Duration.ofSeconds(30), () -> lines.stream().anyMatch(l -> l.startsWith("sink: listening on")) || !process.isAlive(),
                    () -> "the sink listens: " + output());
            assertTrue(process.isAlive(), () -> "the sink started: " + output());
        }

        static SinkProcess start(List<String> args) throws IOException {
            return new SinkProcess(args);
        }

        boolean alive() {
            return process.isAlive();
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Linux
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the sink died");
            assertEquals(128 + 9, process.exitValue(), () -> "killed by SIGKILL: " + output());
            assertTrue(pump.join(Duration.ofSeconds(10)));
        }

        int await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the sink still runs after " + timeout + ": " + output());
            }
            assertTrue(pump.join(Duration.ofSeconds(10)));
            return process.exitValue();
        }

        void destroy() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }

        String lastLine() {
            return lines.stream().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse("");
        }

        String output() {
            return String.join("\n", lines);
        }
    }
}
