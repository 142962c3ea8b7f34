package dev.tether.cli;

import dev.tether.Delivery;
import dev.tether.TlsConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code tether sink}: listens, reads numbered frames, and says whether anything was missing, repeated or
 * out of order. Consecutive connections to one listen address are one logical stream.
 */
final class Sink {
    static final String USAGE = """
            usage: java -jar tether.jar sink --listen HOST:PORT[,HOST:PORT...] [options]

            Accepts tether connections on each address and reads frames until every address has seen
            --expect distinct frames, or until nothing has arrived for --idle-timeout seconds. Every
            connection to one address, one after the other, counts as one stream (a sender that reconnects
            goes on where it was). Prints a summary on stdout; progress once a second on stderr.

            Connections that fail before delivering a frame (a failed TLS handshake, a plain client on a
            TLS sink) are counted per address as "refused", with the last one's reason and detail in the
            summary (JSON: refused_connections, last_failure); stderr says so when an address starts
            refusing, then at most once every 10 s while it goes on for the same reason.

            A frame is numbered if it has at least 8 bytes and its first 8 bytes, as a little-endian
            integer, are below 2^48 (what blast sends: 0, 1, 2, ...). Frames shorter than 8 bytes and
            frames whose prefix is no plausible number (a text hello, say) are counted apart, under
            "short" and "unnumbered", and never make the run fail.

            options:
              --listen HOST:PORT[,...]  addresses to listen on (port 0: any free port; the bound one is printed)
              --expect N                frames each address should get, numbered 0 to N-1 (N below 2^48):
                                        stop as soon as every address has all of them, and count what is
                                        missing against N (without it: missing = gaps below the highest
                                        number seen)
              --idle-timeout SECONDS    stop when nothing arrived for this long (default 10; counted from the
                                        start if nothing ever arrives)
              --ack                     acknowledged delivery (the sender must use blast --ack too)
              --resume-file PATH        with --ack: record every frame in PATH (created if absent) before
                                        counting it, and on start count what PATH holds and resume each
                                        sender's stream right after what it recorded: a sink killed and
                                        started again with the same PATH (and --listen) gets every frame
                                        exactly once, and its summary covers every run
            """ + TlsOptions.HELP + TlsOptions.CLIENT_AUTH_HELP + """
              --json                    print the summary as one JSON object on stdout
              --verbose                 tether's own log lines on stderr
              -h, --help                this text

            --resume-file PATH is append-only: a 40-byte record per frame, each written with one write()
            from the handler, so a frame's count and its position are kept, or lost, together. It is not
            synced to disk: it survives the sink being killed, not its host crashing. A sender whose frames
            after the recorded position are gone (a sink started with an old file, or a new one after frames
            were acknowledged) gives a counted gap: "frames missed" in the summary (JSON: frames_missed),
            a WARN line, and those numbers missing from the counts.

            exit status: 0 nothing missing, duplicated or out of order; 1 something was (or --resume-file
                         could not be written); 2 bad usage, an address that cannot be bound, or a
                         --resume-file that cannot be read
            """;

    static final Options.Spec SPEC = TlsOptions.add(new Options.Spec("sink"), true)
            .value("--listen", HostPort.FORMAT)
            .value("--expect", "a positive integer")
            .value("--idle-timeout", "a positive number of seconds")
            .flag("--ack")
            .value("--resume-file", "a file path")
            .flag("--json")
            .flag("--verbose");

    /** The parsed command line. */
    record Config(List<HostPort> listen, List<InetSocketAddress> addresses, long expect, Duration idleTimeout,
                  boolean ack, Path resumeFile, boolean json, TlsConfig tls) {
    }

    static Config config(Options o) throws UsageException {
        List<HostPort> listen = o.addresses("--listen", true);
        long expect = o.positiveLong("--expect", 0);
        if (expect >= SeqSet.LIMIT) {
            throw new UsageException("--expect must be below 2^48, got " + expect);
        }
        Duration idle = o.seconds("--idle-timeout", Duration.ofSeconds(10));
        List<InetSocketAddress> resolved = new ArrayList<>();
        for (HostPort hp : listen) {
            resolved.add(hp.resolve("--listen"));
        }
        Path resumeFile = null;
        if (o.has("--resume-file")) {
            if (!o.flag("--ack")) {
                throw new UsageException("--resume-file needs --ack: only acknowledged delivery has positions to resume from");
            }
            try {
                resumeFile = Path.of(o.required("--resume-file"));
            } catch (InvalidPathException e) {
                throw new UsageException("--resume-file: not a file path: " + e.getMessage());
            }
        }
        return new Config(listen, List.copyOf(resolved), expect, idle, o.flag("--ack"), resumeFile, o.flag("--json"),
                TlsOptions.parse(o, true));
    }

    private final Config config;
    private final PrintStream out;
    private final PrintStream err;
    private final CountDownLatch listening = new CountDownLatch(1);
    private volatile SinkNode node;
    private volatile List<String> labels = List.of();
    private volatile List<InetSocketAddress> bound = List.of();
    private final FailureLines failureLines;

    Sink(Config config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
        this.failureLines = new FailureLines(err, "sink");
    }

    /** Runs until done; returns the exit code. */
    int run() throws UsageException {
        SinkNode sink;
        try {
            sink = SinkNode.start("sink", config.addresses(), config.ack() ? Delivery.ACKNOWLEDGED : Delivery.PLAIN, config.tls(),
                    (address, last) -> failureLines.failed("connections to " + label(address), last.reason(), last.detail()),
                    config.resumeFile());
        } catch (SinkNode.CannotBind e) {
            throw new UsageException("--listen " + config.listen().get(e.index) + ": cannot bind: " + e.reason);
        } catch (IllegalStateException e) { // the key store's key cannot serve the enabled protocols
            throw new UsageException("--key-store: " + e.getMessage());
        }
        node = sink;
        listening.countDown();
        List<InetSocketAddress> addresses = sink.addresses();
        List<String> named = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) { // as the user wrote the host, with the port actually bound
            named.add(new HostPort(config.listen().get(i).host(), addresses.get(i).getPort()).toString());
        }
        labels = List.copyOf(named);
        bound = addresses;
        err.println("sink: listening on " + String.join(", ", labels)
                + (config.ack() ? " (acknowledged delivery)" : "") + (config.tls() != null ? " (TLS)" : "")
                + (config.expect() > 0 ? "; expecting " + Table.count(config.expect()) + " frames on each" : "")
                + "; stops after " + seconds(config.idleTimeout()) + " s without a frame");
        ResumeFile resume = sink.resumeFile();
        if (resume != null) {
            err.println("sink: " + (resume.replayed() == 0 ? "recording in " + resume.path() + " (nothing recorded yet)"
                    : "resuming from " + resume.path() + ": " + Table.count(resume.replayed()) + " frames of "
                    + resume.streams() + (resume.streams() == 1 ? " stream" : " streams") + " processed by earlier runs, counted"));
        }
        long start = System.nanoTime();
        String why;
        long[] lastFrames = {sink.streams().stream().mapToLong(StreamStats::frames).sum()}; // replayed frames are no throughput
        Progress progress = Progress.start(err, t -> progressLine(sink, t, lastFrames));
        try {
            why = awaitEnd(sink, start);
        } finally {
            progress.close();
            sink.close(Duration.ofSeconds(2)); // a clean close sends the last acknowledgements
        }
        long framesMissed = sink.framesMissed();
        String writeFailure = resume == null ? null : resume.failure();
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<FailureCount> refusals = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            refusals.add(sink.refused(a));
        }
        List<StreamStats.Snapshot> snaps = new ArrayList<>();
        for (StreamStats s : sink.streams()) {
            snaps.add(s.snapshot(config.expect()));
        }
        boolean ok = snaps.stream().allMatch(StreamStats.Snapshot::clean) && writeFailure == null; // a gap shows as missing numbers
        Resumed resumed = new Resumed(resume, framesMissed, writeFailure);
        if (config.json()) {
            out.println(json(addresses, snaps, refusals, ok, elapsed, why, resumed));
        } else {
            printSummary(addresses, snaps, refusals, ok, elapsed, why, resumed);
        }
        return ok ? Main.EXIT_OK : Main.EXIT_FAILED;
    }

    /** What --resume-file did in this run (file null without it). */
    private record Resumed(ResumeFile file, long framesMissed, String writeFailure) { }

    /** Waits until every address has --expect distinct frames, or nothing arrived for --idle-timeout, or --resume-file failed. */
    private String awaitEnd(SinkNode sink, long start) {
        long idle = config.idleTimeout().toNanos();
        while (true) {
            if (sink.resumeFile() != null && sink.resumeFile().failure() != null) {
                return sink.resumeFile().failure();
            }
            if (config.expect() > 0 && sink.streams().stream().allMatch(s -> s.distinct() >= config.expect())) {
                return "every address has " + Table.count(config.expect()) + " distinct frames";
            }
            long last = sink.lastFrameNanos();
            long since = System.nanoTime() - (last == 0 ? start : last);
            if (since >= idle) {
                return (last == 0 ? "nothing arrived for " : "no frame for ") + seconds(config.idleTimeout()) + " s";
            }
            LockSupport.parkNanos(Math.min(idle - since, TimeUnit.MILLISECONDS.toNanos(20)));
        }
    }

    private String progressLine(SinkNode sink, long elapsedNanos, long[] lastFrames) {
        StringBuilder line = new StringBuilder("sink ").append(Progress.elapsed(elapsedNanos));
        long total = 0;
        List<InetSocketAddress> addresses = sink.addresses();
        List<StreamStats> streams = sink.streams();
        for (StreamStats s : streams) {
            total += s.frames();
        }
        line.append(' ').append(Table.count(total - lastFrames[0])).append(" frames/s");
        lastFrames[0] = total;
        for (int i = 0; i < addresses.size(); i++) {
            StreamStats.Snapshot snap = streams.get(i).snapshot(0);
            line.append("  ").append(labels.get(i)).append(' ')
                    .append(Table.count(snap.distinct())).append(" distinct");
        }
        line.append("  ").append(sink.openConnections()).append(" connected");
        return line.toString();
    }

    /** The label of a bound address, as the user wrote its host; before the bound ports are known, the address itself. */
    private String label(InetSocketAddress address) {
        int i = bound.indexOf(address);
        return i >= 0 ? labels.get(i) : HostPort.format(address);
    }

    private void printSummary(List<InetSocketAddress> addresses, List<StreamStats.Snapshot> snaps, List<FailureCount> refusals,
                              boolean ok, double elapsed, String why, Resumed resumed) {
        out.println("sink: stopped after " + Table.decimal(elapsed) + " s: " + why);
        Table t = new Table("address", "frames", "distinct", "bytes", "duplicates", "out-of-order", "missing", "short",
                "unnumbered", "connections", "refused");
        for (int i = 0; i < addresses.size(); i++) {
            StreamStats.Snapshot s = snaps.get(i);
            t.row(labels.get(i), s.frames(), s.distinct(), s.bytes(), s.duplicates(), s.outOfOrder(),
                    s.missing(), s.shortFrames(), s.unnumbered(), s.connections(), refusals.get(i).count());
        }
        t.print(out, "  ");
        for (int i = 0; i < addresses.size(); i++) {
            FailureCount r = refusals.get(i);
            if (r.last() != null) {
                out.println("  " + labels.get(i) + ": " + Table.count(r.count()) + (r.count() == 1 ? " connection" : " connections")
                        + " failed before delivering a frame; the last: " + r.last().text());
            }
        }
        if (resumed.file() != null) {
            out.println("  resume file " + resumed.file().path() + ": " + Table.count(resumed.file().replayed())
                    + " frames from earlier runs, counted above");
        }
        if (resumed.framesMissed() > 0) {
            out.println("  " + Table.count(resumed.framesMissed()) + " frames missed: their senders no longer had them when this "
                    + "sink's node took up their streams (it started without --resume-file, or with an older one); the counts "
                    + "above say whether an earlier run processed them or they are missing");
        }
        String refused = refusedText(refusals);
        if (ok) {
            boolean nothing = snaps.stream().allMatch(s -> s.frames() == 0);
            out.println((nothing ? "result: OK, but no numbered frame arrived"
                    : "result: OK: nothing missing, duplicated or out of order") + refused);
        } else {
            out.println("result: FAILED: " + problems(snaps, resumed) + refused);
        }
    }

    /** "; 127.0.0.1:7000 refused 12 connections, the last: handshake failed: ..." for each address that refused any. */
    private String refusedText(List<FailureCount> refusals) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < refusals.size(); i++) {
            FailureCount r = refusals.get(i);
            if (r.last() != null) {
                text.append("; ").append(labels.get(i)).append(" refused ").append(Table.count(r.count()))
                        .append(r.count() == 1 ? " connection" : " connections").append(", the last: ").append(r.last().text());
            }
        }
        return text.toString();
    }

    private static String problems(List<StreamStats.Snapshot> snaps, Resumed resumed) {
        long missing = 0;
        long dups = 0;
        long ooo = 0;
        for (StreamStats.Snapshot s : snaps) {
            missing += s.missing();
            dups += s.duplicates();
            ooo += s.outOfOrder();
        }
        List<String> parts = new ArrayList<>();
        if (missing > 0) {
            parts.add(Table.count(missing) + " missing");
        }
        if (dups > 0) {
            parts.add(Table.count(dups) + " duplicated");
        }
        if (ooo > 0) {
            parts.add(Table.count(ooo) + " out of order");
        }
        if (resumed.writeFailure() != null) {
            parts.add(resumed.writeFailure());
        }
        return String.join(", ", parts);
    }

    private String json(List<InetSocketAddress> addresses, List<StreamStats.Snapshot> snaps, List<FailureCount> refusals,
                        boolean ok, double elapsed, String why, Resumed resumed) {
        Json j = new Json().beginObject()
                .field("ok", ok)
                .field("expect", config.expect())
                .field("ack", config.ack());
        if (resumed.file() != null) {
            j.field("resume_file", resumed.file().path().toString()).field("resumed_frames", resumed.file().replayed());
        }
        j.field("frames_missed", resumed.framesMissed())
                .field("elapsed_seconds", Math.round(elapsed * 1000) / 1000.0)
                .field("stopped", why)
                .name("addresses").beginArray();
        for (int i = 0; i < addresses.size(); i++) {
            StreamStats.Snapshot s = snaps.get(i);
            j.beginObject()
                    .field("address", labels.get(i))
                    .field("frames", s.frames())
                    .field("distinct", s.distinct())
                    .field("bytes", s.bytes())
                    .field("duplicates", s.duplicates())
                    .field("out_of_order", s.outOfOrder())
                    .field("missing", s.missing())
                    .field("short", s.shortFrames())
                    .field("unnumbered", s.unnumbered())
                    .field("highest", s.highest())
                    .field("connections", s.connections())
                    .field("refused_connections", refusals.get(i).count());
            refusals.get(i).jsonLast(j);
            j.endObject();
        }
        return j.endArray().endObject().toString();
    }

    private static String seconds(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }

    // ------------------------------------------------------------------ for tests

    /** Waits until the sink listens; null if it did not within the timeout. */
    SinkNode awaitListening(Duration timeout) throws InterruptedException {
        return listening.await(timeout.toNanos(), TimeUnit.NANOSECONDS) ? node : null;
    }
}
