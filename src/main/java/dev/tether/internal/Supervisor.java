package dev.tether.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one outbound peer connected: connects, starts the connection's reader and writer, waits for the
 * connection to end, backs off with jitter and tries again, until the peer or the node closes. The
 * backlog stays in the peer the whole time, so what was queued while down is written after the
 * reconnect, oldest first.
 *
 * <p>Runs on a virtual thread {@code <node>-supervisor-<peer>} for the life of the peer.
 */
final class Supervisor implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    private final PeerCore peer;
    private final NodeCore node;
    private final Backoff backoff;

    Supervisor(PeerCore peer, NodeCore node, Backoff backoff) {
        this.peer = peer;
        this.node = node;
        this.backoff = backoff;
    }

    @Override
    public void run() {
        try {
            superviseUntilClosed();
        } catch (RuntimeException | Error e) {
            log.error("supervisor of {} failed; the peer is closed", peer, e);
        } finally {
            peer.finish();
        }
    }

    private void superviseUntilClosed() {
        int attempt = 0; // failures and short-lived connections in a row
        while (!peer.closeRequested()) {
            if (node.draining() && peer.backlog().isEmpty()) {
                peer.awaitRetry(Duration.ofDays(365)); // closing and nothing left to deliver: wait for the end
                return;
            }
            peer.connecting();
            FlightEvents.ConnectAttempt timing = FlightEvents.attemptStarted();
            Connection c;
            try {
                c = connect();
            } catch (IOException | RuntimeException e) {
                if (peer.closeRequested()) {
                    return;
                }
                attempt++;
                Failure why = peer.handshakeTimedOut()
                        ? Connections.timedOut(node)
                        : Failure.ofConnect(e, describe(peer.address()));
                Duration delay = backoff.delay(attempt);
                FlightEvents.attemptEnded(timing, peer, attempt, why, delay.toMillis());
                peer.connectFailed(why, attempt, delay);
                peer.awaitRetry(delay);
                continue;
            }
            if (c == null) {
                return;
            }
            FlightEvents.attemptEnded(timing, peer, attempt + 1, null, 0);
            long startNanos = System.nanoTime();
            peer.established(c);
            Thread reader = node.threads().start("reader-" + peer.id(), new ReaderLoop(c, node.events()));
            Thread writer = node.threads().start("writer-" + peer.id(), new WriterLoop(c, node.buffers()));
            PeerCore.joinQuietly(reader);
            PeerCore.joinQuietly(writer);
            peer.lost(c);
            boolean stable = System.nanoTime() - startNanos >= node.config().reconnectMaxBackoff().toNanos();
            attempt = stable ? 1 : attempt + 1; // a peer that drops right after connecting backs off further
            if (peer.closeRequested()) {
                return;
            }
            peer.awaitRetry(backoff.delay(attempt)); // even the first retry waits a jittered delay: spreads a reconnect storm
        }
    }

    /** Returns null if the peer closed before the channel could be registered. */
    private Connection connect() throws IOException {
        SocketChannel channel = SocketChannel.open();
        if (!peer.watchConnecting(channel)) {
            return null;
        }
        boolean ok = false;
        try {
            Sockets.configure(channel, node.config());
            InetSocketAddress target = peer.address();
            InetSocketAddress resolved = target.isUnresolved()
                    ? new InetSocketAddress(target.getHostString(), target.getPort()) // resolve each attempt: DNS may move
                    : target;
            channel.socket().connect(resolved, timeoutMillis(node.config().connectTimeout()));
            Connection c = node.connections().establish(peer, channel);
            ok = true;
            return c;
        } finally {
            if (!ok) {
                Sockets.closeQuietly(channel);
                peer.handshakeEnded();
            }
        }
    }

    private static int timeoutMillis(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    private static String describe(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
