package dev.tether.cli;

import dev.tether.BacklogLimits;
import dev.tether.Delivery;
import dev.tether.Event;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.PeerStats;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code tether demo}: in one process, three sinks on loopback and a node broadcasting numbered frames to
 * them at full speed; sink #2 is stopped a third of the way in and started again on the same port a
 * couple of seconds later. Ends with what each sink received.
 */
final class Demo {
    static final String USAGE = """
            usage: java -jar tether.jar demo [options]

            Starts three sinks on 127.0.0.1 and a node connected to all three, in this process, and
            broadcasts numbered frames at full speed. A third of the way in, sink #2 is stopped at once (its
            listener and connections closed abruptly, as a network outage would) and, --outage seconds later,
            started again on the same port. The broadcaster keeps sending all along: sinks #1 and #3 are not held up, and
            sink #2's frames wait in its backlog and are replayed, in order, when it reconnects. Progress
            once a second on stderr; at the end, a table of what each sink received.

            Plain delivery cannot save the frames that were already in kernel socket buffers when sink #2
            stopped: they are shown as missing. With --ack (acknowledged delivery) a frame stays queued until
            the sink acknowledges it.

            options:
              --frames N          frames to broadcast (default %s: roughly 10 to 20 s on 2 cores)
              --outage SECONDS    how long sink #2 stays down (default 2)
              --ack               acknowledged delivery on every node
              --verbose           tether's own log lines on stderr
              -h, --help          this text

            exit status: 0 no sink saw a duplicate or a reordering (and, with --ack, none missed a frame);
                         1 one did; 2 bad usage
            """.formatted(Table.count(Demo.DEFAULT_FRAMES));

    static final Options.Spec SPEC = new Options.Spec("demo")
            .value("--frames", "a positive integer")
            .value("--outage", "a positive number of seconds")
            .flag("--ack")
            .flag("--verbose");

    static final long DEFAULT_FRAMES = 20_000_000;
    static final int SIZE = 32;
    static final int SINKS = 3;
    static final int STOPPED = 1; // sink #2
    /**
     * Room for a few seconds of full-speed broadcasting while sink #2 is down: 8,000,000 frames (about 700 MB
     * of heap when full), fewer if the heap is small (about 256 bytes of heap per frame).
     */
    static final BacklogLimits LIMITS = BacklogLimits.of(Math.min(8_000_000, Runtime.getRuntime().maxMemory() / 256), 512L << 20);
    /** The broadcaster waits while a connected sink has more than this queued: full speed is the sinks' speed. */
    private static final long HIGH_WATER = 500_000;

    /** The parsed command line. */
    record Config(long frames, Duration outage, boolean ack) {
    }

    static Config config(Options o) throws UsageException {
        long frames = o.positiveLong("--frames", DEFAULT_FRAMES);
        if (frames < 3) {
            throw new UsageException("--frames must be at least 3 (sink #2 stops a third of the way in), got " + frames);
        }
        if (frames >= SeqSet.LIMIT) {
            throw new UsageException("--frames must be below 2^48, got " + frames);
        }
        return new Config(frames, o.seconds("--outage", Duration.ofSeconds(2)), o.flag("--ack"));
    }

    private final Config config;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLongArray replayed = new AtomicLongArray(SINKS);
    private final AtomicLongArray reconnects = new AtomicLongArray(SINKS);
    private volatile long[] peerIds = new long[0];
    private volatile long restartedAtNanos;
    private long stoppedAtFrame;

    Demo(Config config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    int run() throws InterruptedException {
        Delivery delivery = config.ack() ? Delivery.ACKNOWLEDGED : Delivery.PLAIN;
        long frames = config.frames();
        long stopAt = frames / 3;
        List<SinkNode> sinks = new ArrayList<>();
        Node sender = null;
        String failure = null;
        long elapsedNanos;
        long stoppedAtNanos = 0;
        List<PeerStats> stats = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        try {
            for (int i = 0; i < SINKS; i++) {
                SinkNode sink = SinkNode.start("sink" + (i + 1),
                        List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), delivery);
                sinks.add(sink);
                addresses.add(sink.addresses().get(0));
            }
            sender = NodeConfig.builder()
                    .name("demo")
                    .delivery(delivery)
                    .backlogLimits(LIMITS)
                    .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(250), 0.2)
                    .onEvent(this::onEvent)
                    .start();
            List<Peer> peers = new ArrayList<>();
            for (InetSocketAddress a : addresses) {
                peers.add(sender.connect(a));
            }
            peerIds = peers.stream().mapToLong(Peer::id).toArray();
            if (!await(Duration.ofSeconds(10), () -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED))) {
                failure = "the broadcaster could not connect to the three sinks within 10 s";
                return fail(failure);
            }
            err.println("demo: " + Table.count(frames) + " frames of " + SIZE + " bytes to 3 sinks on "
                    + String.join(", ", addresses.stream().map(HostPort::format).toList())
                    + (config.ack() ? ", acknowledged delivery" : ", plain delivery")
                    + "; sink #2 stops at frame " + Table.count(stopAt) + " for " + seconds(config.outage()) + " s");

            byte[] payload = new byte[SIZE];
            ByteBuffer seq = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
            long start = System.nanoTime();
            long outage = config.outage().toNanos();
            boolean stopped = false;
            boolean restarted = false;
            long[] lastSent = {0};
            Progress progress = Progress.start(err, t -> progressLine(peers, t, lastSent));
            try {
                for (long i = 0; i < frames; i++) {
                    if ((i & 255) == 0 || i == stopAt) { // every 256 frames, and at the frame announced for the stop
                        if (i >= stopAt && !stopped) {
                            err.println("demo: stopping sink #2 at frame " + Table.count(i) + " (listener and connections closed at once)");
                            sinks.get(STOPPED).goAway();
                            stoppedAtNanos = System.nanoTime();
                            stoppedAtFrame = i;
                            stopped = true;
                        }
                        if (stopped && !restarted && System.nanoTime() - stoppedAtNanos >= outage) {
                            restart(sinks.get(STOPPED), addresses.get(STOPPED), i);
                            restarted = true;
                        }
                        while (fullConnectedPeer(peers)) { // pace to the connected sinks; never wait for a down one
                            LockSupport.parkNanos(200_000);
                        }
                    }
                    seq.putLong(0, i);
                    sender.broadcast(payload);
                    sent.setRelease(i + 1);
                }
                if (!restarted) {
                    long left;
                    while ((left = stoppedAtNanos + outage - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(left);
                    }
                    restart(sinks.get(STOPPED), addresses.get(STOPPED), frames);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                // sink #2 may be back before the broadcaster noticed it had gone (a short run can fit in the kernel's
                // buffers): the story ends when every peer is connected again and its backlog written
                if (!await(Duration.ofSeconds(30), () -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED))) {
                    failure = "a sink did not reconnect within 30 s";
                }
                for (Peer peer : peers) {
                    if (!peer.awaitFlushed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                        failure = "the backlogs did not empty within 60 s";
                        break;
                    }
                }
                elapsedNanos = System.nanoTime() - start;
            } finally {
                progress.close();
            }
            for (Peer peer : peers) {
                stats.add(peer.stats());
            }
            sender.close(); // ends each connection cleanly: every sink reads to the end of its stream
            sender = null;
            if (!await(Duration.ofSeconds(10), () -> sinks.stream().allMatch(s -> s.openConnections() == 0))) {
                failure = failure != null ? failure : "the sinks did not see the end of their streams within 10 s";
            }
        } catch (SinkNode.CannotBind e) {
            return fail("cannot start a sink on 127.0.0.1: " + e.reason);
        } finally {
            if (sender != null) {
                sender.closeNow();
            }
            for (SinkNode s : sinks) {
                s.close(Duration.ofSeconds(1));
            }
        }
        return report(sinks, addresses, stats, elapsedNanos, failure);
    }

    private void restart(SinkNode sink, InetSocketAddress address, long atFrame) throws SinkNode.CannotBind {
        sink.comeBack();
        restartedAtNanos = System.nanoTime();
        err.println("demo: sink #2 started again on " + HostPort.format(address) + " at frame " + Table.count(atFrame));
    }

    private void onEvent(Event event) {
        if (event instanceof Event.Reconnected r) {
            int i = indexOf(r.peer().id());
            if (i >= 0) {
                replayed.addAndGet(i, r.replayFrames());
                reconnects.incrementAndGet(i);
                long restarted = restartedAtNanos;
                String when = i == STOPPED && restarted != 0
                        ? " " + Math.round((System.nanoTime() - restarted) / 1e6) + " ms after its restart" : "";
                err.println("demo: sink #" + (i + 1) + " reconnected" + when + "; replaying "
                        + Table.count(r.replayFrames()) + " queued frames");
            }
        }
    }

    private int indexOf(long peerId) {
        long[] ids = peerIds;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == peerId) {
                return i;
            }
        }
        return -1;
    }

    private static boolean fullConnectedPeer(List<Peer> peers) {
        for (Peer p : peers) {
            if (p.state() == PeerState.CONNECTED && p.queuedFrames() > HIGH_WATER) {
                return true;
            }
        }
        return false;
    }

    private String progressLine(List<Peer> peers, long elapsedNanos, long[] lastSent) {
        long now = sent.getAcquire();
        StringBuilder line = new StringBuilder("demo ").append(Progress.elapsed(elapsedNanos)).append(' ')
                .append(String.format(Locale.ROOT, "%,11d", now - lastSent[0])).append(" frames/s");
        lastSent[0] = now;
        for (int i = 0; i < peers.size(); i++) {
            Peer p = peers.get(i);
            line.append("   #").append(i + 1).append(' ').append(String.format(Locale.ROOT, "%-12s", p.state()))
                    .append(" queued ").append(String.format(Locale.ROOT, "%,9d", p.queuedFrames()));
        }
        return line.toString();
    }

    private int report(List<SinkNode> sinks, List<InetSocketAddress> addresses, List<PeerStats> stats,
                       long elapsedNanos, String failure) {
        long frames = config.frames();
        double seconds = elapsedNanos / 1e9;
        out.println();
        out.println("tether demo" + (config.ack() ? " --ack" : "") + ": " + Table.count(frames) + " frames of " + SIZE
                + " bytes broadcast to 3 sinks in " + String.format(Locale.ROOT, "%.1f", seconds) + " s ("
                + Table.count(Math.round(frames / seconds)) + " frames/s);");
        out.println("sink #2 stopped at frame " + Table.count(stoppedAtFrame) + " and started again on the same port "
                + seconds(config.outage()) + " s later.");
        out.println();
        Table t = new Table("sink", "address", "received", "duplicates", "out-of-order", "missing", "dropped", "replayed");
        long dups = 0;
        long ooo = 0;
        long lostTotal = 0;
        long droppedTotal = 0;
        for (int i = 0; i < SINKS; i++) {
            StreamStats.Snapshot s = sinks.get(i).streams().get(0).snapshot(frames);
            long dropped = stats.get(i).framesDropped();
            dups += s.duplicates();
            ooo += s.outOfOrder();
            lostTotal += Math.max(0, s.missing() - dropped);
            droppedTotal += dropped;
            t.row("#" + (i + 1), HostPort.format(addresses.get(i)), s.frames(), s.duplicates(), s.outOfOrder(),
                    s.missing(), dropped, replayed.get(i));
        }
        t.print(out, "  ");
        out.println();
        paragraph("received: frames the sink's handler got. missing: numbers from 0 to " + Table.count(frames - 1)
                + " it never got. dropped: refused at the broadcaster's backlog bound (" + Table.count(LIMITS.maxFrames())
                + " frames per peer). replayed: frames queued for the sink while it was down, written after it reconnected.");
        if (lostTotal > 0) {
            paragraph(Table.count(lostTotal) + " frames are missing because they were already in kernel socket buffers (the "
                    + "broadcaster's send buffer, the sink's receive buffer) when sink #2 was stopped: plain TCP cannot recover them."
                    + (config.ack() ? "" : " Acknowledged mode closes that gap: demo --ack (or blast --ack with sink --ack)."));
        } else if (!config.ack()) {
            paragraph("No frame was lost this time: every frame handed to the kernel before sink #2 stopped reached it. Plain "
                    + "TCP loses frames that are still in kernel socket buffers when a peer dies (how many depends on the moment; "
                    + "run the demo again to see it); acknowledged mode (demo --ack) closes that gap.");
        } else {
            paragraph("No frame was lost: with acknowledged delivery a frame stays queued until the sink acknowledges it, so "
                    + "what was in flight when sink #2 stopped was sent again.");
        }
        if (config.ack() && dups > 0) {
            paragraph(Table.count(dups) + " frames reached a sink twice, which acknowledged delivery must not do while both "
                    + "processes live: please report it.");
        }
        if (droppedTotal > 0) {
            paragraph(Table.count(droppedTotal) + " frames were dropped at the backlog bound: on this machine the outage "
                    + "outlasted the bound (" + Table.count(LIMITS.maxFrames()) + " frames, " + (LIMITS.maxBytes() >> 20)
                    + " MiB per peer). They count as missing too.");
        }
        boolean ok = dups == 0 && ooo == 0 && failure == null && !(config.ack() && lostTotal > 0);
        List<String> problems = new ArrayList<>();
        if (dups > 0) {
            problems.add(Table.count(dups) + " duplicates");
        }
        if (ooo > 0) {
            problems.add(Table.count(ooo) + " frames out of order");
        }
        if (config.ack() && lostTotal > 0) {
            problems.add(Table.count(lostTotal) + " frames lost despite acknowledged delivery");
        }
        if (failure != null) {
            problems.add(failure);
        }
        out.println(ok ? "result: OK: no duplicate and no reordering at any sink"
                : "result: FAILED: " + String.join("; ", problems));
        return ok ? Main.EXIT_OK : Main.EXIT_FAILED;
    }

    /** Prints {@code text} wrapped at 100 columns, indented by two, then a blank line. */
    private void paragraph(String text) {
        StringBuilder line = new StringBuilder(" ");
        for (String word : text.split(" ")) {
            if (line.length() + 1 + word.length() > 100) {
                out.println(line);
                line = new StringBuilder(" ");
            }
            line.append(' ').append(word);
        }
        out.println(line);
        out.println();
    }

    private int fail(String why) {
        out.println("result: FAILED: " + why);
        return Main.EXIT_FAILED;
    }

    private static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(5_000_000);
        }
        return true;
    }

    private static String seconds(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }
}
