package dev.tether.bench;

import dev.tether.Event;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.internal.Internals;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Scale: one JVM, {@code --peers} (10,000) outbound peers, to listeners in a second process (a
 * {@link Receiver} with a virtual thread and a 4 KiB buffer per connection, spread over {@code --ports}
 * ports). Reports, as JSON:
 * <ul>
 *   <li>the time until every peer is connected (from the first {@code connect} call to the last
 *       {@code Connected} event);</li>
 *   <li>heap and threads per idle connected peer (heap used after a full GC, before and after);</li>
 *   <li>the time for one broadcast to reach all peers (from the call until the receiver has counted one
 *       frame per peer), several times;</li>
 *   <li>the time for all peers to reconnect after the receiver resets every connection at once (RST), with
 *       tether's default backoff (100 ms, 5 s, jitter 0.5): from the reset until the last
 *       {@code Reconnected} event; then one more broadcast to all;</li>
 *   <li>every error seen: failed connect attempts, disconnect reasons, exceptions that escaped tether
 *       threads, failures of our own event listener.</li>
 * </ul>
 * A plain main, not JMH. Usage: {@code Scale [--peers 10000] [--ports 10] [--broadcasts 5] [--out FILE]}.
 * Needs an open-file limit above {@code peers} in both processes.
 */
public final class Scale {
    private final LongAdder connected = new LongAdder();
    private final LongAdder reconnected = new LongAdder();
    private final LongAdder disconnected = new LongAdder();
    private final LongAdder connectFailed = new LongAdder();
    private final Map<String, LongAdder> disconnectReasons = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> connectFailures = new ConcurrentHashMap<>();
    private final List<String> firstFailures = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger eventIndex = new AtomicInteger();
    private volatile long[] eventTimes = new long[0]; // nanoTime of each Connected / Reconnected event in the current phase

    private Scale() {
    }

    public static void main(String[] args) throws Exception {
        int peers = 10_000;
        int ports = 10;
        int broadcasts = 5;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--peers" -> peers = Integer.parseInt(args[++i]);
                case "--ports" -> ports = Integer.parseInt(args[++i]);
                case "--broadcasts" -> broadcasts = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Map<String, Object> result = new Scale().run(peers, ports, broadcasts);
        String json = Json.write(result);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, json);
            System.out.println("wrote " + out);
        }
        System.out.print(json);
        System.exit(Boolean.TRUE.equals(result.get("ok")) ? 0 : 1);
    }

    private void onEvent(Event e) {
        switch (e) {
            case Event.Connected c -> {
                stamp();
                connected.increment();
            }
            case Event.Reconnected r -> {
                stamp();
                reconnected.increment();
            }
            case Event.Disconnected d -> {
                disconnected.increment();
                disconnectReasons.computeIfAbsent(d.reason().name(), k -> new LongAdder()).increment();
            }
            case Event.ConnectFailed f -> {
                connectFailed.increment();
                connectFailures.computeIfAbsent(f.reason().name(), k -> new LongAdder()).increment();
                if (firstFailures.size() < 10) {
                    firstFailures.add(f.toString());
                }
            }
            default -> { }
        }
    }

    private void stamp() {
        long[] times = eventTimes;
        int i = eventIndex.getAndIncrement();
        if (i < times.length) {
            times[i] = System.nanoTime();
        }
    }

    private void startPhase(int peers) {
        eventTimes = new long[peers];
        eventIndex.set(0);
    }

    /** When the peers (re)connected, in milliseconds after {@code t0}: p50, p90, p99, max. */
    private Map<String, Object> phaseSpread(long t0) {
        int n = Math.min(eventIndex.get(), eventTimes.length);
        long[] t = Arrays.copyOf(eventTimes, n);
        Arrays.sort(t);
        Map<String, Object> m = new LinkedHashMap<>();
        if (n == 0) {
            return m;
        }
        m.put("p50", millis(t[(int) Math.ceil(0.50 * n) - 1] - t0));
        m.put("p90", millis(t[(int) Math.ceil(0.90 * n) - 1] - t0));
        m.put("p99", millis(t[(int) Math.ceil(0.99 * n) - 1] - t0));
        m.put("max", millis(t[n - 1] - t0));
        return m;
    }

    private Map<String, Object> run(int peerCount, int portCount, int broadcasts) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("benchmark", "scale");
        r.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        r.put("peers", peerCount);
        r.put("listenerPorts", portCount);
        r.put("receiver", "raw frame counter in a separate process, a virtual thread and a 4 KiB buffer per connection");
        boolean ok = true;
        try (ReceiverProcess receiver = ReceiverProcess.start("--kind", "raw", "--ports", Integer.toString(portCount),
                "--threads", "virtual", "--read-buffer", "4096")) {
            long heapBefore = usedHeapAfterGc();
            int platformBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            int tetherBefore = Internals.liveThreadsInJvm();
            long rssBefore = rssBytes();

            Node node = NodeConfig.builder().name("scale").onEvent(this::onEvent).drainTimeout(Duration.ZERO).start();
            try {
                // ---- connect everything
                Peer[] peers = new Peer[peerCount];
                startPhase(peerCount);
                long t0 = System.nanoTime();
                for (int i = 0; i < peerCount; i++) {
                    peers[i] = node.connect(receiver.ports().get(i % portCount));
                }
                long callsDone = System.nanoTime();
                boolean allConnected = await(() -> connected.sum(), peerCount, Duration.ofMinutes(3));
                long connectedAt = System.nanoTime();
                r.put("connectCallsMillis", millis(callsDone - t0));
                r.put("allConnected", allConnected);
                r.put("timeToConnectAllMillis", millis(connectedAt - t0));
                r.put("connectedAfterMillis", phaseSpread(t0));
                boolean receiverHasAll = await(receiver::connections, peerCount, Duration.ofSeconds(30));
                r.put("receiverConnections", receiver.connections());
                ok &= allConnected && receiverHasAll;

                // ---- what an idle connected peer costs
                Rig.sleep(1000);
                long heapAfter = usedHeapAfterGc();
                int platformAfter = ManagementFactory.getThreadMXBean().getThreadCount();
                int tetherAfter = Internals.liveThreadsInJvm();
                long rssAfter = rssBytes();
                Map<String, Object> idle = new LinkedHashMap<>();
                idle.put("heapUsedBeforeMiB", heapBefore / 1048576.0);
                idle.put("heapUsedAfterMiB", heapAfter / 1048576.0);
                idle.put("heapBytesPerPeer", (heapAfter - heapBefore) / peerCount);
                idle.put("platformThreadsBefore", platformBefore);
                idle.put("platformThreadsAfter", platformAfter);
                idle.put("tetherVirtualThreadsPerPeer", (tetherAfter - tetherBefore) / (double) peerCount);
                if (rssBefore > 0) {
                    idle.put("rssBytesPerPeer", (rssAfter - rssBefore) / peerCount);
                }
                idle.put("openFileDescriptors", openFiles());
                r.put("idle", idle);

                // ---- one broadcast to everybody
                byte[] payload = Rig.payload(64);
                List<Object> reach = new ArrayList<>();
                for (int k = 0; k < broadcasts; k++) {
                    Map<String, Object> b = broadcastToAll(node, receiver, payload, peerCount);
                    ok &= Boolean.TRUE.equals(b.get("reachedAll"));
                    reach.add(b);
                }
                r.put("broadcasts", reach);

                // ---- every connection reset at once
                Rig.sleep(500);
                long reconnectsBefore = reconnected.sum();
                long failedBefore = connectFailed.sum();
                long disconnectsBefore = disconnected.sum();
                startPhase(peerCount);
                long s0 = System.nanoTime();
                int killed = receiver.killConnections();
                boolean allBack = await(() -> reconnected.sum() - reconnectsBefore, peerCount, Duration.ofMinutes(3));
                long backAt = System.nanoTime();
                int notConnected = 0;
                for (Peer p : peers) {
                    if (p.state() != PeerState.CONNECTED) {
                        notConnected++;
                    }
                }
                Map<String, Object> storm = new LinkedHashMap<>();
                storm.put("connectionsReset", killed);
                storm.put("disconnectsSeen", disconnected.sum() - disconnectsBefore);
                storm.put("allReconnected", allBack);
                storm.put("timeToReconnectAllMillis", millis(backAt - s0));
                storm.put("reconnectedAfterMillis", phaseSpread(s0));
                storm.put("failedConnectAttempts", connectFailed.sum() - failedBefore);
                storm.put("peersNotConnectedAfter", notConnected);
                boolean receiverHasAllAgain = await(receiver::connections, peerCount, Duration.ofSeconds(30));
                storm.put("receiverConnectionsAfter", receiver.connections());
                Map<String, Object> after = broadcastToAll(node, receiver, payload, peerCount);
                storm.put("broadcastAfter", after);
                r.put("resetStorm", storm);
                ok &= allBack && receiverHasAllAgain && notConnected == 0 && killed == peerCount && Boolean.TRUE.equals(after.get("reachedAll"));

                // ---- errors
                Map<String, Object> errors = new LinkedHashMap<>();
                errors.put("failedConnectAttempts", connectFailed.sum());
                errors.put("failedConnectReasons", counts(connectFailures));
                errors.put("firstFailedConnects", List.copyOf(firstFailures));
                errors.put("disconnectReasons", counts(disconnectReasons));
                errors.put("uncaughtInTetherThreads", Internals.uncaughtInJvm());
                errors.put("handlerErrors", node.stats().handlerErrors());
                r.put("errors", errors);
                ok &= Internals.uncaughtInJvm() == 0;
            } finally {
                long c0 = System.nanoTime();
                node.closeNow();
                r.put("closeMillis", millis(System.nanoTime() - c0));
            }
        }
        r.put("ok", ok);
        return r;
    }

    private static Map<String, Object> broadcastToAll(Node node, ReceiverProcess receiver, byte[] payload, int peerCount) {
        receiver.reset();
        long t = System.nanoTime();
        int queued = node.broadcast(payload);
        long called = System.nanoTime();
        boolean all = receiver.await(peerCount, Duration.ofSeconds(60));
        long reached = System.nanoTime();
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("queuedFor", queued);
        b.put("callMillis", millis(called - t));
        b.put("reachedAll", all);
        b.put("timeToReachAllMillis", millis(reached - t));
        return b;
    }

    private static Map<String, Object> counts(Map<String, LongAdder> m) {
        Map<String, Object> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v.sum()));
        return c;
    }

    private static boolean await(LongSupplier value, long target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (value.getAsLong() < target) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Rig.sleep(1);
        }
        return true;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resident set size from /proc (Linux), or -1. */
    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static long openFiles() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
