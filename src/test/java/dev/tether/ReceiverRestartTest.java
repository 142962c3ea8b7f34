package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.ProcessedLog;
import dev.tether.testing.ResumingReceiver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across receiver restarts, with real processes: a receiver in a child JVM
 * ({@link ResumingReceiver}) logs every frame it processes, and with it its position, in one write; the test
 * streams numbered frames to it in acknowledged mode and kills it with SIGKILL at random points, restarting
 * it on the same port each time. With {@link ResumePositions} answered from its log, the log holds every
 * number exactly once, in order; without, the frames processed but not yet acknowledged when it died come again.
 */
class ReceiverRestartTest {
    static final long SEED = Long.getLong("tether.test.seed", System.nanoTime());
    static final int FRAMES = 200_000;
    static final int KILLS = 5;

    @TempDir
    Path dir;

    /** What one run left in the receiver's log, and what its incarnations printed. */
    record Outcome(List<ProcessedLog.Entry> log, long duplicates, long missing, long outOfOrder, long framesMissed,
                   List<String> kills, double seconds) {
        @Override
        public String toString() {
            return log.size() + " records, " + duplicates + " duplicates, " + missing + " missing, " + outOfOrder
                    + " out of order, framesMissed " + framesMissed + ", " + String.format("%.1f", seconds) + " s; kills: " + kills;
        }
    }

    @Test
    void aReceiverThatResumesFromItsOwnLogProcessesEveryFrameExactlyOnceAcrossKills() throws Exception {
        System.out.println("ReceiverRestartTest seed " + SEED + " (-Dtether.test.seed=" + SEED + " repeats it)");
        Outcome o = run(true, SEED);
        System.out.println("ReceiverRestartTest with ResumePositions: " + o);
        assertEquals(FRAMES, o.log().size(), o.toString());
        for (int i = 0; i < FRAMES; i++) {
            ProcessedLog.Entry e = o.log().get(i);
            if (e.sequence() != i + 1 || e.payloadNumber() != i) {
                throw new AssertionError("record " + i + " is " + e + ", expected sequence " + (i + 1) + " (frame " + i + "): " + o);
            }
        }
        assertEquals(1, o.log().stream().map(e -> new StreamId(e.session(), e.stream())).distinct().count(), "one stream");
        assertEquals(0, o.framesMissed(), "no gap counted: " + o);
    }

    @Test
    void withoutResumePositionsTheSameKillsRepeatFrames() throws Exception {
        System.out.println("ReceiverRestartTest seed " + SEED + " (-Dtether.test.seed=" + SEED + " repeats it)");
        Outcome o = run(false, SEED);
        System.out.println("ReceiverRestartTest without ResumePositions: " + o);
        assertEquals(0, o.missing(), "at-least-once: nothing missing: " + o);
        assertEquals(0, o.outOfOrder(), "each incarnation gets the frames in order: " + o);
        assertTrue(o.duplicates() > 0, "frames processed but not yet acknowledged when the receiver died come again: " + o);
        assertEquals(FRAMES + o.duplicates(), o.log().size(), o.toString());
    }

    /** Streams {@link #FRAMES} frames to a child receiver killed {@link #KILLS} times at random points of its log. */
    Outcome run(boolean resume, long seed) throws Exception {
        long start = System.nanoTime();
        Random random = new Random(seed);
        Path logFile = dir.resolve(resume ? "resume.log" : "forget.log");
        int port = freePort();
        List<Long> targets = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            targets.add(FRAMES / 20 + (long) random.nextInt(FRAMES * 17 / 20)); // between 5% and 90% of the stream
        }
        targets.sort(null);
        List<String> kills = new ArrayList<>();
        List<String> printed = new ArrayList<>();
        Receiver receiver = Receiver.start(port, logFile, resume);
        try (Node sender = NodeConfig.builder().name("sender").delivery(Delivery.ACKNOWLEDGED)
                .backlogLimits(BacklogLimits.ofFrames(FRAMES + 1_000)) // all of it fits: nothing refused while the receiver is down
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50), 0.5)
                .handshakeTimeout(Duration.ofSeconds(5)).start()) {
            Peer peer = sender.connect(receiver.address());
            ByteBuffer payload = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < FRAMES; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(payload.putLong(0, i)));
            }
            for (long target : targets) {
                long before = records(logFile);
                Receiver r = receiver;
                Await.until(Duration.ofSeconds(30), () -> records(logFile) >= Math.max(target, before + 1) || !r.alive(),
                        () -> "the receiver's log reaches " + target + " records: " + r.output());
                assertTrue(r.alive(), () -> "the receiver died on its own: " + r.output());
                long at = records(logFile);
                r.kill();
                kills.add(at + " records at " + String.format("%.1f", (System.nanoTime() - start) / 1e9) + " s");
                printed.addAll(r.lines);
                receiver = Receiver.start(port, logFile, resume);
            }
            Receiver last = receiver;
            Await.until(Duration.ofSeconds(60), () -> peer.stats().framesAcknowledged() >= FRAMES || !last.alive(),
                    () -> "every frame acknowledged: " + peer.stats() + "\n" + last.output());
            String end = last.finish();
            printed.addAll(last.lines);
            Matcher m = Pattern.compile("framesMissed (\\d+) gapWarnings (\\d+) errors (\\d+)").matcher(end);
            assertTrue(m.find(), end);
            assertEquals(0, Long.parseLong(m.group(3)), "no ERROR line in the last receiver: " + last.output());
            if (resume) {
                assertEquals(0, Long.parseLong(m.group(1)), "the last receiver counted no gap: " + end);
                assertEquals(0, Long.parseLong(m.group(2)), "the last receiver warned of no gap: " + end);
            }
        } finally {
            receiver.destroy();
        }
        return outcome(ProcessedLog.read(logFile), printed, kills, (System.nanoTime() - start) / 1e9);
    }

    /** Counts the log against 1..FRAMES; framesMissed is the sum of what each connection had counted at its first frame. */
    private static Outcome outcome(List<ProcessedLog.Entry> log, List<String> printed, List<String> kills, double seconds) {
        BitSet seen = new BitSet();
        long duplicates = 0;
        long outOfOrder = 0;
        long previous = 0;
        for (ProcessedLog.Entry e : log) {
            int seq = (int) e.sequence();
            if (seen.get(seq)) {
                duplicates++;
            } else {
                seen.set(seq);
                if (seq < previous) {
                    outOfOrder++;
                }
            }
            previous = seq;
        }
        long missing = FRAMES - seen.get(1, FRAMES + 1).cardinality();
        long framesMissed = 0;
        Pattern first = Pattern.compile("^first \\S+ \\d+ missed (\\d+)$");
        for (String line : printed) {
            Matcher m = first.matcher(line);
            if (m.find()) {
                framesMissed += Long.parseLong(m.group(1));
            }
        }
        return new Outcome(log, duplicates, missing, outOfOrder, framesMissed, kills, seconds);
    }

    private static long records(Path log) {
        try {
            return Files.exists(log) ? Files.size(log) / ProcessedLog.RECORD_BYTES : 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@link ResumingReceiver} in a JVM of its own, its standard output collected line by line. */
    static final class Receiver {
        private final Process process;
        private final int port;
        final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread pump;

        private Receiver(int port, Path log, boolean resume) throws IOException {
            this.port = port;
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:+UseSerialGC", "-cp", classPath(), ResumingReceiver.class.getName(),
                    Integer.toString(port), log.toString(), resume ? "resume" : "forget");
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            pump = Thread.ofVirtual().name("receiver-output").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ended) {
                    // the child is gone
                }
            });
            Await.until(Duration.ofSeconds(30), () -> lines.stream().anyMatch(l -> l.startsWith("listening ")) || !process.isAlive(),
                    () -> "the receiver listens on " + port + ": " + output());
            assertTrue(process.isAlive(), () -> "the receiver started: " + output());
        }

        static Receiver start(int port, Path log, boolean resume) throws IOException {
            return new Receiver(port, log, resume);
        }

        /** This JVM's class path, and its module path if the tests run on one: the child needs both, on its class path. */
        private static String classPath() {
            String modules = System.getProperty("jdk.module.path");
            String classes = System.getProperty("java.class.path");
            return modules == null || modules.isEmpty() ? classes : modules + java.io.File.pathSeparator + classes;
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        }

        boolean alive() {
            return process.isAlive();
        }

        /** SIGKILL: no shutdown hook, no flush, no close; whatever the kernel holds for its sockets is lost. */
        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Linux
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the receiver died");
            assertEquals(128 + 9, process.exitValue(), () -> "killed by SIGKILL: " + output());
            awaitOutput();
        }

        /** Ends it by closing its standard input; returns its last line. */
        String finish() throws IOException, InterruptedException {
            process.getOutputStream().close();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), () -> "the receiver exits: " + output());
            awaitOutput();
            assertEquals(0, process.exitValue(), () -> "the receiver exits 0: " + output());
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }

        void destroy() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            awaitOutput();
        }

        private void awaitOutput() throws InterruptedException {
            assertTrue(pump.join(Duration.ofSeconds(10)), "the receiver's output ended");
        }

        String output() {
            return String.join("\n", lines);
        }
    }
}
