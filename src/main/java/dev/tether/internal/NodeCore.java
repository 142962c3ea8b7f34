package dev.tether.internal;

import dev.tether.Delivery;
import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.DropReason;
import dev.tether.Event;
import dev.tether.NodeConfig;
import dev.tether.NodeStats;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.SendResult;
import dev.tether.UnknownPeerException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real node behind a {@link dev.tether.Node}: its peers, listeners, threads and shared resources, and
 * the close sequence. Thread-safe; every public method may be called from any thread.
 */
public final class NodeCore {
    private static final Logger log = LoggerFactory.getLogger(NodeCore.class);
    private static final int WRITE_BUFFER_BYTES = 256 << 10;
    private static final Duration JOIN_GRACE = Duration.ofSeconds(5); // plus 1 ms per peer, at most a minute

    /** RUNNING -&gt; DRAINING -&gt; STOPPING -&gt; CLOSED; only forward, each step once. */
    enum State { RUNNING, DRAINING, STOPPING, CLOSED }

    private final NodeConfig config;
    private final Function<PeerCore, Peer> handles;
    private final long sessionId;
    private final byte[] hello;
    private final boolean acknowledged;
    private final TetherThreads threads;
    private final EventDispatcher events;
    private final BufferPool buffers;
    private final ReceiveSessions receiveSessions = new ReceiveSessions();
    private final Connections connections;

    private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stateChanged = lock.newCondition();
    private final AtomicLong nextPeerId = new AtomicLong();
    private final ConcurrentHashMap<Long, PeerCore> peers = new ConcurrentHashMap<>();
    private volatile PeerCore[] peerArray = new PeerCore[0]; // copy-on-write under lock: broadcast reads it without locking
    private final List<Acceptor> acceptors = new CopyOnWriteArrayList<>();
    private final ClosedTotals closedTotals = new ClosedTotals();
    private final Runnable highWaterHook;
    private final NodeMBean mbean; // null unless config.jmx()

    public NodeCore(NodeConfig config, Function<PeerCore, Peer> handles) {
        this.config = config;
        this.handles = handles;
        this.sessionId = new SecureRandom().nextLong();
        this.hello = config.hello();
        this.acknowledged = config.delivery() == Delivery.ACKNOWLEDGED;
        this.threads = new TetherThreads(config.name());
        this.events = new EventDispatcher(config.eventListener(), config.messageHandler());
        TransportFactory transports = config.tls() == null ? TransportFactory.PLAIN : new TlsTransportFactory(config.tls());
        this.buffers = new BufferPool(WRITE_BUFFER_BYTES, transports.directBuffers(), 64);
        this.connections = new Connections(this, transports);
        this.mbean = config.jmx() ? NodeMBean.register(this) : null;
        this.highWaterHook = FlightEvents.highWaterHook(this);
        jdk.jfr.FlightRecorder.addPeriodicEvent(FlightEvents.BacklogHighWater.class, highWaterHook);
        threads.start("watchdog", new Watchdog(this));
    }

    // ------------------------------------------------------------------ shared parts

    public NodeConfig config() {
        return config;
    }

    public long sessionId() {
        return sessionId;
    }

    boolean acknowledged() {
        return acknowledged;
    }

    byte[] hello() {
        return hello;
    }

    TetherThreads threads() {
        return threads;
    }

    EventDispatcher events() {
        return events;
    }

    BufferPool buffers() {
        return buffers;
    }

    ReceiveSessions receiveSessions() {
        return receiveSessions;
    }

    Connections connections() {
        return connections;
    }

    Peer handleFor(PeerCore core) {
        return handles.apply(core);
    }

    PeerCore[] peerArray() {
        return peerArray;
    }

    // ------------------------------------------------------------------ peers

    /** Creates an outbound peer; its supervisor connects in the background. */
    public PeerCore connect(InetSocketAddress address) {
        ensureRunning("connect");
        PeerCore peer = new PeerCore(this, nextPeerId.incrementAndGet(), Direction.OUTBOUND, address, null);
        Backoff backoff = new Backoff(config.reconnectInitialBackoff(), config.reconnectMaxBackoff(),
                config.reconnectJitter(), () -> ThreadLocalRandom.current().nextDouble());
        if (!registerAndStart(peer, "supervisor-" + peer.id(), new Supervisor(peer, this, backoff))) {
            throw new IllegalStateException(config.name() + " is closed: no new peers after close()");
        }
        return peer;
    }

    /** Binds a listener and starts accepting. Returns the bound address (port 0 becomes a real port). */
    public InetSocketAddress listen(InetSocketAddress address) throws IOException {
        ensureRunning("listen");
        TlsServerCheck.requireServerCapable(config.tls());
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
        lock.lock();
        try { // as registerAndStart: close() either sees this acceptor with its thread, or we see close()
            if (state.get() != State.RUNNING) {
                acceptor.close();
                throw new IllegalStateException("node closed while listening on " + bound);
            }
            acceptor.thread = threads.start("acceptor-" + bound.getPort(), acceptor);
            acceptors.add(acceptor); // published with its thread set: stopListening waits on it
        } finally {
            lock.unlock();
        }
        log.info("{} listening on {}", config.name(), bound);
        return bound;
    }

    /** Closes the listener bound to this address; its accepted connections stay. */
    public boolean stopListening(InetSocketAddress bound) {
        for (Acceptor a : acceptors) {
            if (a.address().equals(bound) && acceptors.remove(a)) {
                a.close();
                // the kernel frees the port only once the thread blocked in accept() has let go of the socket:
                // wait for it, so the caller can listen on the same port at once
                PeerCore.joinQuietly(a.thread);
                log.info("{} stopped listening on {}", config.name(), bound);
                return true;
            }
        }
        return false;
    }

    void accepted(SocketChannel channel, InetSocketAddress listenAddress) {
        if (state.get() != State.RUNNING) {
            Sockets.closeQuietly(channel);
            return;
        }
        InetSocketAddress remote;
        try {
            Sockets.configure(channel, config);
            remote = (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            Sockets.closeQuietly(channel); // the client went away before we looked
            return;
        }
        PeerCore peer = new PeerCore(this, nextPeerId.incrementAndGet(), Direction.INBOUND, remote, listenAddress);
        peer.watchConnecting(channel);
        if (!registerAndStart(peer, "reader-" + peer.id(), () -> peer.runInbound(channel))) {
            Sockets.closeQuietly(channel); // close() began meanwhile
        }
    }

    /**
     * Adds the peer and starts its first thread, both under the node lock and only while the node runs:
     * close() flips the state under the same lock, so every peer it sweeps has its thread, and no peer
     * appears behind its back.
     */
    private boolean registerAndStart(PeerCore peer, String threadName, Runnable task) {
        lock.lock();
        try {
            if (state.get() != State.RUNNING) {
                return false;
            }
            peers.put(peer.id(), peer);
            PeerCore[] next = Arrays.copyOf(peerArray, peerArray.length + 1);
            next[next.length - 1] = peer;
            peerArray = next;
            threads.start(threadName, task);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The peer is CLOSED: no longer found by id, no longer in broadcasts; its counters go to the totals. */
    void forget(PeerCore peer) {
        lock.lock();
        try {
            if (peers.remove(peer.id()) == null) {
                return;
            }
            closedTotals.add(peer.stats());
            peer.forgotten = true; // its counters are in the totals now: stats() must not count it again
            if (state.get().compareTo(State.STOPPING) >= 0) {
                return; // every peer is closing: the array is dropped once at the end, not rebuilt per peer
            }
            PeerCore[] current = peerArray;
            PeerCore[] next = new PeerCore[current.length - 1];
            int j = 0;
            for (PeerCore p : current) {
                if (p != peer && j < next.length) {
                    next[j++] = p;
                }
            }
            peerArray = next;
        } finally {
            lock.unlock();
        }
    }

    public PeerCore peer(long id) {
        PeerCore peer = peers.get(id);
        if (peer == null) {
            throw new UnknownPeerException(id);
        }
        return peer;
    }

    public PeerCore findPeer(long id) {
        return peers.get(id);
    }

    public List<PeerCore> peers() {
        return List.of(peerArray);
    }

    // ------------------------------------------------------------------ sending

    /** Appends one frame to every live peer, in one pass; full or dropping peers are skipped and counted. */
    public int broadcast(Frame frame) {
        ensureRunning("broadcast");
        int queued = 0;
        for (PeerCore peer : peerArray) {
            try {
                SendResult r = peer.backlog().offer(frame);
                if (r == SendResult.ACCEPTED) {
                    queued++;
                } else {
                    peer.reported(r);
                }
            } catch (IllegalStateException closing) {
                // the node began closing during this pass: the rest is "sent after close"
            }
        }
        return queued;
    }

    /**
     * Like {@link #broadcast(Frame)}, then waits, until one shared deadline, for room at the peers that were
     * full; those still full are skipped and counted.
     */
    public int broadcast(Frame frame, Duration maxWait) throws InterruptedException {
        ensureRunning("broadcast");
        long start = 0; // the clock is read only if some peer is full
        PeerCore[] targets = peerArray;
        boolean[] full = null;
        int queued = 0;
        for (int i = 0; i < targets.length; i++) {
            SendResult r;
            try {
                r = targets[i].backlog().offerWithoutDropping(frame);
            } catch (IllegalStateException closing) {
                continue;
            }
            if (r == SendResult.ACCEPTED) {
                queued++;
            } else if (r == SendResult.BACKLOG_FULL) {
                if (full == null) {
                    full = new boolean[targets.length];
                    start = System.nanoTime();
                }
                full[i] = true;
            } else {
                targets[i].reported(r);
            }
        }
        if (full != null) {
            for (int i = 0; i < targets.length; i++) {
                if (full[i]) {
                    long left = Math.max(0, start + maxWait.toNanos() - System.nanoTime());
                    try {
                        if (targets[i].reported(targets[i].backlog().offer(frame, left)) == SendResult.ACCEPTED) {
                            queued++;
                        }
                    } catch (IllegalStateException closing) {
                        // closing: skip
                    }
                }
            }
        }
        return queued;
    }

    /** Checks and encodes a payload: not empty, not over maxFrameSize. */
    public Frame encode(byte[] payload) {
        java.util.Objects.requireNonNull(payload, "payload");
        checkLength(payload.length);
        return FrameCodec.encode(payload, 0, payload.length, FrameCodec.epochNanos());
    }

    /** Checks and encodes the remaining bytes of a payload, leaving its position alone. */
    public Frame encode(java.nio.ByteBuffer payload) {
        java.util.Objects.requireNonNull(payload, "payload");
        checkLength(payload.remaining());
        return FrameCodec.encode(payload, FrameCodec.epochNanos());
    }

    private void checkLength(int length) {
        if (length == 0) {
            throw new IllegalArgumentException("empty payload: zero-length frames are skipped by every receiver, "
                    + "so sending one is always a mistake; send at least one byte");
        }
        if (length > config.maxFrameSize()) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds maxFrameSize "
                    + config.maxFrameSize() + ": split it, or raise NodeConfig.maxFrameSize on both ends");
        }
    }

    /** Throws if the node is closed; {@code call} names what was asked of it: "send", "connect", ... */
    public void ensureRunning(String call) {
        if (state.get() != State.RUNNING) {
            throw new IllegalStateException(config.name() + " is closed: " + call + "() after close() is rejected");
        }
    }

    public boolean isClosed() {
        return state.get() != State.RUNNING;
    }

    // ------------------------------------------------------------------ closing

    /**
     * Stops accepting, lets every writer flush until the deadline, sends end-of-stream, then closes every
     * socket and waits for every thread. Idempotent; a second caller waits for the first to finish.
     */
    public void close(Duration drainTimeout) {
        long start = System.nanoTime();
        long deadline = start + drainTimeout.toNanos();
        boolean first;
        lock.lock();
        try { // under the lock that registers peers: from here on none is added
            first = state.compareAndSet(State.RUNNING, State.DRAINING);
        } finally {
            lock.unlock();
        }
        if (!first) {
            awaitClosed();
            return;
        }
        signalStateChanged();
        for (Acceptor a : acceptors) {
            a.close();
        }
        boolean graceful = !drainTimeout.isZero(); // closeNow: no end-of-stream handshake, just close
        for (PeerCore peer : peerArray) {
            peer.backlog().seal(graceful);
        }
        boolean interrupted = false;
        try {
            drain(deadline);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        state.set(State.STOPPING);
        signalStateChanged();
        long discarded = 0;
        for (PeerCore peer : peerArray) {
            discarded += peer.backlog().queuedFrames();
            peer.close(DropReason.CLOSED, "node closed");
        }
        Duration grace = JOIN_GRACE.plusMillis(Math.min(55_000, peerArray.length)); // every thread is ending; many take a while
        Set<Thread> alive = threads.joinAll(System.nanoTime() + grace.toNanos());
        if (!alive.isEmpty()) {
            log.warn("{}: {} threads still running {} after close (a message handler or listener that blocks?): {}",
                    config.name(), alive.size(), grace, alive.size() > 10 ? alive.size() + " threads" : alive);
        }
        lock.lock();
        try {
            peerArray = new PeerCore[0];
        } finally {
            lock.unlock();
        }
        jdk.jfr.FlightRecorder.removePeriodicEvent(highWaterHook);
        if (mbean != null) {
            mbean.unregister();
        }
        state.set(State.CLOSED);
        signalStateChanged();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        log.info("{} closed in {} ms; {} queued frames discarded", config.name(), took.toMillis(), discarded);
        events.emit(new Event.NodeClosed(discarded, took));
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Each writer sends end-of-stream as soon as its backlog is flushed (see {@link Backlog#seal()}); a
     * down outbound peer with frames queued keeps reconnecting to flush them. This waits for all of that,
     * peer by peer, against one deadline.
     */
    private void drain(long deadline) throws InterruptedException {
        for (PeerCore peer : peerArray) {
            if (!peer.backlog().awaitFlushed(deadline)) {
                continue;
            }
            Connection c;
            while ((c = peer.connection()) != null) { // the peer answers our end-of-stream with its own
                long left = deadline - System.nanoTime();
                if (left <= 0 || !c.awaitLoops(left)) {
                    return;
                }
                if (peer.connection() == c) {
                    break;
                }
            }
        }
    }

    /** True once close() has begun. */
    boolean draining() {
        return state.get() != State.RUNNING;
    }

    private void awaitClosed() {
        lock.lock();
        try {
            while (state.get() != State.CLOSED) {
                stateChanged.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** For the watchdog: waits a tick; true once the node is stopping and the watchdog should end. */
    boolean awaitTerminated(long nanos) {
        return awaitState(State.STOPPING, nanos);
    }

    /** For the acceptor's retry: waits up to {@code nanos}, less if the node starts closing. */
    void awaitClosing(long nanos) {
        awaitState(State.DRAINING, nanos);
    }

    /** Waits up to {@code nanos} for the node to reach {@code atLeast}; true if it has. */
    private boolean awaitState(State atLeast, long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (left > 0 && state.get().compareTo(atLeast) < 0) {
                left = stateChanged.awaitNanos(left);
            }
            return state.get().compareTo(atLeast) >= 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void signalStateChanged() {
        lock.lock();
        try {
            stateChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ statistics

    public NodeStats stats() {
        Map<PeerState, Integer> byState = new EnumMap<>(PeerState.class);
        for (PeerState s : PeerState.values()) {
            byState.put(s, 0);
        }
        ClosedTotals sum;
        List<PeerCore> live = new java.util.ArrayList<>();
        lock.lock();
        try { // one consistent cut: each peer is either in the closed totals or read live below, never both
            sum = closedTotals.copy();
            for (PeerCore peer : peerArray) {
                if (!peer.forgotten) {
                    live.add(peer);
                }
            }
        } finally {
            lock.unlock();
        }
        for (PeerCore peer : live) {
            dev.tether.PeerStats s = peer.stats();
            byState.merge(s.state(), 1, Integer::sum);
            sum.add(s);
        }
        return new NodeStats(byState, sum.queuedFrames, sum.queuedBytes, sum.framesWritten, sum.bytesWritten,
                sum.framesReceived, sum.bytesReceived, sum.droppedBacklogFull, sum.droppedDisconnected,
                sum.droppedClosed, sum.reconnects, events.failures());
    }

    public int liveThreads() {
        return threads.live();
    }

    /** Sums of counters; for closed peers, guarded by the node lock. */
    private static final class ClosedTotals {
        long queuedFrames, queuedBytes, framesWritten, bytesWritten, framesReceived, bytesReceived;
        long droppedBacklogFull, droppedDisconnected, droppedClosed, reconnects;

        void add(dev.tether.PeerStats s) {
            queuedFrames += s.queuedFrames();
            queuedBytes += s.queuedBytes();
            framesWritten += s.framesWritten();
            bytesWritten += s.bytesWritten();
            framesReceived += s.framesReceived();
            bytesReceived += s.bytesReceived();
            droppedBacklogFull += s.droppedBacklogFull();
            droppedDisconnected += s.droppedDisconnected();
            droppedClosed += s.droppedClosed();
            reconnects += s.reconnects();
        }

        ClosedTotals copy() {
            ClosedTotals c = new ClosedTotals();
            c.framesWritten = framesWritten;
            c.bytesWritten = bytesWritten;
            c.framesReceived = framesReceived;
            c.bytesReceived = bytesReceived;
            c.droppedBacklogFull = droppedBacklogFull;
            c.droppedDisconnected = droppedDisconnected;
            c.droppedClosed = droppedClosed;
            c.reconnects = reconnects;
            return c; // queued counts of closed peers are zero by definition
        }
    }

}
