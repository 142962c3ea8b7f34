package dev.tether.bench;

import dev.tether.Delivery;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The receiving end of every end-to-end benchmark, run as its own process so that the sender's JVM (its
 * GC, its JIT, its threads) and the receiver's do not share a heap or a safepoint. It listens on N ports of
 * 127.0.0.1, drains every connection as fast as it can, counts whole frames per port, and answers a small
 * line protocol on a control connection. {@link ReceiverProcess} starts it and talks to it.
 *
 * <p>Kinds:
 * <ul>
 *   <li>{@code raw}: plain sockets, one reader thread per connection reading 256 KiB at a time and
 *       skipping from length word to length word (the wire format: 4-byte LE length, 8-byte timestamp,
 *       payload). No per-frame work beyond that, no allocation. With {@code --latency} the reader keeps
 *       every frame whole in its buffer and records, per frame, its clock minus the frame's timestamp (and
 *       minus the intended send time the latency harness writes into the first 8 payload bytes).</li>
 *   <li>{@code tether} / {@code tether-ack}: a tether {@link Node} listening on the ports, plain or
 *       acknowledged delivery, counting frames in its message handler; with {@code --latency} the handler
 *       records the same two latencies per frame.</li>
 * </ul>
 *
 * <p>Latencies go into two HdrHistogram {@link Recorder}s shared by every reader (3 significant digits,
 * nanoseconds): recording is wait-free and allocation-free, and the control thread takes snapshots without
 * stopping the readers.
 *
 * <p>Prints one line, {@code READY control=<port> data=<port>,<port>,...}, then serves exactly one control
 * connection; when it closes (the benchmark ended or died) the process exits. Commands, one per line, each
 * answered with one line starting with {@code OK} (or {@code TIMEOUT} / {@code ERR}):
 * <pre>
 * COUNT                     OK total port0 port1 ...   frames counted since the last RESET
 * RESET                     OK                          zero the counts and the latency samples
 * AWAIT frames timeoutMs    OK total | TIMEOUT total    wait until the total reaches frames
 * CLOSE i / OPEN i          OK                          stop listening on port i and reset its connections / listen again (raw)
 * KILL                      OK n                        reset every connection (RST, no TIME_WAIT); listeners stay (raw)
 * CONNS                     OK n                        live connections
 * LATENCY                   OK n p50 p90 p99 p999 max n' p50' p90' p99' p999' max'   nanoseconds since the last RESET: from the sender's timestamp, then from the intended send time
 * HISTOGRAMS                OK base64 base64'           the same two histograms, HdrHistogram's compressed encoding
 * QUIT                      OK, then exit
 * </pre>
 *
 * <p>Usage: {@code Receiver [--kind raw|tether|tether-ack] [--ports N] [--threads platform|virtual]
 * [--read-buffer BYTES] [--latency]}
 */
public final class Receiver {
    private static final VarHandle FRAMES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FRAMES = l.findVarHandle(Slot.class, "frames", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String kind;
    private final int portCount;
    private final boolean virtualThreads;
    private final int readBuffer;
    private final boolean latency;
    private final int[] ports;
    private final Listener[] listeners;
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final List<Set<SocketChannel>> connections = new ArrayList<>();
    private final Recorder fromStamp = new Recorder(3);     // now - the frame's timestamp, ns
    private final Recorder fromIntended = new Recorder(3);  // now - the intended send time in the payload, ns
    private final Histogram stampSinceReset = new Histogram(3);    // control thread only
    private final Histogram intendedSinceReset = new Histogram(3); // control thread only
    private Node node;                        // tether kinds

    private Receiver(String kind, int portCount, boolean virtualThreads, int readBuffer, boolean latency) {
        this.kind = kind;
        this.portCount = portCount;
        this.virtualThreads = virtualThreads;
        this.readBuffer = readBuffer;
        this.latency = latency;
        this.ports = new int[portCount];
        this.listeners = new Listener[portCount];
        for (int i = 0; i < portCount; i++) {
            connections.add(ConcurrentHashMap.newKeySet());
        }
    }

    public static void main(String[] args) throws Exception {
        String kind = "raw";
        int portCount = 1;
        String threads = "platform";
        int readBuffer = 256 << 10;
        boolean latency = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kind" -> kind = args[++i];
                case "--ports" -> portCount = Integer.parseInt(args[++i]);
                case "--threads" -> threads = args[++i];
                case "--read-buffer" -> readBuffer = Integer.parseInt(args[++i]);
                case "--latency" -> latency = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!Set.of("raw", "tether", "tether-ack", "tether-tls").contains(kind)) {
            throw new IllegalArgumentException("--kind must be raw, tether, tether-ack or tether-tls, was " + kind);
        }
        new Receiver(kind, portCount, threads.equals("virtual"), readBuffer, latency).run();
    }

    private void run() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket control = new ServerSocket(0, 1, loopback)) {
            if (kind.equals("raw")) {
                for (int i = 0; i < portCount; i++) {
                    listen(i, 0);
                }
            } else {
                startNode();
            }
            StringBuilder line = new StringBuilder("READY control=").append(control.getLocalPort()).append(" data=");
            for (int i = 0; i < portCount; i++) {
                line.append(i == 0 ? "" : ",").append(ports[i]);
            }
            System.out.println(line);
            System.out.flush();
            control.setSoTimeout(60_000); // nobody came for us in a minute: the benchmark is gone
            try (Socket client = control.accept()) {
                client.setTcpNoDelay(true);
                serve(client);
            }
        } finally {
            if (node != null) {
                node.closeNow();
            }
            System.exit(0);
        }
    }

    // ------------------------------------------------------------------ control

    private void serve(Socket client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(client.getOutputStream(), StandardCharsets.US_ASCII), false);
        String request;
        while ((request = in.readLine()) != null) {
            String reply;
            try {
                reply = handle(request.trim().split(" +"));
            } catch (RuntimeException | IOException e) {
                reply = "ERR " + e;
            }
            out.print(reply);
            out.print('\n');
            out.flush();
            if (request.trim().equals("QUIT")) {
                return;
            }
        }
    }

    private String handle(String[] cmd) throws IOException {
        switch (cmd[0]) {
            case "COUNT" -> {
                long[] perPort = counts();
                StringBuilder sb = new StringBuilder("OK ").append(Arrays.stream(perPort).sum());
                for (long c : perPort) {
                    sb.append(' ').append(c);
                }
                return sb.toString();
            }
            case "RESET" -> {
                for (Slot s : slots) {
                    s.base = (long) FRAMES.getVolatile(s);
                }
                fromStamp.reset();
                fromIntended.reset();
                stampSinceReset.reset();
                intendedSinceReset.reset();
                return "OK";
            }
            case "AWAIT" -> {
                long target = Long.parseLong(cmd[1]);
                long deadline = System.nanoTime() + Long.parseLong(cmd[2]) * 1_000_000L;
                long total;
                while ((total = total()) < target) {
                    if (System.nanoTime() - deadline > 0) {
                        return "TIMEOUT " + total;
                    }
                    LockSupport.parkNanos(20_000);
                }
                return "OK " + total;
            }
            case "CLOSE" -> {
                int i = Integer.parseInt(cmd[1]);
                requireRaw();
                listeners[i].close();
                for (SocketChannel c : connections.get(i)) {
                    reset(c);
                }
                return "OK";
            }
            case "OPEN" -> {
                requireRaw();
                int i = Integer.parseInt(cmd[1]);
                listen(i, ports[i]);
                return "OK";
            }
            case "KILL" -> {
                requireRaw();
                int n = 0;
                for (Set<SocketChannel> set : connections) {
                    for (SocketChannel c : set) {
                        reset(c);
                        n++;
                    }
                }
                return "OK " + n;
            }
            case "CONNS" -> {
                if (node != null) {
                    return "OK " + node.peers().size();
                }
                return "OK " + connections.stream().mapToInt(Set::size).sum();
            }
            case "LATENCY" -> {
                sampleLatency();
                return "OK " + percentiles(stampSinceReset) + " " + percentiles(intendedSinceReset);
            }
            case "HISTOGRAMS" -> {
                sampleLatency();
                return "OK " + encode(stampSinceReset) + " " + encode(intendedSinceReset);
            }
            case "QUIT" -> {
                return "OK";
            }
            default -> {
                return "ERR unknown command " + cmd[0];
            }
        }
    }

    private void requireRaw() {
        if (!kind.equals("raw")) {
            throw new IllegalStateException("only the raw receiver closes, opens and kills connections");
        }
    }

    private long[] counts() {
        long[] perPort = new long[portCount];
        for (Slot s : slots) {
            perPort[s.port] += (long) FRAMES.getVolatile(s) - s.base;
        }
        return perPort;
    }

    private long total() {
        long sum = 0;
        for (Slot s : slots) {
            sum += (long) FRAMES.getVolatile(s) - s.base;
        }
        return sum;
    }

    // ------------------------------------------------------------------ raw sockets

    private void listen(int i, int port) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
        server.configureBlocking(false);
        Listener l = new Listener(i, server, Selector.open());
        server.register(l.selector, SelectionKey.OP_ACCEPT);
        listeners[i] = l;
        ports[i] = ((InetSocketAddress) server.getLocalAddress()).getPort();
        l.thread = Thread.ofPlatform().daemon().name("accept-" + ports[i]).start(l::run);
    }

    /**
     * Accepts on one port until CLOSE. The accepting thread closes the socket itself, between two selects:
     * closing a socket another thread is blocked accepting on is deferred until that accept returns, and a
     * connection could slip in after CLOSE answered.
     */
    private final class Listener {
        final int index;
        final ServerSocketChannel server;
        final Selector selector;
        volatile boolean closing;
        Thread thread;

        Listener(int index, ServerSocketChannel server, Selector selector) {
            this.index = index;
            this.server = server;
            this.selector = selector;
        }

        void run() {
            try {
                while (!closing) {
                    selector.select();
                    selector.selectedKeys().clear();
                    SocketChannel c;
                    while (!closing && (c = server.accept()) != null) {
                        c.configureBlocking(true);
                        accepted(index, c);
                    }
                }
            } catch (IOException e) {
                System.err.println("receiver: accepting on port " + ports[index] + " failed: " + e);
            } finally {
                try {
                    selector.close();
                    server.close(); // not registered any more, nobody in accept: closed now
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        /** Closes the port; on return nothing more can connect to it. */
        void close() throws IOException {
            closing = true;
            selector.wakeup();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while closing port " + ports[index]);
            }
        }
    }

    private void accepted(int i, SocketChannel c) {
        Slot slot = new Slot(i);
        slots.add(slot);
        connections.get(i).add(c);
        Runnable drain = latency ? () -> drainTimed(i, c, slot) : () -> drain(i, c, slot);
        if (virtualThreads) {
            Thread.ofVirtual().start(drain);
        } else {
            Thread.ofPlatform().daemon().name("drain-" + ports[i]).start(drain);
        }
    }

    /** Reads until end of stream, counting whole frames: jumps from length word to length word. */
    private void drain(int i, SocketChannel c, Slot slot) {
        ByteBuffer buf = ByteBuffer.allocateDirect(readBuffer).order(ByteOrder.LITTLE_ENDIAN);
        long frames = 0;
        long skip = 0; // bytes of the current frame still to come
        try {
            while (c.read(buf) >= 0) {
                int limit = buf.position();
                int pos = 0;
                if (skip > 0) {
                    int s = (int) Math.min(skip, limit);
                    pos = s;
                    skip -= s;
                    if (skip == 0) {
                        frames++;
                    }
                }
                while (skip == 0 && limit - pos >= 12) {
                    int length = buf.getInt(pos);
                    if (length < 0) {
                        throw new IOException("control frame or bad length word " + Integer.toHexString(length)
                                + " on a raw receiver");
                    }
                    long need = 12L + length;
                    if (limit - pos >= need) {
                        pos += (int) need;
                        frames++;
                    } else {
                        skip = need - (limit - pos);
                        pos = limit;
                    }
                }
                // keep the bytes of a header cut by the read (fewer than 12) for the next round
                buf.limit(limit).position(pos);
                buf.compact();
                FRAMES.setRelease(slot, frames);
            }
        } catch (IOException e) {
            // reset by us (CLOSE/KILL) or by the sender: the connection is over either way
        } finally {
            connections.get(i).remove(c);
            try {
                c.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    /**
     * Reads until end of stream and records both latencies of every frame: unlike {@link #drain} it keeps a
     * frame cut by a read in the buffer until the rest arrives, so frames must fit the buffer.
     */
    private void drainTimed(int i, SocketChannel c, Slot slot) {
        ByteBuffer buf = ByteBuffer.allocateDirect(readBuffer).order(ByteOrder.LITTLE_ENDIAN);
        long frames = 0;
        try {
            while (c.read(buf) >= 0) {
                int limit = buf.position();
                int pos = 0;
                while (limit - pos >= 12) {
                    int length = buf.getInt(pos);
                    if (length < 0 || length > readBuffer - 12) {
                        throw new IOException("length word " + Integer.toHexString(length) + " on a raw latency receiver"
                                + " (control frame, or a frame larger than --read-buffer)");
                    }
                    if (limit - pos < 12 + length) {
                        break;
                    }
                    if (length >= 8) { // markers (empty frames) carry no send time
                        long now = epochNanos();
                        record(now - buf.getLong(pos + 4), now - buf.getLong(pos + 12));
                    }
                    pos += 12 + length;
                    frames++;
                }
                buf.limit(limit).position(pos);
                buf.compact();
                FRAMES.setRelease(slot, frames);
            }
        } catch (IOException e) {
            // reset by us or by the sender: the connection is over either way
        } finally {
            connections.get(i).remove(c);
            try {
                c.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    /** Records one frame's two latencies; a negative one (a clock step) counts as 0. */
    private void record(long latency, long fromIntendedTime) {
        fromStamp.recordValue(Math.max(0, latency));
        fromIntended.recordValue(Math.max(0, fromIntendedTime));
    }

    private static void reset(SocketChannel c) {
        try {
            c.setOption(StandardSocketOptions.SO_LINGER, 0); // close sends RST: no TIME_WAIT on either side
            c.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    // ------------------------------------------------------------------ tether receivers

    private void startNode() throws IOException {
        ThreadLocal<Slot> slotOfThread = new ThreadLocal<>();
        ConcurrentHashMap<Integer, Integer> portIndex = new ConcurrentHashMap<>();
        Function<Peer, Slot> newSlot = peer -> {
            int listenPort = peer.listenAddress().orElseThrow().getPort();
            Slot s = new Slot(portIndex.getOrDefault(listenPort, 0));
            slots.add(s);
            return s;
        };
        NodeConfig.Builder builder = NodeConfig.builder();
        if (kind.equals("tether-tls")) {
            builder.tls(BenchTls.server());
        }
        node = builder
                .name("receiver")
                .maxInboundConnections(1_000_000) // a benchmark may connect more than the default 10,000 peers
                .delivery(kind.equals("tether-ack") ? Delivery.ACKNOWLEDGED : Delivery.PLAIN)
                .onMessage((peer, payload, sentAt) -> {
                    // one reader thread per connection, for the life of the connection: a slot per thread
                    Slot s = slotOfThread.get();
                    if (s == null) {
                        s = newSlot.apply(peer);
                        slotOfThread.set(s);
                    }
                    if (latency) {
                        long now = epochNanos();
                        long intended = payload.remaining() >= 8 ? payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()) : now;
                        record(now - sentAt, now - intended);
                    }
                    FRAMES.setRelease(s, s.frames + 1);
                })
                .start();
        for (int i = 0; i < portCount; i++) {
            InetSocketAddress bound = node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ports[i] = bound.getPort();
            portIndex.put(bound.getPort(), i);
        }
    }

    static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Moves what the readers recorded since the last call into the since-reset histograms. */
    private void sampleLatency() {
        stampSinceReset.add(fromStamp.getIntervalHistogram());
        intendedSinceReset.add(fromIntended.getIntervalHistogram());
    }

    /** n p50 p90 p99 p999 max, in nanoseconds. */
    private static String percentiles(Histogram h) {
        long n = h.getTotalCount();
        if (n == 0) {
            return "0 0 0 0 0 0";
        }
        return n + " " + h.getValueAtPercentile(50) + " " + h.getValueAtPercentile(90) + " " + h.getValueAtPercentile(99)
                + " " + h.getValueAtPercentile(99.9) + " " + h.getMaxValue();
    }

    private static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), n));
    }

    /** One connection's frame count; written only by its reader thread, read by the control thread. */
    static final class Slot {
        final int port;
        long frames;               // written with release by the owner
        long base;                 // control thread only: frames at the last RESET

        Slot(int port) {
            this.port = port;
        }
    }
}
