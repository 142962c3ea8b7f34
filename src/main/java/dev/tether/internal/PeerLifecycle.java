package dev.tether.internal;

import dev.tether.DisconnectPolicy;
import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.DropReason;
import dev.tether.Event;
import dev.tether.PeerState;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every state one peer's connection can be in, and the one place a peer moves between them.
 * {@link #transition} checks that a move is legal, resets the fields that belong to the state left and the
 * state entered, and emits the matching event, log line and flight event; nothing else emits those for a
 * peer. The public {@link PeerState} is a projection of {@link State}.
 *
 * <p>Moves are made by the peer's {@link Supervisor} as its connections come and go, by whoever closes the
 * peer or the node, and by the {@link Watchdog} (which only aborts; the supervisor then moves). Events are
 * emitted in the order of the moves, with no state lock held.
 */
final class PeerLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PeerLifecycle.class);

    /** Every state a peer's connection can be in. */
    enum State {
        /** Outbound: a TCP connect is in progress (or about to be). */
        CONNECTING(PeerState.CONNECTING),
        /** TCP is up; TLS or the acknowledged-mode handshake is in progress (the plain markers and hello come once connected). */
        HANDSHAKING(PeerState.CONNECTING),
        /** Frames flow. */
        CONNECTED(PeerState.CONNECTED),
        /** The node is closing: the writer flushes what is queued, then ends the stream. */
        DRAINING(PeerState.CONNECTED),
        /** Outbound: the connection is down; the supervisor waits out its backoff. */
        BACKING_OFF(PeerState.DISCONNECTED),
        /** Closed and forgotten by the node (its id is unknown); its threads are finishing. */
        CLOSING(PeerState.CLOSED),
        /** Final. */
        CLOSED(PeerState.CLOSED);

        private final PeerState visible;

        State(PeerState visible) {
            this.visible = visible;
        }

        /** What {@link dev.tether.Peer#state()} shows for this state. */
        PeerState visible() {
            return visible;
        }
    }

    /** The legal moves: from each state, where it may go. */
    static final Map<State, Set<State>> LEGAL = legal();

    private static Map<State, Set<State>> legal() {
        Map<State, Set<State>> m = new EnumMap<>(State.class);
        m.put(State.CONNECTING, EnumSet.of(State.HANDSHAKING, State.BACKING_OFF, State.CLOSING));
        m.put(State.HANDSHAKING, EnumSet.of(State.CONNECTED, State.BACKING_OFF, State.CLOSING));
        m.put(State.CONNECTED, EnumSet.of(State.DRAINING, State.BACKING_OFF, State.CLOSING));
        m.put(State.DRAINING, EnumSet.of(State.BACKING_OFF, State.CLOSING));
        m.put(State.BACKING_OFF, EnumSet.of(State.CONNECTING, State.CLOSING));
        m.put(State.CLOSING, EnumSet.of(State.CLOSED));
        m.put(State.CLOSED, EnumSet.noneOf(State.class));
        return m;
    }

    /**
     * Why a move happens: what the event for it needs. {@code failure} for a failed attempt or an ended
     * connection, {@code retryIn} for a move to BACKING_OFF, {@code connection} for a move to CONNECTED.
     */
    record Cause(Failure failure, Duration retryIn, Connection connection, SocketChannel channel) {
        static final Cause NONE = new Cause(null, null, null, null);

        static Cause failed(Failure f, Duration retryIn) {
            return new Cause(f, retryIn, null, null);
        }

        static Cause connected(Connection c) {
            return new Cause(null, null, c, null);
        }

        static Cause channel(SocketChannel channel) {
            return new Cause(null, null, null, channel);
        }
    }

    /** A transition that is not in {@link #LEGAL}: a tether bug. */
    static final class IllegalTransition extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        IllegalTransition(State from, State to) {
            super("illegal peer state transition " + from + " -> " + to);
        }
    }

    private final PeerCore peer;
    private final NodeContext context;
    private final PeerRegistry registry;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition(); // the backoff wait, and awaiting a state
    private final ArrayDeque<Runnable> announcements = new ArrayDeque<>(); // guarded by lock: events in move order
    private boolean announcing;                                            // guarded by lock: one thread emits at a time
    private Runnable effect;                                               // guarded by lock: what the move does outside the lock

    // ---- guarded by lock; the state is also readable without it ----
    private volatile State state;
    // HANDSHAKING (and CONNECTING): the channel being set up, for close and the watchdog to abort
    private SocketChannel channel;
    private long handshakeDeadlineNanos;
    private volatile boolean handshakeTimedOut;
    // CONNECTED, DRAINING
    private volatile Connection connection;
    private long connectedSinceNanos;
    private Overflow overflow; // set by the watchdog when it cuts a slow consumer
    private FlightEvents.ConnectAttempt attempt; // the outbound attempt in progress, timed for its flight event
    // the whole life of the peer
    private int failedAttempts;             // connect attempts failed since the last connection, for the events
    private volatile long reconnects;
    private boolean everConnected;
    private volatile Failure lastFailure;   // the last failed attempt or ended connection
    private volatile Instant lastFailureAt;
    private volatile Failure lastDisconnect; // why the last connection ended
    private volatile Instant lastDisconnectAt;
    private long discarded;                 // frames dropped when the peer closed

    /** What the watchdog saw when it cut a slow consumer, for its flight event. */
    record Overflow(long frames, long bytes, long millis) { }

    private final PeerAnnouncer announcer;

    PeerLifecycle(PeerCore peer, NodeContext context, PeerRegistry registry, State initial) {
        this.peer = peer;
        this.context = context;
        this.registry = registry;
        this.state = initial;
        this.announcer = new PeerAnnouncer(peer, context);
    }

    State state() {
        return state;
    }

    Connection connection() {
        return connection;
    }

    // ------------------------------------------------------------------ the one transition

    /**
     * Moves from {@code from} to {@code to} if the peer is in {@code from}; false if it is not (another
     * thread moved it first, to CLOSING). Throws {@link IllegalTransition} for a move the table forbids.
     */
    boolean transition(State from, State to, Cause cause) {
        if (!LEGAL.get(from).contains(to)) {
            throw new IllegalTransition(from, to);
        }
        Runnable act;
        lock.lock();
        try {
            if (state != from || (to == State.CONNECTED && handshakeTimedOut)) {
                return false; // moved by another thread first, or the watchdog gave up on the handshake an instant earlier
            }
            announcements.addLast(enter(from, to, cause)); // queued under the lock: emitted in the order of the moves
            act = effect;
            effect = null;
            state = to;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (act != null) {
            act.run(); // closing sockets is not held up by a slow listener
        }
        announce();
        return true;
    }

    /**
     * Emits queued announcements, one thread at a time, with no lock held. A move made meanwhile (by another
     * thread, or by a listener from inside its callback) queues its own and returns; the thread emitting runs it.
     */
    private void announce() {
        VirtualMachineError error = null; // from a listener: the rest are still emitted (others queued them for us), then it is rethrown
        while (true) {
            Runnable next;
            lock.lock();
            try {
                if (announcing || (next = announcements.pollFirst()) == null) {
                    if (error != null) {
                        throw error;
                    }
                    return;
                }
                announcing = true;
            } finally {
                lock.unlock();
            }
            try {
                next.run();
            } catch (VirtualMachineError e) {
                if (error == null) {
                    error = e;
                }
            } finally {
                lock.lock();
                try {
                    announcing = false;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Resets fields for the move and returns what to announce (run with no state lock held). Caller holds the lock. */
    private Runnable enter(State from, State to, Cause cause) {
        Backlog backlog = peer.backlog();
        switch (to) {
            case CONNECTING -> {
                peer.forgetHello();
                channel = cause.channel();
                handshakeTimedOut = false;
                attempt = FlightEvents.attemptStarted();
                return () -> { };
            }
            case HANDSHAKING -> {
                peer.forgetHello();
                channel = cause.channel();
                handshakeDeadlineNanos = System.nanoTime() + context.config().handshakeTimeout().toNanos();
                return () -> { };
            }
            case CONNECTED -> {
                channel = null;
                handshakeDeadlineNanos = 0;
                connection = cause.connection();
                connectedSinceNanos = System.nanoTime();
                overflow = null;
                int attemptNo = failedAttempts + 1;
                failedAttempts = 0;
                announcer.streakEnded();
                backlog.open();
                long replay = backlog.queued();
                boolean first = !everConnected;
                everConnected = true;
                long n = first ? reconnects : ++reconnects;
                FlightEvents.ConnectAttempt timing = peer.direction() == Direction.OUTBOUND ? takeAttempt() : null;
                byte[] hello = peer.helloBytes(); // acknowledged mode: the handshake brought it
                return () -> {
                    if (timing != null) {
                        FlightEvents.attemptEnded(timing, peer, attemptNo, null, 0);
                    }
                    announcer.connected(cause.connection(), first, n, replay, hello);
                };
            }
            case DRAINING -> {
                return () -> log.debug("{}: draining: flushing, then ending the stream", peer);
            }
            case BACKING_OFF -> {
                channel = null;
                handshakeDeadlineNanos = 0;
                Failure why = cause.failure();
                recordFailure(why);
                if (context.config().disconnectPolicy() == DisconnectPolicy.DROP_BACKLOG) {
                    backlog.dropWhileDown(); // before the state changes: whoever sees DISCONNECTED sees the policy applied
                }
                if (from == State.CONNECTED || from == State.DRAINING) {
                    return ended(why, cause.retryIn());
                }
                int failed = ++failedAttempts;
                FlightEvents.ConnectAttempt timing = takeAttempt();
                String warn = announcer.failureWarning(why);
                return () -> {
                    FlightEvents.attemptEnded(timing, peer, failed, why, cause.retryIn().toMillis());
                    announcer.connectFailed(why, failed, cause.retryIn(), warn);
                };
            }
            case CLOSING -> {
                registry.unlist(peer); // first: once the state reads CLOSED, the id is unknown
                Failure why = cause.failure() != null ? cause.failure() : new Failure(DisconnectReason.LOCAL_CLOSE, "peer closed");
                boolean inbound = peer.direction() == Direction.INBOUND;
                boolean ours = why.reason() == DisconnectReason.LOCAL_CLOSE;
                discarded += backlog.close(inbound && !ours ? DropReason.DISCONNECTED : DropReason.CLOSED,
                        context.nodeState().closing());
                SocketChannel settingUp = channel; // aborted after the lock is released, as is the connection
                channel = null;
                Connection c = connection;
                effect = () -> {
                    Sockets.abort(settingUp);
                    if (c != null) {
                        c.fail(why);
                    }
                };
                if (from == State.CONNECTED || from == State.DRAINING) {
                    return ended(why, null);
                }
                if (from == State.HANDSHAKING && inbound) {
                    recordFailure(why);
                    long queued = backlog.queued();
                    return () -> {
                        FlightEvents.disconnected(peer, why, queued);
                        announcer.connectFailed(why, 1, Duration.ZERO, null);
                    };
                }
                attempt = null;
                return () -> { };
            }
            case CLOSED -> {
                long dropped = discarded;
                effect = () -> {
                    registry.retire(peer);
                    if (peer.direction() == Direction.INBOUND) {
                        context.inbound().left(); // its place under the inbound cap is free again
                    }
                };
                return () -> {
                    peer.drops().reportNow();
                    log.debug("{}: closed; {} queued frames discarded", peer, dropped);
                    context.events().emit(new Event.PeerClosed(peer.handle(), dropped));
                };
            }
            default -> throw new IllegalTransition(from, to);
        }
    }

    /** The connection ended: reset its fields, remember why; returns its announcement. Caller holds the lock. */
    private Runnable ended(Failure why, Duration retryIn) {
        Connection c = connection;
        connection = null;
        peer.backlog().disconnected();
        connectedSinceNanos = 0;
        lastDisconnect = why;
        lastDisconnectAt = Instant.now();
        if (why.reason() != DisconnectReason.LOCAL_CLOSE) {
            recordFailure(why);
        }
        Overflow cut = why.reason() == DisconnectReason.SLOW_CONSUMER ? overflow : null;
        overflow = null;
        long queued = peer.backlog().queued();
        return () -> announcer.disconnected(c, why, queued, retryIn, cut);
    }

    private FlightEvents.ConnectAttempt takeAttempt() {
        FlightEvents.ConnectAttempt a = attempt != null ? attempt : FlightEvents.attemptStarted();
        attempt = null;
        return a;
    }

    private void recordFailure(Failure why) {
        lastFailure = why;
        lastFailureAt = Instant.now();
    }

    /** A sender no longer had frames of our stream from it: counted (framesMissed) and said at WARN, never silent. */
    void streamGap(dev.tether.StreamId stream, long first, long last) {
        peer.missed(last - first + 1);
        log.warn("{}: stream {} resumed with a gap: the sender no longer has frames {} to {} ({} frames). They were "
                + "acknowledged to it before this node lost them: it restarted without a ResumePositions, or its resume "
                + "position is behind what it processed; they are counted in framesMissed", peer, stream, first, last,
                last - first + 1);
    }

    // ------------------------------------------------------------------ the moves others ask for

    /** Ends the peer for good from any thread (see {@link PeerCore#close}); the supervisor then finishes it. */
    void close(Failure why) {
        while (true) {
            State s = state;
            if (s == State.CLOSING || s == State.CLOSED) {
                return;
            }
            if (transition(s, State.CLOSING, Cause.failed(why, null))) {
                return;
            }
        }
    }

    /** The node is closing with a drain: a connected peer starts flushing. */
    void drain() {
        transition(State.CONNECTED, State.DRAINING, Cause.NONE);
    }

    /** Called by the watchdog on every tick: aborts a handshake past its deadline, cuts a slow consumer. */
    void watch(long nowNanos, long overflowTimeoutNanos) {
        SocketChannel abort = null;
        Connection cut = null;
        DisconnectReason reason = null;
        String why = null;
        lock.lock();
        try {
            if (state == State.HANDSHAKING && channel != null && nowNanos - handshakeDeadlineNanos > 0) {
                handshakeTimedOut = true; // before the channel is closed, so the failing handshake reads the right reason
                abort = channel;
                channel = null;
            }
            Connection c = connection;
            long preambleSince = c == null ? 0 : c.session().preambleSinceNanos;
            if (state == State.CONNECTED && peer.direction() == Direction.OUTBOUND && preambleSince != 0 && c.isOpen()
                    && !c.writerAwaitsReader()
                    && nowNanos - preambleSince > context.config().handshakeTimeout().toNanos()) {
                cut = c; // the listener took not all of our first bytes (markers, our hello): bounded as the handshake it is
                reason = DisconnectReason.HANDSHAKE_FAILED;
                why = "the listener did not take our first " + c.session().preamble.capacity() + " bytes (markers and hello) within "
                        + "handshakeTimeout " + context.config().handshakeTimeout() + ": it reads nothing";
            }
            long since = peer.backlog().saturatedSinceNanos();
            if (cut == null && state == State.CONNECTED && c != null && c.isOpen() && !c.writerAwaitsReader() && since != 0) { // a failed writer's connection is ending, not slow
                long overFor = nowNanos - Math.max(since, connectedSinceNanos);
                if (overFor > overflowTimeoutNanos) {
                    Backlog.Snapshot s = peer.backlog().snapshot();
                    long millis = Duration.ofNanos(overFor).toMillis();
                    overflow = new Overflow(s.queuedFrames(), s.queuedBytes(), millis);
                    cut = c;
                    reason = DisconnectReason.SLOW_CONSUMER;
                    why = "backlog at its bound for " + millis + " ms while connected (" + s.queuedFrames() + " frames, "
                            + s.queuedBytes() + " bytes queued; limits " + context.config().backlogLimits()
                            + ", overflowTimeout " + context.config().overflowTimeout() + "): the peer reads slower than this node sends";
                }
            }
        } finally {
            lock.unlock();
        }
        Sockets.abort(abort);
        if (cut != null) {
            cut.fail(new Failure(reason, why));
        }
        peer.drops().reportIfDue();
    }

    /**
     * An outbound attempt begins on {@code ch} (the first one, or the next after a backoff); false if the
     * peer is closing, and then the caller closes {@code ch}.
     */
    boolean beginAttempt(SocketChannel ch) {
        if (state == State.BACKING_OFF) {
            return transition(State.BACKING_OFF, State.CONNECTING, Cause.channel(ch));
        }
        lock.lock();
        try {
            if (state != State.CONNECTING) {
                return false;
            }
            channel = ch; // the first attempt: CONNECTING is where an outbound peer starts
            handshakeTimedOut = false;
            attempt = FlightEvents.attemptStarted();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** An inbound peer (which starts in HANDSHAKING) sets up {@code ch}; the watchdog may abort it at the deadline. */
    void inboundHandshake(SocketChannel ch) {
        lock.lock();
        try {
            if (state == State.HANDSHAKING) {
                channel = ch;
                handshakeDeadlineNanos = System.nanoTime() + context.config().handshakeTimeout().toNanos();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean handshakeTimedOut() {
        return handshakeTimedOut;
    }

    /** Waits out a backoff delay; returns early (false) when the peer closes. */
    boolean awaitRetry(Duration delay) {
        long left = delay.toNanos();
        lock.lock();
        try {
            while (left > 0 && state == State.BACKING_OFF) {
                left = changed.awaitNanos(left);
            }
            return state == State.BACKING_OFF;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the peer is connected; false at the deadline; throws once it is closed. */
    boolean awaitConnected(long deadlineNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                State s = state;
                if (s == State.CONNECTED || s == State.DRAINING) {
                    return true;
                }
                if (s == State.CLOSING || s == State.CLOSED) {
                    throw new IllegalStateException(peer + " is closed");
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the peer has no connection (its end-of-stream was answered), or the deadline passes. */
    void awaitUnconnected(long deadlineNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (state == State.CONNECTED || state == State.DRAINING) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ what the statistics show

    long reconnects() {
        return reconnects;
    }

    Failure lastFailure() {
        return lastFailure;
    }

    Instant lastFailureAt() {
        return lastFailureAt;
    }

    Failure lastDisconnect() {
        return lastDisconnect;
    }

    Instant lastDisconnectAt() {
        return lastDisconnectAt;
    }
}
