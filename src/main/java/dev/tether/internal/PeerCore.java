package dev.tether.internal;

import dev.tether.BacklogFullException;
import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.DropReason;
import dev.tether.Event;
import dev.tether.Peer;
import dev.tether.PeerState;
import dev.tether.PeerStats;
import dev.tether.SendResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real peer behind a {@link Peer} handle: its backlog, its state, its current connection, and the
 * transitions between states. {@link #transition} is the only writer of the state.
 *
 * <p>An outbound peer's connections are made and lost by its {@link Supervisor}; an inbound peer lives
 * for one connection, run by {@link #runInbound} on the connection's reader thread.
 */
public final class PeerCore {
    private static final Logger log = LoggerFactory.getLogger(PeerCore.class);

    private final NodeCore node;
    private final long id;
    private final Direction direction;
    private final InetSocketAddress address;
    private final InetSocketAddress listenAddress; // inbound only
    private final Backlog backlog;
    private final DropReporter drops;
    private final Peer handle;

    private final ReentrantLock lifecycle = new ReentrantLock();
    private final Condition wake = lifecycle.newCondition(); // the supervisor's backoff wait; signalled by close

    private volatile PeerState state = PeerState.CONNECTING;
    private volatile Connection connection;         // the established connection, null while none
    private volatile boolean closeRequested;        // one-way
    // the channel being connected or handshaken, for close and the watchdog; the watchdog and a finishing
    // handshake race to clear it, and exactly one of them wins
    private final java.util.concurrent.atomic.AtomicReference<SocketChannel> connecting = new java.util.concurrent.atomic.AtomicReference<>();
    private volatile long handshakeDeadlineNanos;   // 0 when no handshake is running
    private volatile boolean handshakeTimedOut;

    // ---- statistics: written by the owning thread, read by anyone ----
    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private volatile long reconnects;
    boolean forgotten;                             // counted in the node's closed totals; guarded by the node lock
    private volatile Failure lastFailure;
    private volatile Instant lastDisconnectAt;
    private volatile long connectedSinceNanos;
    private final AtomicLong discarded = new AtomicLong(); // frames dropped when the peer closed
    private final java.util.concurrent.atomic.AtomicBoolean closeOnce = new java.util.concurrent.atomic.AtomicBoolean();

    PeerCore(NodeCore node, long id, Direction direction, InetSocketAddress address, InetSocketAddress listenAddress) {
        this.node = node;
        this.id = id;
        this.direction = direction;
        this.address = address;
        this.listenAddress = listenAddress;
        this.backlog = new Backlog(node.config().backlogLimits(), node.acknowledged());
        this.drops = new DropReporter(this, node.config().dropReportInterval().toNanos());
        this.handle = node.handleFor(this);
    }

    // ------------------------------------------------------------------ identity

    public long id() {
        return id;
    }

    public Direction direction() {
        return direction;
    }

    public InetSocketAddress address() {
        return address;
    }

    public Optional<InetSocketAddress> listenAddress() {
        return Optional.ofNullable(listenAddress);
    }

    public PeerState state() {
        return state;
    }

    public Peer handle() {
        return handle;
    }

    public Backlog backlog() {
        return backlog;
    }

    public NodeCore node() {
        return node;
    }

    Connection connection() {
        return connection;
    }

    // ------------------------------------------------------------------ sending

    /** Queues without waiting. */
    public SendResult send(Frame frame) {
        node.ensureRunning("send");
        return reported(backlog.offer(frame));
    }

    /** Queues, waiting up to {@code maxWait} for room; throws {@link BacklogFullException} if none came. */
    public SendResult send(Frame frame, Duration maxWait) throws InterruptedException {
        node.ensureRunning("send");
        SendResult result = reported(backlog.offer(frame, maxWait.toNanos()));
        if (result == SendResult.BACKLOG_FULL) {
            Backlog.Counters c = backlog.counters();
            throw new BacklogFullException(this + ": backlog still full after " + maxWait + " ("
                    + c.queuedFrames() + " frames, " + c.queuedBytes() + " bytes queued; limits "
                    + node.config().backlogLimits() + "): the peer reads slower than you send. Wait longer, "
                    + "slow down, or raise NodeConfig.backlogLimits");
        }
        return result;
    }

    SendResult reported(SendResult result) {
        if (result == SendResult.BACKLOG_FULL || result == SendResult.DROPPED_DISCONNECTED) {
            drops.reportIfDue();
        }
        return result;
    }

    /** Frames dropped so far would be reported now if due (the watchdog calls this). */
    void reportDrops() {
        drops.reportIfDue();
    }

    // ------------------------------------------------------------------ receiving

    void received(int frames, long bytes) {
        framesReceived.addAndGet(frames);
        bytesReceived.addAndGet(bytes);
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Closes the peer for good: refuses new frames, drops what is queued, ends the connection or the
     * connect attempt, and wakes the supervisor. The thread that owns the peer emits the events.
     */
    public void close(DropReason reason, String why) {
        if (!closeOnce.compareAndSet(false, true)) {
            return;
        }
        closeRequested = true;
        Connection c = connection;
        if (c != null) { // first end the connection, so nothing the writer finishes meanwhile is counted as dropped
            c.fail(new Failure(DisconnectReason.LOCAL_CLOSE, why));
        }
        Sockets.closeQuietly(connecting.get());
        discarded.addAndGet(backlog.close(reason));
        lifecycle.lock();
        try {
            wake.signalAll();
        } finally {
            lifecycle.unlock();
        }
    }

    boolean closeRequested() {
        return closeRequested;
    }

    /** Registers the channel being connected, so close and the watchdog can abort it. False if closing. */
    boolean watchConnecting(SocketChannel channel) {
        handshakeTimedOut = false;
        connecting.set(channel);
        if (closeRequested) { // close() may have looked at `connecting` just before we set it
            Sockets.closeQuietly(channel);
            connecting.compareAndSet(channel, null);
            return false;
        }
        return true;
    }

    void handshakeStarted(long deadlineNanos) {
        handshakeDeadlineNanos = deadlineNanos;
    }

    /** The handshake on {@code channel} finished in time; false if the watchdog gave up on it first. */
    boolean handshakeSucceeded(SocketChannel channel) {
        handshakeDeadlineNanos = 0;
        return connecting.compareAndSet(channel, null);
    }

    void handshakeEnded() {
        handshakeDeadlineNanos = 0;
        connecting.set(null);
    }

    boolean handshakeTimedOut() {
        return handshakeTimedOut;
    }

    /** Called by the watchdog on every tick. */
    void watch(long nowNanos, long overflowTimeoutNanos) {
        long deadline = handshakeDeadlineNanos;
        SocketChannel handshaking = connecting.get();
        if (handshaking != null && deadline != 0 && nowNanos - deadline > 0) {
            handshakeTimedOut = true; // set before the channel is closed, so the failing handshake reads the right reason
            if (connecting.compareAndSet(handshaking, null)) {
                Sockets.closeQuietly(handshaking);
            }
        }
        Connection c = connection;
        if (c != null && c.isOpen()) {
            long since = backlog.saturatedSinceNanos();
            if (since != 0) {
                long overFor = nowNanos - Math.max(since, connectedSinceNanos);
                if (overFor > overflowTimeoutNanos) {
                    Backlog.Counters counters = backlog.counters();
                    if (c.fail(new Failure(DisconnectReason.SLOW_CONSUMER, "backlog at its bound for "
                            + Duration.ofNanos(overFor).toMillis() + " ms while connected (" + counters.queuedFrames()
                            + " frames, " + counters.queuedBytes() + " bytes queued; limits "
                            + node.config().backlogLimits() + ", overflowTimeout " + node.config().overflowTimeout()
                            + "): the peer reads slower than this node sends"))) {
                        log.warn("{}: disconnecting a slow consumer", this);
                        FlightEvents.slowConsumer(this, counters.queuedFrames(), counters.queuedBytes(), Duration.ofNanos(overFor).toMillis());
                    }
                }
            }
        }
        drops.reportIfDue();
    }

    /** Waits out a backoff delay; returns early (false) when the peer closes. */
    boolean awaitRetry(Duration delay) {
        long left = delay.toNanos();
        lifecycle.lock();
        try {
            while (left > 0 && !closeRequested) {
                left = wake.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lifecycle.unlock();
        }
        return !closeRequested;
    }

    private void transition(PeerState next) {
        state = next;
    }

    void connecting() {
        transition(PeerState.CONNECTING);
    }

    /** A connect attempt failed; the supervisor waits {@code retryIn} next. */
    void connectFailed(Failure why, int attempt, Duration retryIn) {
        if (node.config().disconnectPolicy() == dev.tether.DisconnectPolicy.DROP_BACKLOG) {
            backlog.dropWhileDown(); // before the state changes: whoever sees DISCONNECTED sees the policy applied
        }
        transition(PeerState.DISCONNECTED);
        log.debug("{}: connect attempt {} failed ({}: {}); retrying in {} ms", this, attempt, why.reason(), why.detail(), retryIn.toMillis());
        node.events().emit(new Event.ConnectFailed(handle, attempt, why.reason(), why.detail(), retryIn));
    }

    /** A connection is up: frames flow. */
    void established(Connection c) {
        connectedSinceNanos = System.nanoTime();
        connection = c;
        backlog.open();
        transition(PeerState.CONNECTED);
        if (closeRequested) {
            c.fail(new Failure(DisconnectReason.LOCAL_CLOSE, "peer closed while connecting"));
        }
        Transport t = c.transport();
        FlightEvents.connected(this, reconnects + (lastFailure == null ? 0 : 1), backlog.queuedFrames());
        if (direction == Direction.INBOUND) {
            log.info("{}: accepted on {}", this, listenAddress);
            node.events().emit(new Event.Accepted(handle, t.remoteAddress(), listenAddress));
        } else if (reconnects == 0 && lastFailure == null) {
            log.info("{}: connected", this);
            node.events().emit(new Event.Connected(handle, t.remoteAddress()));
        } else {
            long n = ++reconnects;
            long replay = backlog.queuedFrames();
            log.info("{}: reconnected ({} so far), replaying {} queued frames", this, n, replay);
            node.events().emit(new Event.Reconnected(handle, t.remoteAddress(), n, replay));
        }
    }

    /** The connection ended (both loops are done). */
    void lost(Connection c) {
        Failure why = c.failure() != null ? c.failure() : new Failure(DisconnectReason.LOCAL_CLOSE, "closed");
        connection = null;
        connectedSinceNanos = 0;
        lastFailure = why;
        lastDisconnectAt = Instant.now();
        if (node.acknowledged()) {
            backlog.requeueUnacked();
        }
        if (direction == Direction.OUTBOUND && !closeRequested) {
            if (node.config().disconnectPolicy() == dev.tether.DisconnectPolicy.DROP_BACKLOG) {
                backlog.dropWhileDown(); // before the state changes: whoever sees DISCONNECTED sees the policy applied
                drops.reportIfDue();
            }
            transition(PeerState.DISCONNECTED);
        }
        long queued = backlog.queuedFrames();
        FlightEvents.disconnected(this, why, queued);
        if (why.reason() == DisconnectReason.LOCAL_CLOSE) {
            log.info("{}: disconnected ({})", this, why.detail());
        } else {
            log.info("{}: disconnected: {} ({}); {} frames queued", this, why.reason().description(), why.detail(), queued);
        }
        node.events().emit(new Event.Disconnected(handle, why.reason(), why.detail(), queued));
    }

    /** The peer is over: CLOSED, forgotten by the node, its last drops reported. */
    void finish() {
        closeRequested = true;
        discarded.addAndGet(backlog.close(direction == Direction.INBOUND ? DropReason.DISCONNECTED : DropReason.CLOSED));
        transition(PeerState.CLOSED);
        node.forget(this);
        drops.reportNow();
        node.events().emit(new Event.PeerClosed(handle, discarded.get()));
    }

    /** The life of an inbound peer, on its reader thread: handshake, loops, end. */
    void runInbound(SocketChannel channel) {
        try {
            Connection c;
            try {
                c = node.connections().establish(this, channel);
            } catch (IOException | RuntimeException e) {
                Failure why = handshakeTimedOut ? Connections.timedOut(node) : Failure.of(e);
                lastFailure = why;
                lastDisconnectAt = Instant.now();
                log.info("{}: inbound handshake failed: {}", this, why.detail());
                FlightEvents.disconnected(this, why, backlog.queuedFrames());
                node.events().emit(new Event.Disconnected(handle, why.reason(), why.detail(), backlog.queuedFrames()));
                return;
            }
            established(c);
            Thread writer = node.threads().start("writer-" + id, new WriterLoop(c, node.buffers()));
            new ReaderLoop(c, node.events()).run();
            joinQuietly(writer);
            lost(c);
        } finally {
            finish();
        }
    }

    static void joinQuietly(Thread t) {
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ statistics

    public PeerStats stats() {
        Backlog.Counters c = backlog.counters();
        Failure last = lastFailure;
        Instant lastAt = lastDisconnectAt;
        Connection conn = connection;
        return new PeerStats(id, direction, address, state, c.queuedFrames(), c.queuedBytes(), c.unackedFrames(),
                c.framesWritten(), c.bytesWritten(), c.framesAcknowledged(), framesReceived.get(), bytesReceived.get(),
                c.droppedBacklogFull(), c.droppedDisconnected(), c.droppedClosed(), reconnects,
                Optional.ofNullable(last).map(Failure::reason), last == null ? "" : last.detail(),
                Optional.ofNullable(lastAt), Optional.ofNullable(conn).map(Connection::establishedAt));
    }

    @Override
    public String toString() {
        return node.config().name() + " peer " + id + " (" + (direction == Direction.OUTBOUND ? "to " : "from ")
                + address.getHostString() + ":" + address.getPort() + ")";
    }
}
