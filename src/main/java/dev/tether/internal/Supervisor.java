package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.internal.PeerLifecycle.Cause;
import dev.tether.internal.PeerLifecycle.State;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one peer through its {@link PeerLifecycle}, inbound and outbound alike: gets a connected channel
 * (outbound: connects; inbound: the one the listener accepted), sets the connection up, runs its writer on
 * a thread of its own and its reader on this thread, and when the connection ends either backs off with
 * jitter and connects again (outbound) or ends the peer (inbound, which nobody reconnects). The backlog
 * stays in the peer the whole time, so what was queued while down is written after the reconnect.
 *
 * <p>Runs on a virtual thread {@code <node>-supervisor-<peer>} (inbound: {@code <node>-inbound-<peer>})
 * for the life of the peer.
 */
final class Supervisor implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    private final PeerCore peer;
    private final NodeContext context;
    private final ConnectionSetup setup;
    private final Backoff backoff;
    private final SocketChannel accepted; // inbound: the channel the listener took; null for outbound
    private int dropsInRow;               // failed attempts and short-lived connections in a row, for the backoff

    Supervisor(PeerCore peer, NodeContext context, ConnectionSetup setup, Backoff backoff, SocketChannel accepted) {
        this.peer = peer;
        this.context = context;
        this.setup = setup;
        this.backoff = backoff;
        this.accepted = accepted;
    }

    @Override
    public void run() {
        PeerLifecycle lifecycle = peer.lifecycle();
        try {
            if (peer.direction() == Direction.INBOUND) {
                superviseInbound();
            } else {
                superviseOutbound();
            }
        } catch (RuntimeException | Error e) {
            log.error("supervisor of {} failed; the peer is closed", peer, e);
            lifecycle.close(new Failure(DisconnectReason.IO_ERROR, "supervisor failed: " + e));
        } finally {
            lifecycle.close(new Failure(DisconnectReason.LOCAL_CLOSE, "node closed"));
            try {
                lifecycle.transition(State.CLOSING, State.CLOSED, Cause.NONE);
            } catch (VirtualMachineError e) { // rethrown from the event listener on PeerClosed: the peer is closed all the same
                log.error("{} from the event listener on {}'s PeerClosed; the peer is closed", e, peer, e);
            }
        }
    }

    private void superviseInbound() {
        PeerLifecycle lifecycle = peer.lifecycle();
        Connection c;
        try {
            c = setup.establish(peer, accepted);
        } catch (IOException | RuntimeException e) {
            Failure why = lifecycle.handshakeTimedOut() ? setup.timedOut() : Failure.of(e);
            lifecycle.transition(State.HANDSHAKING, State.CLOSING, Cause.failed(why, null));
            return;
        }
        if (!connected(c)) {
            if (state() == State.HANDSHAKING) {
                lifecycle.transition(State.HANDSHAKING, State.CLOSING, Cause.failed(setup.timedOut(), null));
            }
            return;
        }
        Failure why = runConnection(c);
        if (why != null) {
            lifecycle.close(why);
        }
    }

    private void superviseOutbound() {
        PeerLifecycle lifecycle = peer.lifecycle();
        while (true) {
            if (context.nodeState().closing() && peer.backlog().isEmpty()) {
                return; // closing and nothing left to deliver
            }
            SocketChannel channel;
            try {
                channel = SocketChannel.open();
            } catch (IOException e) { // no socket (file descriptors ran out, say): an attempt that failed, retried like any other
                if (!lifecycle.beginAttempt(null) || !failedAttempt(Failure.ofConnect(e, describe(peer.address())))) {
                    return;
                }
                continue;
            }
            if (!lifecycle.beginAttempt(channel)) {
                Sockets.closeQuietly(channel);
                return;
            }
            Connection c;
            try {
                c = connect(channel);
            } catch (IOException | RuntimeException e) {
                Sockets.abort(channel);
                State s = state();
                if (s != State.CONNECTING && s != State.HANDSHAKING) {
                    return; // closed meanwhile
                }
                Failure why = lifecycle.handshakeTimedOut() ? setup.timedOut() : Failure.ofConnect(e, describe(peer.address()));
                if (!failedAttempt(why)) {
                    return;
                }
                continue;
            }
            if (!connected(c)) {
                if (state() == State.HANDSHAKING && failedAttempt(setup.timedOut())) {
                    continue;
                }
                return;
            }
            long startNanos = System.nanoTime();
            Failure why = runConnection(c);
            if (why == null) {
                return; // closed while it ran
            }
            boolean stable = System.nanoTime() - startNanos >= context.config().reconnectMaxBackoff().toNanos();
            dropsInRow = stable ? 1 : dropsInRow + 1; // a peer that drops right after connecting backs off further
            Duration delay = backoff.delay(dropsInRow); // even the first retry waits a jittered delay: spreads a reconnect storm
            State from = state();
            if (from != State.CONNECTED && from != State.DRAINING) {
                return;
            }
            if (context.nodeState().closing() && peer.backlog().isEmpty()) {
                lifecycle.transition(from, State.CLOSING, Cause.failed(why, null));
                return;
            }
            if (!lifecycle.transition(from, State.BACKING_OFF, Cause.failed(why, delay))) {
                return;
            }
            lifecycle.awaitRetry(delay);
        }
    }

    /** A connect attempt failed: report it and wait out the backoff; false if the peer closed. */
    private boolean failedAttempt(Failure why) {
        PeerLifecycle lifecycle = peer.lifecycle();
        Duration delay = backoff.delay(++dropsInRow);
        State from = state();
        if ((from != State.CONNECTING && from != State.HANDSHAKING)
                || !lifecycle.transition(from, State.BACKING_OFF, Cause.failed(why, delay))) {
            return false;
        }
        return lifecycle.awaitRetry(delay);
    }

    /** Connects and sets the connection up; the lifecycle is HANDSHAKING once TCP is up. */
    private Connection connect(SocketChannel channel) throws IOException {
        Sockets.configure(channel, context.config());
        InetSocketAddress target = peer.address();
        InetSocketAddress resolved = target.isUnresolved()
                ? new InetSocketAddress(target.getHostString(), target.getPort()) // resolve each attempt: DNS may move
                : target;
        channel.socket().connect(resolved, timeoutMillis(context.config().connectTimeout()));
        if (!peer.lifecycle().transition(State.CONNECTING, State.HANDSHAKING,
                Cause.channel(channel))) {
            throw new IOException("peer closed while connecting");
        }
        return setup.establish(peer, channel);
    }

    /**
     * Moves from HANDSHAKING to CONNECTED; false (and the connection is closed) if the peer was closed
     * meanwhile, or the watchdog gave up on the handshake an instant before it finished.
     */
    private boolean connected(Connection c) {
        if (peer.lifecycle().transition(State.HANDSHAKING, State.CONNECTED, Cause.connected(c))) {
            return true;
        }
        c.fail(new Failure(DisconnectReason.LOCAL_CLOSE, "peer closed"));
        endConnection(c, null);
        return false;
    }

    /** Runs a connected connection until it ends; returns why it ended, or null if the peer was closed meanwhile. */
    private Failure runConnection(Connection c) {
        if (context.nodeState().closing()) {
            peer.lifecycle().drain(); // connected during close(): flush, then end the stream
        }
        Thread writer = context.threads().start("writer-" + peer.id(), new WriterLoop(c, peer.backlog(), context.buffers(), peer.toString()));
        new ReaderLoop(c, peer, context).run();
        joinQuietly(writer);
        Failure why = c.failure();
        endConnection(c, why);
        State s = state();
        return s == State.CLOSING || s == State.CLOSED ? null : why;
    }

    /** Both loops are done: settle what the writer's frames are worth, and forget the connection. */
    private void endConnection(Connection c, Failure why) {
        c.reader().release(); // both loops are done with it: its read buffer goes back to the node's budget
        peer.backlog().connectionEnded(c.session(), (why != null && why.refused()) || c.refusedLate());
        peer.connectionEnded(c);
        if (c.acceptId() != 0 && peer.direction() == Direction.INBOUND) {
            context.lineages().remove(c.acceptId(), c);
        }
    }

    private State state() {
        return peer.lifecycle().state();
    }

    static void joinQuietly(Thread t) {
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

    private static int timeoutMillis(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    private static String describe(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
