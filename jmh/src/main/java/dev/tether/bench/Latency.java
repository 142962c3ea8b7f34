package dev.tether.bench;

import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongUnaryOperator;

/**
 * Latency at a fixed rate, tether against a raw socket in the same run. Three paths, each {@code rate} frames a
 * second per peer of {@code size} bytes to 1 or 4 peers, the receiving end in a separate process
 * ({@link Receiver} with {@code --latency}), which records for every frame its clock minus the frame's
 * timestamp (both processes read the same system clock) in an HdrHistogram:
 * <ul>
 *   <li>{@code raw}: per peer, a platform thread writes each frame (tether's wire format) with a blocking
 *       {@link SocketChannel} (TCP_NODELAY), stamped just before the write, to a raw receiver whose
 *       platform reader thread per connection reads with blocking reads. The floor: no hand-off at all.</li>
 *   <li>{@code tether-raw}: a tether node broadcasts each frame to the same raw receiver.</li>
 *   <li>{@code tether-tether}: a tether node broadcasts to a tether node, whose message handler records.</li>
 * </ul>
 * Three more paths, only when named in {@code --paths}, measure the design alone (no tether code), to say how
 * much of the gap the design's two hand-offs cost by themselves:
 * <ul>
 *   <li>{@code sketch-raw}: {@link DesignSketch} (per peer a deque under a lock, drained by a virtual-thread
 *       writer) to the raw receiver: the sending side's hand-off alone.</li>
 *   <li>{@code raw-vreader}: the raw sender to a raw receiver whose reader per connection is a virtual
 *       thread: the receiving side's hand-off alone (the JDK's poller wakes the reader).</li>
 *   <li>{@code sketch-vreader}: both: what the design costs with none of tether's work.</li>
 * </ul>
 *
 * <p>The senders are open-loop: frame {@code i} is due at {@code start + i / rate}, and its first 8 payload
 * bytes carry that intended time, so the receiver also reports latency from the intended time, which counts
 * the time a frame waited because its sender fell behind (coordinated omission). Senders sleep with
 * {@code parkNanos} between frames; at 100,000 frames/s the sleep is shorter than the timer slack (about
 * 50 µs on Linux), so on every path frames leave in small bursts, and latency from the intended time includes
 * up to that much pacing error. Latency from the frame's timestamp does not.
 *
 * <p>Every configuration (rate, peers) is measured {@code --runs} times; each run measures the three paths
 * one after the other, each with its own receiver process, its own sender and its own warm-up, so the paths
 * of one run see the same machine. The summary gives, per path, the median over the runs of each
 * percentile with the lowest and highest run, and the ratios tether / raw of the medians.
 *
 * <p>A plain main, not JMH: JMH times calls, and a fixed-rate, open-loop load is not a call.
 *
 * <p>Usage: {@code Latency [--rates 10000,100000] [--peers 1,4] [--paths raw,tether-raw,tether-tether]
 * [--size 64] [--warmup 1] [--duration 2] [--runs 3] [--out FILE] [--trace FILE]} (seconds). {@code --trace}
 * (for profiling, one path, one configuration, one run) writes, per frame of the measured phase, the
 * {@code System.nanoTime()} just before and just after the send call, for matching with system-call traces
 * ({@code perf record -k CLOCK_MONOTONIC}, the same clock).
 */
public final class Latency {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static Trace trace; // --trace: call times of the measured phase
    static final List<String> PATHS = List.of("raw", "tether-raw", "tether-tether");
    /** The design alone, for attributing the gap (not in the default run): see the class comment. */
    static final List<String> SKETCH_PATHS = List.of("sketch-raw", "raw-vreader", "sketch-vreader");
    static final List<String> PERCENTILES = List.of("p50", "p90", "p99", "p999", "max");

    public static void main(String[] args) throws Exception {
        List<Integer> rates = List.of(10_000, 100_000);
        List<Integer> peerCounts = List.of(1, 4);
        List<String> paths = PATHS;
        int size = 64;
        double warmup = 1;
        double duration = 2;
        int runs = 3;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--trace")) {
                trace = new Trace(Path.of(args[++i]));
                continue;
            }
            switch (args[i]) {
                case "--rates" -> rates = ints(args[++i]);
                case "--peers" -> peerCounts = ints(args[++i]);
                case "--paths" -> paths = List.of(args[++i].split(","));
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--duration" -> duration = Double.parseDouble(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (size < 8) {
            throw new IllegalArgumentException("--size must be at least 8: the payload carries the intended send time");
        }
        for (String p : paths) {
            if (!PATHS.contains(p) && !SKETCH_PATHS.contains(p)) {
                throw new IllegalArgumentException("--paths: unknown path " + p + "; known: " + PATHS + ", " + SKETCH_PATHS);
            }
        }
        List<Object> all = new ArrayList<>();
        List<Object> summary = new ArrayList<>();
        for (int peers : peerCounts) {
            for (int rate : rates) {
                Map<String, List<Map<String, Object>>> byPath = new LinkedHashMap<>();
                for (int run = 1; run <= runs; run++) {
                    for (String path : paths) {
                        Map<String, Object> r = run(path, rate, peers, size, warmup, duration);
                        r.put("run", run);
                        System.out.println("latency " + r);
                        all.add(r);
                        byPath.computeIfAbsent(path, k -> new ArrayList<>()).add(r);
                    }
                }
                summary.add(summarise(rate, peers, byPath));
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "latency");
        doc.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        doc.put("paths", Map.of(
                "raw", "a platform thread per peer writing each frame with a blocking SocketChannel -> a platform thread per connection reading with blocking reads (separate process)",
                "tether-raw", "tether Node.broadcast -> the same raw reader",
                "tether-tether", "tether Node.broadcast -> a tether node (plain delivery), its message handler records",
                "sketch-raw", "DesignSketch (deque + lock + virtual-thread writer, no tether code) -> the raw reader",
                "raw-vreader", "the raw sender -> a raw reader on a virtual thread per connection",
                "sketch-vreader", "DesignSketch -> a raw reader on a virtual thread per connection"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("sizeBytes", size);
        settings.put("warmupSeconds", warmup);
        settings.put("durationSeconds", duration);
        settings.put("runs", runs);
        settings.put("histogram", "HdrHistogram 3 significant digits, nanoseconds, reported in microseconds");
        doc.put("settings", settings);
        doc.put("summary", summary);
        doc.put("runs", all);
        String json = Json.write(doc);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, json);
            System.out.println("wrote " + out);
        } else {
            System.out.print(json);
        }
    }

    private static List<Integer> ints(String csv) {
        List<Integer> l = new ArrayList<>();
        for (String s : csv.split(",")) {
            l.add(Integer.parseInt(s.trim()));
        }
        return l;
    }

    // ------------------------------------------------------------------ one run of one path

    private static Map<String, Object> run(String path, int rate, int peers, int size, double warmup, double duration)
            throws IOException {
        String kind = path.equals("tether-tether") ? "tether" : "raw";
        String readers = path.endsWith("-vreader") ? "virtual" : "platform";
        try (ReceiverProcess receiver = ReceiverProcess.start("--kind", kind, "--ports", Integer.toString(peers),
                "--threads", readers, "--latency");
             Sender sender = sender(path, receiver, size)) {
            Pace warm = sender.send(rate, warmup);
            awaitDelivery(receiver, warm.sent * peers);
            receiver.reset();
            if (trace != null) {
                trace.start((long) (rate * duration) * peers);
            }
            Pace measured = sender.send(rate, duration);
            if (trace != null) {
                trace.write();
            }
            boolean all = awaitDelivery(receiver, measured.sent * peers);
            long[] l = receiver.latency();

            Map<String, Object> r = new LinkedHashMap<>();
            r.put("path", path);
            r.put("ratePerSecond", rate);
            r.put("peers", peers);
            r.put("framesSent", measured.sent * peers);
            r.put("framesDelivered", receiver.total());
            r.put("allDelivered", all);
            r.put("framesDropped", measured.dropped);
            r.put("achievedRatePerSecond", Math.round(measured.sent / measured.seconds));
            r.put("maxBehindScheduleMicros", measured.maxBehindNanos / 1000.0);
            r.put("fromSenderTimestampMicros", percentiles(l, 0));
            r.put("fromIntendedTimeMicros", percentiles(l, 6));
            return r;
        }
    }

    private static Sender sender(String path, ReceiverProcess receiver, int size) throws IOException {
        if (path.startsWith("raw")) {
            return new RawSender(receiver, size);
        }
        if (path.startsWith("sketch")) {
            return new SketchSender(receiver, size);
        }
        return new TetherSender(receiver, size);
    }

    private static Map<String, Object> percentiles(long[] l, int from) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", l[from]);
        for (int k = 0; k < PERCENTILES.size(); k++) {
            m.put(PERCENTILES.get(k), l[from + 1 + k] / 1000.0);
        }
        return m;
    }

    private static boolean awaitDelivery(ReceiverProcess receiver, long frames) {
        return receiver.await(frames, Duration.ofSeconds(30));
    }

    // ------------------------------------------------------------------ medians and ratios

    @SuppressWarnings("unchecked")
    private static Map<String, Object> summarise(int rate, int peers, Map<String, List<Map<String, Object>>> byPath) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("ratePerSecond", rate);
        s.put("peers", peers);
        Map<String, Object> paths = new LinkedHashMap<>();
        for (var e : byPath.entrySet()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("runs", e.getValue().size());
            p.put("allDelivered", e.getValue().stream().allMatch(r -> Boolean.TRUE.equals(r.get("allDelivered"))));
            for (String from : List.of("fromSenderTimestampMicros", "fromIntendedTimeMicros")) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (String q : PERCENTILES) {
                    double[] v = e.getValue().stream().mapToDouble(r -> (Double) ((Map<String, Object>) r.get(from)).get(q)).toArray();
                    m.put(q, median(v));
                    m.put(q + "Low", Arrays.stream(v).min().orElse(Double.NaN));
                    m.put(q + "High", Arrays.stream(v).max().orElse(Double.NaN));
                }
                p.put(from, m);
            }
            paths.put(e.getKey(), p);
        }
        s.put("paths", paths);
        Map<String, Object> ratios = new LinkedHashMap<>();
        Map<String, Object> raw = (Map<String, Object>) paths.get("raw");
        for (String t : paths.keySet()) {
            if (t.equals("raw")) {
                continue;
            }
            Map<String, Object> tp = (Map<String, Object>) paths.get(t);
            if (raw == null || tp == null) {
                continue;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            for (String from : List.of("fromSenderTimestampMicros", "fromIntendedTimeMicros")) {
                Map<String, Object> rr = new LinkedHashMap<>();
                for (String q : List.of("p50", "p99", "p999")) {
                    double a = (Double) ((Map<String, Object>) tp.get(from)).get(q);
                    double b = (Double) ((Map<String, Object>) raw.get(from)).get(q);
                    rr.put(q, Math.round(a / b * 100) / 100.0);
                }
                r.put(from, rr);
            }
            ratios.put(t + "/raw", r);
        }
        s.put("ratiosOfMedians", ratios);
        return s;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Call times of the measured phase: before and after each send call, nanoTime; one recording at a time. */
    private static final class Trace {
        private final Path file;
        private long[] times = new long[0];
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean on;

        Trace(Path file) {
            this.file = file;
        }

        void start(long calls) {
            times = new long[(int) Math.min(calls * 2, 1 << 26)];
            next.set(0);
            on = true;
        }

        void record(long before, long after) {
            if (!on) {
                return;
            }
            int i = next.getAndIncrement() * 2;
            if (i + 1 < times.length) {
                times[i] = before;
                times[i + 1] = after;
            }
        }

        void write() throws IOException {
            on = false;
            int n = Math.min(next.get() * 2, times.length);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i + 1 < n; i += 2) {
                sb.append(times[i]).append(' ').append(times[i + 1]).append('\n');
            }
            Files.writeString(file, sb);
            System.out.println("trace: " + n / 2 + " calls in " + file);
        }
    }

    // ------------------------------------------------------------------ senders

    private record Pace(long sent, long dropped, double seconds, long maxBehindNanos) {
    }

    /** Sends {@code rate} frames a second to every peer for some seconds, open loop. */
    private interface Sender extends AutoCloseable {
        Pace send(int rate, double seconds);

        @Override
        void close();
    }

    /**
     * Paces one loop: calls {@code sendOne(epochNanosDue)} for frame {@code i} at {@code start + i * period},
     * parking in between; returns frames, how many {@code sendOne} reported dropped, and the worst lateness.
     */
    private static Pace pace(long start, int rate, double seconds, LongUnaryOperator sendOne) {
        long period = 1_000_000_000L / rate;
        long count = (long) (rate * seconds);
        long epochOffset = Receiver.epochNanos() - System.nanoTime();
        long dropped = 0;
        long maxBehind = 0;
        for (long i = 0; i < count; i++) {
            long due = start + i * period;
            long now = System.nanoTime();
            while (now < due) {
                LockSupport.parkNanos(due - now);
                now = System.nanoTime();
            }
            maxBehind = Math.max(maxBehind, now - due);
            Trace t = trace;
            if (t == null) {
                dropped += sendOne.applyAsLong(due + epochOffset);
            } else {
                long before = System.nanoTime();
                dropped += sendOne.applyAsLong(due + epochOffset);
                t.record(before, System.nanoTime());
            }
        }
        return new Pace(count, dropped, (System.nanoTime() - start) / 1e9, maxBehind);
    }

    /** The raw baseline: a blocking channel and a platform thread per peer, each writing its own frames. */
    private static final class RawSender implements Sender {
        private final SocketChannel[] channels;
        private final int size;

        RawSender(ReceiverProcess receiver, int size) throws IOException {
            this.size = size;
            List<SocketChannel> opened = new ArrayList<>();
            try {
                for (var port : receiver.ports()) {
                    SocketChannel c = SocketChannel.open();
                    opened.add(c);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.connect(port);
                }
            } catch (IOException e) {
                closeAll(opened);
                throw e;
            }
            channels = opened.toArray(SocketChannel[]::new);
        }

        @Override
        public Pace send(int rate, double seconds) {
            long start = System.nanoTime() + 1_000_000;
            List<Thread> threads = new ArrayList<>();
            List<AtomicReference<Pace>> results = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (SocketChannel c : channels) {
                AtomicReference<Pace> result = new AtomicReference<>();
                results.add(result);
                threads.add(Thread.ofPlatform().name("raw-latency-writer").start(() -> {
                    try {
                        result.set(pace(start, rate, seconds, frameWriter(c)));
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException("raw writer failed", failure.get());
            }
            long behind = 0;
            double secs = 0;
            for (AtomicReference<Pace> r : results) {
                behind = Math.max(behind, r.get().maxBehindNanos);
                secs = Math.max(secs, r.get().seconds);
            }
            return new Pace(results.get(0).get().sent, 0, secs, behind);
        }

        /** Writes one whole frame per call, stamped with the clock just before the write. */
        private LongUnaryOperator frameWriter(SocketChannel c) {
            ByteBuffer frame = ByteBuffer.allocateDirect(12 + size).order(ByteOrder.LITTLE_ENDIAN);
            byte[] payload = Rig.payload(size);
            frame.putInt(0, size).put(12, payload);
            return due -> {
                frame.putLong(12, due).putLong(4, Receiver.epochNanos()).clear();
                try {
                    while (frame.hasRemaining()) {
                        c.write(frame);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return 0;
            };
        }

        @Override
        public void close() {
            closeAll(Arrays.asList(channels));
        }

        private static void closeAll(List<SocketChannel> channels) {
            for (SocketChannel c : channels) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    /** A tether node with one outbound peer per receiver port, broadcasting from the pacing thread. */
    private static final class TetherSender implements Sender {
        private final Node node;
        private final byte[] payload;
        private final int peers;

        TetherSender(ReceiverProcess receiver, int size) {
            node = NodeConfig.builder().name("latency").drainTimeout(Duration.ZERO).start();
            payload = Rig.payload(size);
            try {
                Peer[] ps = new Peer[receiver.ports().size()];
                for (int i = 0; i < ps.length; i++) {
                    ps[i] = node.connect(receiver.ports().get(i));
                }
                Rig.awaitConnected(ps, Duration.ofSeconds(30));
                peers = ps.length;
            } catch (RuntimeException e) {
                node.closeNow();
                throw e;
            }
        }

        @Override
        public Pace send(int rate, double seconds) {
            return pace(System.nanoTime() + 1_000_000, rate, seconds, due -> {
                LONG_LE.set(payload, 0, due); // broadcast encodes (copies) the payload before it returns
                return peers - node.broadcast(payload);
            });
        }

        @Override
        public void close() {
            node.closeNow();
        }
    }

    /** The design alone ({@link DesignSketch}), broadcasting from the pacing thread. */
    private static final class SketchSender implements Sender {
        private final DesignSketch sketch;
        private final byte[] payload;

        SketchSender(ReceiverProcess receiver, int size) throws IOException {
            sketch = new DesignSketch(receiver.ports());
            payload = Rig.payload(size);
        }

        @Override
        public Pace send(int rate, double seconds) {
            return pace(System.nanoTime() + 1_000_000, rate, seconds, due -> {
                LONG_LE.set(payload, 0, due); // the sketch copies the payload before it returns
                try {
                    sketch.broadcast(payload);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return 0;
            });
        }

        @Override
        public void close() {
            sketch.close();
        }
    }
}
