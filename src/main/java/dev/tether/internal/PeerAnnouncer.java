package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.Event;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a peer's lifecycle says when it moves: the event, the log line and the flight event of each
 * transition, and which connect failures are worth a WARN. Called only by {@link PeerLifecycle}, after its lock
 * is released (except {@link #failureWarning}, decided under it), so that remains the one place they come from.
 */
final class PeerAnnouncer {
    private static final Logger log = LoggerFactory.getLogger(PeerLifecycle.class); // the lifecycle's logger: users filter on it
    private static final long FAILURE_SUMMARY_NANOS = 30_000_000_000L;

    private final PeerCore peer;
    private final NodeContext context;
    // ---- guarded by the lifecycle's lock ----
    private DisconnectReason streakReason; // failures logged at WARN once per streak, then summarised
    private long streakWarnedNanos;
    private int streakSuppressed;

    PeerAnnouncer(PeerCore peer, NodeContext context) {
        this.peer = peer;
        this.context = context;
    }

    /** The peer connected: the next failure starts a new streak. */
    void streakEnded() {
        streakReason = null;
    }

    void connected(Connection c, boolean first, long reconnectCount, long replay, byte[] hello) {
        FlightEvents.connected(peer, reconnectCount, replay);
        if (peer.direction() == Direction.INBOUND) {
            log.info("{}: accepted on {}", peer, peer.listenAddress().orElse(null));
            context.events().emit(new Event.Accepted(peer.handle(), c.remoteAddress(), peer.listenAddress().orElseThrow(), hello));
        } else if (first) {
            log.info("{}: connected", peer);
            context.events().emit(new Event.Connected(peer.handle(), c.remoteAddress(), hello));
        } else {
            log.info("{}: reconnected ({} so far), replaying {} queued frames", peer, reconnectCount, replay);
            context.events().emit(new Event.Reconnected(peer.handle(), c.remoteAddress(), reconnectCount, replay, hello));
        }
    }

    void connectFailed(Failure why, int attempt, Duration retryIn, String warn) {
        if (peer.direction() == Direction.INBOUND) {
            log.warn("{}: inbound connection failed its handshake: {}: {}", peer, why.reason().description(), why.detail());
        } else {
            if (warn != null) {
                log.warn("{}: {}", peer, warn);
            }
            log.debug("{}: connect attempt {} failed ({}: {}); retrying in {} ms", peer, attempt, why.reason(), why.detail(),
                    retryIn.toMillis());
        }
        context.events().emit(new Event.ConnectFailed(peer.handle(), attempt, why.reason(), why.detail(), retryIn));
    }

    void disconnected(Connection c, Failure why, long queued, Duration retryIn, PeerLifecycle.Overflow cut) {
        FlightEvents.disconnected(peer, why, queued);
        if (cut != null) {
            FlightEvents.slowConsumer(peer, cut.frames(), cut.bytes(), cut.millis());
            log.warn("{}: disconnecting a slow consumer: {}", peer, why.detail());
        } else if (why.refused()) {
            log.warn("{}: the peer refused the connection: {}; {} frames stay queued", peer, why.detail(), queued);
        } else if (why.reason() == DisconnectReason.HANDSHAKE_FAILED) {
            log.warn("{}: disconnected: {} ({}); {} frames queued", peer, why.reason().description(), why.detail(), queued); // as a failed handshake is
        } else if (why.reason() == DisconnectReason.LOCAL_CLOSE) {
            log.info("{}: disconnected ({})", peer, why.detail());
        } else {
            log.info("{}: disconnected: {} ({}); {} frames queued", peer, why.reason().description(), why.detail(), queued);
        }
        context.events().emit(new Event.Disconnected(peer.handle(), why.reason(), why.detail(), queued));
    }

    /**
     * The WARN line for a failed attempt, or null: the first failure of a streak (and a change of reason) is
     * logged at WARN, the rest at DEBUG, with a WARN summary at most every 30 s. Called under the lifecycle's lock.
     */
    String failureWarning(Failure why) {
        long now = System.nanoTime();
        String text = "cannot connect: " + why.reason().description() + ": " + why.detail();
        if (why.reason() != streakReason) {
            streakReason = why.reason();
            streakWarnedNanos = now;
            streakSuppressed = 0;
            return text + "; retrying with backoff";
        }
        if (now - streakWarnedNanos >= FAILURE_SUMMARY_NANOS) {
            int more = streakSuppressed;
            streakWarnedNanos = now;
            streakSuppressed = 0;
            return "still failing (" + more + " more attempts in the last " + FAILURE_SUMMARY_NANOS / 1_000_000_000L + " s): " + text;
        }
        streakSuppressed++;
        return null;
    }
}
