package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.Event;
import dev.tether.NodeConfig;
import dev.tether.NodeStats;
import dev.tether.Peer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real node behind a {@link dev.tether.Node}: it adds peers and listeners, sends to all of them, and
 * closes. What its parts share is a {@link NodeContext}; its peers are in a {@link PeerRegistry}; each peer's
 * life is its own {@link PeerLifecycle}. Thread-safe; every public method may be called from any thread.
 */
public final class NodeCore {
    private static final Logger log = LoggerFactory.getLogger(NodeCore.class);
    private static final int WRITE_BUFFER_BYTES = 256 << 10;
    /** Slabs of direct memory for larger frames: 64 of 256 KiB, 16 MiB at most per node. */
    private static final int MAX_SLABS = 64;
    /** After the drain deadline, the most close() waits for threads to end once their sockets are closed. */
    static final Duration JOIN_GRACE = Duration.ofSeconds(5);

    private final NodeContext context;
    private final Function<PeerCore, Peer> handles;
    private final PeerRegistry registry = new PeerRegistry();
    private final ConnectionSetup setup;
    private final List<Acceptor> acceptors = new CopyOnWriteArrayList<>();
    private final Runnable highWaterHook;
    private final NodeMBean mbean; // null unless config.jmx()
    private final boolean aged;    // frames carry their birth time: the node has a maximum age

    /** Starts a node; {@code handles} makes the public handle of each peer. */
    public static NodeCore create(NodeConfig config, BiFunction<PeerCore, NodeCore, Peer> handles) {
        return new NodeCore(config, handles);
    }

    private NodeCore(NodeConfig config, BiFunction<PeerCore, NodeCore, Peer> handles) {
        TransportFactory transports = config.tls() == null ? TransportFactory.PLAIN : new TlsTransportFactory(config.tls());
        this.context = new NodeContext(config, new SecureRandom().nextLong(), new NodeState(), new TetherThreads(config.name()),
                new EventDispatcher(config.eventListener(), config.messageHandler(), config.sequencedMessageHandler().orElse(null)),
                new BufferPool(WRITE_BUFFER_BYTES, transports.directBuffers(), 64),
                config.tls() == null ? new Slabs(MAX_SLABS) : null, transports, new ReceiveSessions(config.resumePositions().orElse(null)),
                new Lineages(), new InboundBudget(config.inboundMemoryBudget()),
                new InboundLimit(config.name(), config.maxInboundConnections(), config.tls() == null));
        this.handles = core -> handles.apply(core, this);
        this.setup = new ConnectionSetup(context);
        this.aged = config.maxAge().isPresent();
        this.mbean = config.jmx() ? NodeMBean.register(this) : null;
        this.highWaterHook = FlightEvents.highWaterHook(registry, config);
        jdk.jfr.FlightRecorder.addPeriodicEvent(FlightEvents.BacklogHighWater.class, highWaterHook);
        context.threads().start("watchdog", new Watchdog(context, registry));
    }

    public NodeConfig config() {
        return context.config();
    }

    public long sessionId() {
        return context.sessionId();
    }

    NodeContext context() {
        return context;
    }

    // ------------------------------------------------------------------ peers and listeners

    /** Creates an outbound peer; its supervisor connects in the background. */
    public PeerCore connect(InetSocketAddress address) {
        ensureRunning("connect");
        PeerCore peer = new PeerCore(registry.nextId(), Direction.OUTBOUND, address, null, context, registry, handles);
        NodeConfig c = context.config();
        Backoff backoff = new Backoff(c.reconnectInitialBackoff(), c.reconnectMaxBackoff(), c.reconnectJitter(),
                () -> ThreadLocalRandom.current().nextDouble());
        if (!addAndStart(peer, "supervisor-" + peer.id(), new Supervisor(peer, context, setup, backoff, null))) {
            throw closedError(c.name(), "connect");
        }
        return peer;
    }

    /** Binds a listener and starts accepting. Returns the bound address (port 0 becomes a real port). */
    public InetSocketAddress listen(InetSocketAddress address) throws IOException {
        ensureRunning("listen");
        TlsServerCheck.requireServerCapable(context.config().tls());
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 1024);
        } catch (IOException e) {
            Sockets.closeQuietly(server);
            BindException b = new BindException("cannot listen on " + address.getHostString() + ":" + address.getPort()
                    + ": " + e.getMessage());
            b.initCause(e);
            throw b;
        }
        InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
        Acceptor acceptor = new Acceptor(this, server, bound);
        boolean started = context.state().whileRunning(() -> { // close() either sees this acceptor with its thread, or we see close()
            acceptor.thread = context.threads().start("acceptor-" + bound.getPort(), acceptor);
            acceptors.add(acceptor); // published with its thread set: stopListening waits on it
            return true;
        });
        if (!started) {
            acceptor.close();
            throw closedError(context.config().name(), "listen");
        }
        log.info("{} listening on {}", context.config().name(), bound);
        return bound;
    }

    /** Closes the listener bound to this address; its accepted connections stay. */
    public boolean stopListening(InetSocketAddress bound) {
        for (Acceptor a : acceptors) {
            if (a.address().equals(bound) && acceptors.remove(a)) {
                a.close();
                // the kernel frees the port only once the thread blocked in accept() has let go of the socket:
                // wait for it, so the caller can listen on the same port at once
                Supervisor.joinQuietly(a.thread);
                log.info("{} stopped listening on {}", context.config().name(), bound);
                return true;
            }
        }
        return false;
    }

    /** A listener took a connection: it becomes an inbound peer with its own supervisor. */
    void accepted(SocketChannel channel, InetSocketAddress listenAddress) {
        if (context.state().closing()) {
            Sockets.abort(channel);
            return;
        }
        if (!context.inbound().tryAdmit()) {
            context.inbound().refuse(channel, listenAddress);
            return;
        }
        InetSocketAddress remote;
        try {
            Sockets.configure(channel, context.config());
            remote = (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            context.inbound().left();
            Sockets.closeQuietly(channel); // the client went away before we looked
            return;
        }
        PeerCore peer = new PeerCore(registry.nextId(), Direction.INBOUND, remote, listenAddress, context, registry, handles);
        peer.lifecycle().inboundHandshake(channel);
        if (!addAndStart(peer, "inbound-" + peer.id(), new Supervisor(peer, context, setup, null, channel))) {
            context.inbound().left();
            Sockets.abort(channel); // close() began meanwhile
        }
    }

    /** Adds the peer and starts its supervisor, both only while the node runs (see {@link NodeState}). */
    private boolean addAndStart(PeerCore peer, String threadName, Runnable supervisor) {
        return context.state().whileRunning(() -> {
            registry.add(peer);
            context.threads().start(threadName, supervisor);
            return true;
        });
    }

    /** Every outbound peer, as a group. */
    public GroupCore outbound() {
        return registry.outbound();
    }

    /** Every inbound peer, as a group. */
    public GroupCore inbound() {
        return registry.inbound();
    }

    /** The application's group of this name, made on first use. */
    public GroupCore group(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.equals("outbound") || name.equals("inbound")) {
            throw new IllegalArgumentException("group name '" + name + "' is blank or built in: use Node.outbound() "
                    + "or Node.inbound() for those, and another name for a group of your own");
        }
        return registry.group(name);
    }

    /** The core of one of this node's peer handles, or null if it is not (or no longer) one of them. */
    public PeerCore coreOf(Peer handle) {
        PeerCore p = registry.find(handle.id());
        return p != null && p.handle() == handle ? p : null;
    }

    public PeerCore peer(long id) {
        return registry.get(id);
    }

    public PeerCore findPeer(long id) {
        return registry.find(id);
    }

    /** Every live peer. */
    public List<PeerCore> peers() {
        return registry.live();
    }

    // ------------------------------------------------------------------ sending

    /** Checks a payload (not empty, not over maxFrameSize) and wraps it, to be encoded only if some backlog takes it. */
    public LazyFrame payload(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        checkLength(payload.length);
        return LazyFrame.of(payload).aged(aged).sharedFrom(context.slabs());
    }

    /** The same for the remaining bytes of a buffer, whose position is left alone. */
    public LazyFrame payload(ByteBuffer payload) {
        Objects.requireNonNull(payload, "payload");
        checkLength(payload.remaining());
        return LazyFrame.of(payload).aged(aged).sharedFrom(context.slabs());
    }

    /**
     * Checks a batch (not empty, each payload not empty and within maxFrameSize, the whole within one
     * backlog's bound) and wraps it as one record, to be encoded once, only if some backlog takes it.
     */
    public LazyFrame batch(List<byte[]> payloads) {
        Objects.requireNonNull(payloads, "payloads");
        if (payloads.isEmpty()) {
            throw new IllegalArgumentException("empty batch: pass at least one payload");
        }
        long bytes = 0;
        for (byte[] p : payloads) {
            Objects.requireNonNull(p, "a payload in the batch");
            checkLength(p.length);
            bytes += FrameCodec.HEADER_BYTES + p.length;
        }
        dev.tether.BacklogLimits limits = context.config().backlogLimits();
        if (payloads.size() > limits.maxFrames() || bytes > limits.maxBytes() || bytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a batch of " + payloads.size() + " frames and " + bytes
                    + " encoded bytes can never fit a backlog bounded by " + limits + ": split it into smaller batches");
        }
        return LazyFrame.ofBatch(payloads, (int) bytes).aged(aged).sharedFrom(context.slabs()); // encoded within the call: the caller may reuse its arrays
    }

    /** Queues for one peer without waiting. */
    public dev.tether.SendResult send(PeerCore peer, LazyFrame frame) {
        ensureRunning("send");
        try {
            return peer.send(frame);
        } finally {
            frame.release();
        }
    }

    /** Queues for one peer, waiting up to {@code maxWait} for room. */
    public dev.tether.SendResult send(PeerCore peer, LazyFrame frame, Duration maxWait) throws InterruptedException {
        ensureRunning("send");
        try {
            return peer.send(frame, maxWait);
        } finally {
            frame.release();
        }
    }

    /** Appends one frame to every peer, in one pass; full or dropping peers are skipped and counted. */
    public int broadcast(LazyFrame frame) {
        return broadcast(registry.members(), frame);
    }

    /** The same to {@code targets} (a group's members): one pass, one frame object for all of them. */
    public int broadcast(PeerCore[] targets, LazyFrame frame) {
        ensureRunning("broadcast");
        try {
            return offerToAll(targets, frame);
        } finally {
            frame.release(); // each backlog that took a slab record holds its own reference
        }
    }

    private int offerToAll(PeerCore[] targets, LazyFrame frame) {
        int queued = 0;
        for (PeerCore peer : targets) {
            Backlog.Offer r = peer.backlog().offer(frame, true);
            if (r == Backlog.Offer.ACCEPTED) {
                queued++;
            } else if (r == Backlog.Offer.FULL || r == Backlog.Offer.DROPPED_DISCONNECTED) {
                peer.drops().reportIfDue();
            }
            // PEER_CLOSED: a peer closing; NODE_CLOSED: close() began during this pass, the rest is after it
        }
        return queued;
    }

    /**
     * Like {@link #broadcast(LazyFrame)}, then waits, until one shared deadline, for room at the peers that
     * were full or over their high-water mark; those still full then are skipped and counted.
     */
    public int broadcast(LazyFrame frame, Duration maxWait) throws InterruptedException {
        return broadcast(registry.members(), frame, maxWait);
    }

    /** The same to {@code targets}, with one shared deadline. */
    public int broadcast(PeerCore[] targets, LazyFrame frame, Duration maxWait) throws InterruptedException {
        ensureRunning("broadcast");
        try {
            return offerToAll(targets, frame, maxWait);
        } finally {
            frame.release();
        }
    }

    private int offerToAll(PeerCore[] targets, LazyFrame frame, Duration maxWait) throws InterruptedException {
        boolean[] full = null;
        long start = 0; // the clock is read only if some peer is full
        int queued = 0;
        for (int i = 0; i < targets.length; i++) {
            Backlog.Offer r = targets[i].backlog().offer(frame, false, true);
            if (r == Backlog.Offer.ACCEPTED) {
                queued++;
            } else if (r == Backlog.Offer.FULL || r == Backlog.Offer.PACED) { // waited for below, with one deadline
                if (full == null) {
                    full = new boolean[targets.length];
                    start = System.nanoTime();
                }
                full[i] = true;
            } else if (r == Backlog.Offer.DROPPED_DISCONNECTED) {
                targets[i].drops().reportIfDue();
            }
        }
        for (int i = 0; full != null && i < targets.length; i++) {
            if (full[i]) {
                long left = Math.max(0, start + maxWait.toNanos() - System.nanoTime());
                Backlog.Offer r = targets[i].backlog().offer(frame, left);
                if (r == Backlog.Offer.ACCEPTED) {
                    queued++;
                } else if (r == Backlog.Offer.FULL) {
                    targets[i].drops().reportIfDue();
                }
            }
        }
        return queued;
    }

    private void checkLength(int length) {
        if (length == 0) {
            throw new IllegalArgumentException("empty payload: zero-length frames are skipped by every receiver, "
                    + "so sending one is always a mistake; send at least one byte");
        }
        if (length > context.config().maxFrameSize()) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds maxFrameSize "
                    + context.config().maxFrameSize() + ": split it, or raise NodeConfig.maxFrameSize on both ends");
        }
    }

    /** Throws if close() has begun; {@code call} names what the caller tried. */
    public void ensureRunning(String call) {
        if (context.state().closing()) {
            throw closedError(context.config().name(), call);
        }
    }

    static IllegalStateException closedError(String node, String call) {
        return new IllegalStateException(node + " is closed: " + call + "() after close() is rejected");
    }

    public boolean isClosed() {
        return context.state().closing();
    }

    // ------------------------------------------------------------------ closing

    private volatile Thread closingThread; // the thread running close(), once it began

    /**
     * Stops accepting, lets every writer flush until the deadline, sends end-of-stream, then closes every
     * socket and waits (at most {@link #JOIN_GRACE} more) for every thread. Idempotent; a second caller
     * waits for the first to finish, unless it is the closing thread itself (a listener on NodeClosed).
     */
    public void close(Duration drainTimeout) {
        long start = System.nanoTime();
        long deadline = start + drainTimeout.toNanos();
        if (!context.state().advance(NodeState.State.RUNNING, NodeState.State.DRAINING)) {
            if (Thread.currentThread() != closingThread) { // the closing thread itself (a listener on NodeClosed) must not wait for itself
                context.state().awaitClosed();
            }
            return;
        }
        closingThread = Thread.currentThread();
        for (Acceptor a : acceptors) {
            a.close();
        }
        boolean graceful = !drainTimeout.isZero(); // closeNow: no end-of-stream exchange, just close
        PeerCore[] peers = registry.members();
        for (PeerCore peer : peers) {
            peer.backlog().seal();
            if (graceful) {
                peer.lifecycle().drain();
            }
        }
        boolean interrupted = false;
        if (graceful) {
            try {
                for (PeerCore peer : peers) { // one deadline for all: each peer flushes, then its end-of-stream is answered
                    if (peer.backlog().awaitFlushed(deadline)) {
                        peer.lifecycle().awaitUnconnected(deadline);
                    }
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        context.state().advance(NodeState.State.DRAINING, NodeState.State.STOPPING);
        registry.closingAll();
        long discarded = 0;
        for (PeerCore peer : registry.members()) {
            discarded += peer.backlog().queued();
            peer.lifecycle().close(new Failure(DisconnectReason.LOCAL_CLOSE, "node closed"));
        }
        long joinBy = Math.max(deadline, System.nanoTime()) + JOIN_GRACE.toNanos();
        Set<Thread> alive = context.threads().joinAll(joinBy);
        if (!alive.isEmpty()) {
            log.warn("{}: {} threads still running {} after the drain deadline (a message handler or listener that blocks?): {}",
                    context.config().name(), alive.size(), JOIN_GRACE, alive.size() > 10 ? alive.size() + " threads" : alive);
        }
        registry.cleared();
        jdk.jfr.FlightRecorder.removePeriodicEvent(highWaterHook);
        if (mbean != null) {
            mbean.unregister();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        log.info("{} closed in {} ms; {} queued frames discarded", context.config().name(), took.toMillis(), discarded);
        context.events().emit(new Event.NodeClosed(discarded, took));
        context.state().advance(NodeState.State.STOPPING, NodeState.State.CLOSED); // last: a second close() returns after all of it
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ statistics

    public NodeStats stats() {
        return registry.stats(context.events().failures(), context.inbound().refused());
    }

    /** Threads of this node still running. */
    int liveThreads() {
        return context.threads().live();
    }

    String describeLiveThreads() {
        return context.threads().describeLive();
    }

    PeerRegistry registry() {
        return registry;
    }
}
