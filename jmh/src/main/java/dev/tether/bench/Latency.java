package dev.tether.bench;

import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency at a fixed rate: a tether node broadcasts {@code rate} frames a second (each peer gets
 * {@code rate} frames a second) to 1 or 4 peers; the receiving end is a tether node in a separate process
 * ({@link Receiver} {@code --kind tether --latency}) whose message handler records, for every frame, its
 * clock minus the frame's timestamp (the sender's clock when tether encoded it; both processes read the same
 * system clock). Reported: p50, p90, p99, p99.9 and max, in microseconds.
 *
 * <p>The sender is open-loop: frame {@code i} is due at {@code start + i / rate}, and its first 8 payload
 * bytes carry that intended time, so the receiver also reports latency from the intended time, which counts
 * the time a frame waited because the sender itself fell behind (coordinated omission). The sender sleeps
 * with {@code parkNanos} between frames; at 100,000 frames/s the sleep is shorter than the timer slack
 * (about 50 µs on Linux), so frames leave in small bursts, and latency from the intended time includes up
 * to that much pacing error. Latency from the sender's timestamp does not.
 *
 * <p>A plain main, not JMH: JMH times calls, and a fixed-rate, open-loop load is not a call.
 *
 * <p>Usage: {@code Latency [--rates 10000,100000] [--peers 1,4] [--size 64] [--warmup 2] [--duration 5]
 * [--out FILE]} (seconds).
 */
public final class Latency {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    public static void main(String[] args) throws Exception {
        List<Integer> rates = List.of(10_000, 100_000);
        List<Integer> peerCounts = List.of(1, 4);
        int size = 64;
        double warmup = 2;
        double duration = 5;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rates" -> rates = ints(args[++i]);
                case "--peers" -> peerCounts = ints(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--duration" -> duration = Double.parseDouble(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (size < 8) {
            throw new IllegalArgumentException("--size must be at least 8: the payload carries the intended send time");
        }
        List<Object> results = new ArrayList<>();
        for (int peers : peerCounts) {
            for (int rate : rates) {
                Map<String, Object> r = run(rate, peers, size, warmup, duration);
                System.out.println("latency " + r);
                results.add(r);
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "latency");
        doc.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        doc.put("receiver", "tether node (plain delivery) in a separate process, message handler records now - sentAt");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("sizeBytes", size);
        settings.put("warmupSeconds", warmup);
        settings.put("durationSeconds", duration);
        doc.put("settings", settings);
        doc.put("results", results);
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

    private static Map<String, Object> run(int rate, int peers, int size, double warmup, double duration) throws IOException {
        try (ReceiverProcess receiver = ReceiverProcess.start("--kind", "tether", "--ports", Integer.toString(peers), "--latency")) {
            Node node = NodeConfig.builder().name("latency").drainTimeout(Duration.ZERO).start();
            try {
                Peer[] ps = new Peer[peers];
                for (int i = 0; i < peers; i++) {
                    ps[i] = node.connect(receiver.ports().get(i));
                }
                Rig.awaitConnected(ps, Duration.ofSeconds(30));
                byte[] payload = Rig.payload(size);

                Pace warm = send(node, payload, rate, warmup);
                awaitDelivery(receiver, warm.sent * peers);
                receiver.reset();
                Pace measured = send(node, payload, rate, duration);
                boolean all = awaitDelivery(receiver, measured.sent * peers);
                long[] l = receiver.latency();

                Map<String, Object> r = new LinkedHashMap<>();
                r.put("ratePerSecond", rate);
                r.put("peers", peers);
                r.put("framesSent", measured.sent);
                r.put("framesDelivered", receiver.total());
                r.put("allDelivered", all);
                r.put("framesDropped", measured.dropped);
                r.put("achievedRatePerSecond", Math.round(measured.sent / measured.seconds));
                r.put("maxBehindScheduleMicros", measured.maxBehindNanos / 1000.0);
                r.put("fromSenderTimestampMicros", percentiles(l, 0));
                r.put("fromIntendedTimeMicros", percentiles(l, 6));
                return r;
            } finally {
                node.closeNow();
            }
        }
    }

    private static Map<String, Object> percentiles(long[] l, int from) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", l[from]);
        m.put("p50", l[from + 1] / 1000.0);
        m.put("p90", l[from + 2] / 1000.0);
        m.put("p99", l[from + 3] / 1000.0);
        m.put("p999", l[from + 4] / 1000.0);
        m.put("max", l[from + 5] / 1000.0);
        return m;
    }

    private static boolean awaitDelivery(ReceiverProcess receiver, long frames) {
        return receiver.await(frames, Duration.ofSeconds(30));
    }

    private record Pace(long sent, long dropped, double seconds, long maxBehindNanos) {
    }

    /** Broadcasts at {@code rate} a second for {@code seconds}, open loop. */
    private static Pace send(Node node, byte[] payload, int rate, double seconds) {
        long period = 1_000_000_000L / rate;
        long count = (long) (rate * seconds);
        long epochOffset = Receiver.epochNanos() - System.nanoTime();
        long start = System.nanoTime() + 1_000_000;
        int peers = node.peers().size();
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
            LONG_LE.set(payload, 0, due + epochOffset);
            dropped += peers - node.broadcast(payload);
        }
        return new Pace(count, dropped, (System.nanoTime() - start) / 1e9, maxBehind);
    }
}
