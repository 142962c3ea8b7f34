package dev.tether.cli;

import dev.tether.BacklogLimits;
import dev.tether.Delivery;
import dev.tether.DisconnectPolicy;
import dev.tether.DisconnectReason;
import dev.tether.Event;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.OverflowPolicy;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.PeerStats;
import dev.tether.TlsConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code tether blast}: one outbound peer per address, N numbered frames broadcast to all of them, through
 * disconnects and reconnects; then waits for every queue to empty and says whether every frame was
 * written to every peer.
 */
final class Blast {
    static final String USAGE = """
            usage: java -jar tether.jar blast --to HOST:PORT[,HOST:PORT...] --messages N --size BYTES [options]

            Connects one tether peer to each address and broadcasts N frames to all of them. Each payload
            is BYTES long and starts with its sequence number, 0 to N-1, as an 8-byte little-endian integer
            (what sink counts). Peers that go away are reconnected and their backlog replayed. When all N
            are queued, blast waits until every peer's queue is empty, then exits. Progress once a second on
            stderr (saying when blast waits for room, and for what), a summary on stdout: per peer what was
            written, dropped and still queued, and how often it failed to connect or lost its connection,
            with the last failure's reason and detail (JSON: failures, last_failure), which a FAILED result
            repeats. stderr says when a peer starts failing, then at most once every 10 s while it goes on
            failing for the same reason.

            By default nothing is dropped: a peer whose backlog is full (default bound 1,000,000 frames and
            64 MiB) makes blast wait for room, up to --timeout. With --max-backlog-frames,
            --max-backlog-bytes or --drop-on-disconnect, blast never waits: frames that do not fit, or that
            are sent while a peer is down, are dropped, counted and reported.

            options:
              --to HOST:PORT[,...]       peers to send to (one outbound connection each)
              --messages N               frames to send to each peer (below 2^48)
              --size BYTES               payload size, at least 8 (the sequence number), at most 16 MiB
              --rate PER_SEC             frames per second (default: as fast as the peers take them); one
                                         frame's interval, 1/PER_SEC s, may not exceed --timeout
              --batch N                  payloads per call (default 1): N frames encoded together into one
                                         record, one queue slot per peer (Node.broadcastBatch)
              --hello TEXT               a hello payload written first on every connection (sink counts
                                         it as unnumbered or short)
              --max-backlog-frames N     bound each peer's backlog to N frames, and drop what does not fit
              --max-backlog-bytes N      bound each peer's backlog to N bytes (12-byte header + payload per
                                         frame), and drop what does not fit; a backlog needs a bound, so
                                         the two may not both be 9223372036854775807 (no limit)
              --max-age MILLIS           drop frames that waited longer than this in a backlog (stale data),
                                         counted as expired, instead of writing them
              --overflow reject|drop-oldest
                                         at a full backlog: refuse the new frame (default), or evict the
                                         oldest queued frames for it (counted as evicted)
              --drop-on-disconnect       drop a peer's backlog when it disconnects, and what is sent while
                                         it is down, instead of replaying it
              --timeout SECONDS          longest wait for room in a full backlog, and for every queue to
                                         empty at the end (default 60)
              --ack                      acknowledged delivery: "written" means acknowledged by the peer,
                                         which must run sink --ack
            """ + TlsOptions.HELP + """
              --json                     print the summary as one JSON object on stdout
              --verbose                  tether's own log lines on stderr
              -h, --help                 this text

            exit status: 0 every frame written (acknowledged) to every peer; 1 some were not (dropped,
                         still queued at the timeout); 2 bad usage
            """;

    static final Options.Spec SPEC = TlsOptions.add(new Options.Spec("blast"), false)
            .value("--to", HostPort.FORMAT)
            .value("--messages", "a positive integer")
            .value("--size", "a number of bytes, at least 8")
            .value("--rate", "a positive number of frames per second")
            .value("--batch", "a positive number of payloads per call")
            .value("--hello", "a text")
            .value("--max-backlog-frames", "a positive integer")
            .value("--max-backlog-bytes", "a positive integer")
            .flag("--drop-on-disconnect")
            .value("--max-age", "a positive number of milliseconds")
            .value("--overflow", "reject or drop-oldest")
            .value("--timeout", "a positive number of seconds")
            .flag("--ack")
            .flag("--json")
            .flag("--verbose");

    /** The parsed command line. */
    record Config(List<HostPort> to, long messages, int size, double rate, int batch, byte[] hello, BacklogLimits limits,
                  boolean dropping, boolean dropOnDisconnect, Duration maxAge, OverflowPolicy overflow, Duration timeout,
                  boolean ack, boolean json, TlsConfig tls) {
    }

    static Config config(Options o) throws UsageException {
        List<HostPort> to = o.addresses("--to", false);
        for (HostPort hp : to) {
            hp.resolve("--to"); // a host that does not resolve now is most likely a typo; blast still resolves it again on every connect
        }
        long messages = o.positiveLong("--messages");
        long size = sizeOf(o.required("--size"));
        if (size < 8) {
            throw new UsageException("--size must be at least 8 bytes (the sequence number), got " + size);
        }
        if (size > NodeConfig.DEFAULT_MAX_FRAME_SIZE) {
            throw new UsageException("--size must be at most " + NodeConfig.DEFAULT_MAX_FRAME_SIZE
                    + " bytes (the largest frame), got " + size);
        }
        if (messages >= SeqSet.LIMIT) {
            throw new UsageException("--messages must be below 2^48, got " + messages);
        }
        double rate = o.positiveNumber("--rate", 0, "frames per second");
        byte[] hello = new byte[0];
        if (o.has("--hello")) {
            hello = o.required("--hello").getBytes(StandardCharsets.UTF_8);
            if (hello.length == 0) {
                throw new UsageException("--hello expects a non-empty text");
            }
            if (hello.length > NodeConfig.DEFAULT_MAX_FRAME_SIZE) {
                throw new UsageException("--hello must be at most " + NodeConfig.DEFAULT_MAX_FRAME_SIZE + " bytes, got " + hello.length);
            }
        }
        boolean ack = o.flag("--ack");
        long maxFrames = o.positiveLong("--max-backlog-frames", BacklogLimits.DEFAULT.maxFrames());
        long maxBytes = o.positiveLong("--max-backlog-bytes", BacklogLimits.DEFAULT.maxBytes());
        if (maxFrames == Long.MAX_VALUE && maxBytes == Long.MAX_VALUE) {
            throw new UsageException("--max-backlog-frames and --max-backlog-bytes cannot both be " + Long.MAX_VALUE
                    + " (no limit): a backlog needs a bound, so nothing grows without one; lower either");
        }
        if (maxBytes < size + 12) {
            throw new UsageException("--max-backlog-bytes must hold at least one frame (12 + --size = " + (size + 12)
                    + " bytes), got " + maxBytes);
        }
        boolean dropOnDisconnect = o.flag("--drop-on-disconnect");
        Duration maxAge = o.has("--max-age") ? Duration.ofMillis(o.positiveLong("--max-age")) : null;
        OverflowPolicy overflow = switch (o.value("--overflow").orElse("reject")) {
            case "reject" -> OverflowPolicy.REJECT_NEW;
            case "drop-oldest" -> OverflowPolicy.DROP_OLDEST;
            default -> throw new UsageException("--overflow expects reject or drop-oldest, got '" + o.required("--overflow") + "'");
        };
        boolean dropping = dropOnDisconnect || o.has("--max-backlog-frames") || o.has("--max-backlog-bytes")
                || maxAge != null || overflow == OverflowPolicy.DROP_OLDEST;
        Duration timeout = o.seconds("--timeout", Duration.ofSeconds(60));
        if (rate > 0 && 1 / rate > timeout.toNanos() / 1e9) {
            throw new UsageException("--rate " + o.required("--rate") + " sends one frame every "
                    + String.format(java.util.Locale.ROOT, "%.3g", 1 / rate) + " s, longer than --timeout ("
                    + Table.decimal(timeout.toNanos() / 1e9) + " s): raise --rate or --timeout");
        }
        long batch = o.positiveLong("--batch", 1);
        if (batch > 1 << 16) {
            throw new UsageException("--batch must be at most 65536 payloads per call, got " + batch);
        }
        if (batch > maxFrames || batch * (size + 12) > maxBytes) {
            throw new UsageException("--batch " + batch + " of " + (size + 12) + "-byte frames does not fit the backlog bound "
                    + "(--max-backlog-frames " + maxFrames + ", --max-backlog-bytes " + maxBytes + "): use a smaller --batch");
        }
        return new Config(to, messages, (int) size, rate, (int) batch, hello, BacklogLimits.of(maxFrames, maxBytes), dropping,
                dropOnDisconnect, maxAge, overflow, timeout, ack, o.flag("--json"), TlsOptions.parse(o, false));
    }

    private static long sizeOf(String v) throws UsageException {
        try {
            return Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException("--size expects a number of bytes (at least 8), got '" + v + "'");
        }
    }

    private final Config config;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicLong sent = new AtomicLong();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile List<Peer> peers = List.of();
    private final Map<HostPort, Integer> indexOf = new HashMap<>(); // --to entry -> its place; filled before the node starts
    private final List<FailureCount> failures = new ArrayList<>();
    private final FailureLines failureLines;
    private volatile String refusal;       // the first time a peer refused the stream: blast stops at once
    private volatile Thread runner;        // the thread in run(), woken from its waits by a refusal

    Blast(Config config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
        this.failureLines = new FailureLines(err, "blast");
        for (int i = 0; i < config.to().size(); i++) {
            indexOf.put(config.to().get(i), i);
            failures.add(new FailureCount());
        }
    }

    /** Runs to the end; returns the exit code. */
    int run() throws InterruptedException {
        NodeConfig.Builder b = NodeConfig.builder()
                .name("blast")
                .hello(config.hello())
                .backlogLimits(config.limits())
                .delivery(config.ack() ? Delivery.ACKNOWLEDGED : Delivery.PLAIN)
                .disconnectPolicy(config.dropOnDisconnect() ? DisconnectPolicy.DROP_BACKLOG : DisconnectPolicy.KEEP_BACKLOG)
                .overflowPolicy(config.overflow())
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(1), 0.5)
                .drainTimeout(Duration.ofSeconds(2))
                .onEvent(this::onEvent);
        if (config.tls() != null) {
            b.tls(config.tls());
        }
        if (config.maxAge() != null) {
            b.maxAge(config.maxAge());
        }
        if (!config.dropping()) {
            // blast fills backlogs on purpose and waits at the bound: that is no slow consumer to cut off
            b.overflowTimeout(config.timeout().plus(config.timeout()));
        }
        runner = Thread.currentThread(); // from here on a refusal ends every wait of this thread
        Node node = b.start();
        String outcome = "interrupted";
        long start;
        long end;
        List<PeerStats> stats = new ArrayList<>();
        try {
            List<Peer> list = new ArrayList<>();
            for (HostPort hp : config.to()) {
                list.add(node.connect(hp.host(), hp.port()));
            }
            peers = List.copyOf(list);
            started.countDown();
            err.println("blast: " + Table.count(config.messages()) + " frames of " + Table.count(config.size())
                    + " bytes to " + String.join(", ", config.to().stream().map(HostPort::toString).toList())
                    + (config.rate() > 0 ? " at " + Table.count(Math.round(config.rate())) + " frames/s" : "")
                    + (config.ack() ? " (acknowledged delivery)" : ""));
            start = System.nanoTime();
            long[] lastSent = {0};
            Progress progress = Progress.start(err, t -> progressLine(t, lastSent));
            try {
                if (refusal != null) {
                    throw new InterruptedException("refused"); // while connecting, before the first frame
                }
                outcome = send(node);
                if (outcome == null) {
                    outcome = awaitFlushed(stats);
                }
            } catch (InterruptedException e) {
                if (refusal == null) {
                    throw e;
                }
                outcome = refusal; // a peer refused the stream: waiting longer cannot help
            } finally {
                runner = null;
                Thread.interrupted(); // a refusal that came as we finished
                progress.close();
            }
            end = System.nanoTime();
            for (int i = stats.size(); i < peers.size(); i++) {
                stats.add(peers.get(i).stats());
            }
            failures.forEach(FailureCount::close); // what follows is closing, not the run
        } finally {
            // after a failure what is still queued will not go anywhere: do not wait for it
            node.close(outcome == null ? Duration.ofSeconds(2) : Duration.ZERO);
        }
        double elapsed = (end - start) / 1e9;
        boolean ok = refusal == null;
        for (PeerStats s : stats) {
            ok &= written(s) == config.messages() && s.framesDropped() == 0 && s.queuedFrames() == 0;
        }
        String unconfirmed = unconfirmed(stats);
        if (outcome == null && refusal != null) {
            outcome = refusal; // it came after the last frame was written
        }
        if (outcome == null) {
            outcome = unconfirmed != null ? unconfirmed : ok ? null : "frames were dropped";
        } else if (unconfirmed != null) {
            outcome += "; " + unconfirmed;
        }
        ok &= unconfirmed == null;
        if (!ok && !outcome.equals(refusal)) {
            outcome += failuresOfUnfinished(stats);
        }
        if (config.json()) {
            out.println(json(stats, ok, elapsed, outcome));
        } else {
            printSummary(stats, ok, elapsed, outcome);
        }
        return ok ? Main.EXIT_OK : Main.EXIT_FAILED;
    }

    /** Broadcasts every frame, --batch at a time; returns null, or why it gave up. */
    private String send(Node node) throws InterruptedException {
        List<byte[]> batch = new ArrayList<>();
        for (int k = 0; k < config.batch(); k++) {
            batch.add(new byte[config.size()]); // reused: each call copies them
        }
        int peerCount = peers.size();
        double interval = config.rate() > 0 ? 1e9 / config.rate() : 0;
        long longest = config.timeout().toNanos(); // no pacing wait may outlast --timeout, whatever the arithmetic
        long t0 = System.nanoTime();
        for (long i = 0; i < config.messages(); i += batch.size()) {
            if (interval > 0) { // a fixed schedule: frame i is due at t0 + i * interval, so a late frame does not shift the rest
                long now = System.nanoTime();
                long due = t0 + (long) Math.min(i * interval, (double) (now - t0 + longest));
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            int n = (int) Math.min(config.batch(), config.messages() - i);
            List<byte[]> call = n == batch.size() ? batch : batch.subList(0, n);
            for (int k = 0; k < n; k++) {
                ByteBuffer.wrap(call.get(k)).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i + k);
            }
            if (config.dropping()) {
                broadcast(node, call); // a full or down peer is skipped and the drop counted
            } else if (broadcast(node, call, config.timeout()) < peerCount) {
                sent.set(i + n);
                return "a peer's backlog stayed full for " + Table.decimal(config.timeout().toNanos() / 1e9)
                        + " s; gave up after " + Table.count(i + n) + " of " + Table.count(config.messages()) + " frames";
            }
            sent.setRelease(i + n);
        }
        return null;
    }

    private static int broadcast(Node node, List<byte[]> call) {
        return call.size() == 1 ? node.broadcast(call.get(0)) : node.broadcastBatch(call);
    }

    private static int broadcast(Node node, List<byte[]> call, Duration wait) throws InterruptedException {
        return call.size() == 1 ? node.broadcast(call.get(0), wait) : node.broadcastBatch(call, wait);
    }

    /**
     * Waits until every queue is empty, up to --timeout; returns null, or why not. Takes each peer's
     * statistics as soon as its queue is empty, before a sink that got everything hangs up.
     */
    private String awaitFlushed(List<PeerStats> stats) throws InterruptedException {
        long deadline = System.nanoTime() + config.timeout().toNanos();
        for (Peer peer : peers) {
            if (!peer.awaitFlushed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return "queues not empty after " + Table.decimal(config.timeout().toNanos() / 1e9) + " s";
            }
            stats.add(peer.stats());
            failures.get(stats.size() - 1).close(); // done: a sink that hangs up now has what it was sent
        }
        return null;
    }

    /**
     * Plain delivery: peers whose listener never accepted the stream (it is no tether sink, or it closed every
     * connection before answering): what was written to them went to the kernel with no word from the receiver.
     */
    private String unconfirmed(List<PeerStats> stats) {
        List<String> never = new ArrayList<>();
        for (int i = 0; i < stats.size(); i++) {
            if (stats.get(i).framesUnconfirmed() > 0) {
                never.add(config.to().get(i) + " (" + Table.count(stats.get(i).framesUnconfirmed()) + " frames)");
            }
        }
        return never.isEmpty() ? null : "never accepted by " + String.join(", ", never) + ": the frames were handed to the "
                + "kernel, but the receiver never said it took the stream (it is not a tether sink, or it closed the "
                + "connection before answering)";
    }

    /** Records a peer's failed connect or lost connection, and says so on stderr as {@link FailureLines} allows. */
    private void onEvent(Event event) {
        switch (event) {
            case Event.ConnectFailed f -> failed(f.peer(), f.reason(), f.detail());
            case Event.Disconnected d when d.reason() != DisconnectReason.LOCAL_CLOSE -> failed(d.peer(), d.reason(), d.detail());
            default -> { }
        }
        switch (event) {
            case Event.ConnectFailed f when f.reason() == DisconnectReason.HANDSHAKE_FAILED -> refused(f.peer(), f.detail());
            case Event.Disconnected d when d.reason() == DisconnectReason.HANDSHAKE_FAILED -> refused(d.peer(), d.detail());
            default -> { }
        }
    }

    /**
     * A handshake failed: the peer refused the stream (a mode or TLS mismatch, a certificate it will not take)
     * or we refused the peer's certificate. Retrying cannot help, so blast stops and says why.
     */
    private void refused(Peer peer, String detail) {
        if (refusal == null) {
            refusal = peer.remoteAddress().getHostString() + ":" + peer.remoteAddress().getPort() + ": " + detail;
            Thread t = runner;
            if (t != null) {
                t.interrupt(); // ends broadcast's or awaitFlushed's wait
            }
        }
    }

    private void failed(Peer peer, DisconnectReason reason, String detail) {
        Integer i = indexOf.get(new HostPort(peer.remoteAddress().getHostString(), peer.remoteAddress().getPort()));
        if (i != null && failures.get(i).record(reason, detail)) {
            failureLines.failed(config.to().get(i).toString(), reason, detail);
        }
    }

    /** "; 127.0.0.1:7000: handshake failed: ..." for each peer that did not get everything and had a failure. */
    private String failuresOfUnfinished(List<PeerStats> stats) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < stats.size(); i++) {
            PeerStats s = stats.get(i);
            FailureCount.Last last = failures.get(i).last();
            if (last != null && !(written(s) == config.messages() && s.framesDropped() == 0 && s.queuedFrames() == 0)) {
                text.append("; ").append(config.to().get(i)).append(": ").append(last.text());
            }
        }
        return text.toString();
    }

    private long written(PeerStats s) {
        return config.ack() ? s.framesAcknowledged() : s.framesWritten();
    }

    private String progressLine(long elapsedNanos, long[] lastSent) {
        long now = sent.getAcquire();
        StringBuilder line = new StringBuilder("blast ").append(Progress.elapsed(elapsedNanos))
                .append(" sent ").append(Table.count(now))
                .append(" (").append(Table.count(now - lastSent[0])).append("/s)");
        lastSent[0] = now;
        for (int i = 0; i < peers.size(); i++) {
            Peer p = peers.get(i);
            PeerStats s = p.stats();
            line.append("  ").append(config.to().get(i)).append(' ').append(s.state())
                    .append(" q=").append(Table.count(s.queuedFrames()));
            if (now < config.messages() && full(s)) {
                line.append(config.dropping() ? " (backlog full: dropping)"
                        : s.state() == PeerState.CONNECTED ? " (waiting for room: the peer reads slower than blast sends)"
                        : " (waiting for room: waiting for the peer to come back)");
            }
        }
        return line.toString();
    }

    /** Whether the next frame does not fit this peer's backlog: blast waits for room (or drops). */
    private boolean full(PeerStats s) {
        BacklogLimits limits = config.limits();
        return s.queuedFrames() >= limits.maxFrames() || s.queuedBytes() > limits.maxBytes() - 12 - config.size();
    }

    private void printSummary(List<PeerStats> stats, boolean ok, double elapsed, String outcome) {
        long n = config.messages();
        out.println("blast: " + Table.count(n) + " frames of " + Table.count(config.size()) + " bytes to "
                + stats.size() + (stats.size() == 1 ? " peer" : " peers") + " in " + String.format(java.util.Locale.ROOT, "%.2f", elapsed)
                + " s (" + Table.count(Math.round(n / Math.max(elapsed, 1e-9))) + " frames/s per peer)");
        Table t = new Table("address", config.ack() ? "acknowledged" : "written", "dropped", "expired", "evicted", "queued",
                "reconnects", "state");
        for (int i = 0; i < stats.size(); i++) {
            PeerStats s = stats.get(i);
            t.row(config.to().get(i).toString(), written(s), s.framesDropped(), s.droppedExpired(), s.droppedEvicted(),
                    s.queuedFrames(), s.reconnects(), s.state());
        }
        t.print(out, "  ");
        for (int i = 0; i < stats.size(); i++) {
            FailureCount f = failures.get(i);
            FailureCount.Last last = f.last();
            if (last != null) {
                out.println("  " + config.to().get(i) + ": " + Table.count(f.count()) + (f.count() == 1 ? " failure" : " failures")
                        + ", the last: " + last.text());
            }
        }
        if (ok) {
            out.println("result: OK: every frame was " + (config.ack() ? "acknowledged by" : "written to") + " every peer");
        } else {
            out.println("result: FAILED: " + outcome);
        }
    }

    private String json(List<PeerStats> stats, boolean ok, double elapsed, String outcome) {
        Json j = new Json().beginObject()
                .field("messages", config.messages())
                .field("size", config.size())
                .field("batch", config.batch())
                .field("ack", config.ack())
                .field("elapsed_seconds", Math.round(elapsed * 1000) / 1000.0)
                .field("frames_per_second", Math.round(config.messages() / Math.max(elapsed, 1e-9)))
                .field("ok", ok);
        if (!ok) {
            j.field("error", outcome);
        }
        j.name("peers").beginArray();
        for (int i = 0; i < stats.size(); i++) {
            PeerStats s = stats.get(i);
            j.beginObject()
                    .field("address", config.to().get(i).toString())
                    .field("written", written(s))
                    .field("dropped", s.framesDropped())
                    .field("dropped_backlog_full", s.droppedBacklogFull())
                    .field("dropped_disconnected", s.droppedDisconnected())
                    .field("dropped_expired", s.droppedExpired())
                    .field("dropped_evicted", s.droppedEvicted())
                    .field("unconfirmed", s.framesUnconfirmed())
                    .field("queued", s.queuedFrames())
                    .field("reconnects", s.reconnects())
                    .field("state", s.state().name())
                    .field("failures", failures.get(i).count());
            failures.get(i).jsonLast(j);
            j.endObject();
        }
        return j.endArray().endObject().toString();
    }

    // ------------------------------------------------------------------ for tests

    /** Frames broadcast so far. */
    long sent() {
        return sent.get();
    }

    /** The peers, once blast has connected them; empty if it did not start within the timeout. */
    List<Peer> awaitPeers(Duration timeout) throws InterruptedException {
        return started.await(timeout.toNanos(), TimeUnit.NANOSECONDS) ? peers : List.of();
    }
}
