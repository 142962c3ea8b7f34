package dev.tether.internal;

import dev.tether.Direction;
import java.net.InetSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JDK Flight Recorder events, so a recording ({@code -XX:StartFlightRecording}) tells the story of every
 * connection in JDK Mission Control. Each {@code emit} method costs one check when no recording wants the event.
 */
final class FlightEvents {
    private FlightEvents() {
    }

    /** The fields every tether event has: which node, which peer, where. */
    @Category("tether")
    @StackTrace(false)
    abstract static class PeerEvent extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;

        /** Fills the common fields; returns this for chaining. */
        final PeerEvent of(PeerCore peer) {
            node = peer.context().config().name();
            peerId = peer.id();
            InetSocketAddress a = peer.address();
            address = a.getHostString() + ":" + a.getPort();
            return this;
        }
    }

    @Name("dev.tether.Connected")
    @Label("Peer Connected")
    @Description("A connection to a peer is up: TCP, TLS and the handshake are done.")
    static final class Connected extends PeerEvent {
        @Label("Direction") String direction;
        @Label("Reconnects") long reconnects;
        @Label("Frames To Replay") long replayFrames;
    }

    @Name("dev.tether.Disconnected")
    @Label("Peer Disconnected")
    @Description("A connection ended (or an inbound handshake failed), with the reason.")
    static final class Disconnected extends PeerEvent {
        @Label("Reason") String reason;
        @Label("Detail") String detail;
        @Label("Queued Frames") long queuedFrames;
    }

    @Name("dev.tether.ConnectAttempt")
    @Label("Connect Attempt")
    @Description("One attempt of a supervisor to connect an outbound peer; its duration is the attempt's.")
    static final class ConnectAttempt extends PeerEvent {
        @Label("Attempt") int attempt;
        @Label("Succeeded") boolean succeeded;
        @Label("Reason") String reason;
        @Label("Retry In") @Timespan(Timespan.MILLISECONDS) long retryInMillis;
    }

    @Name("dev.tether.FramesDropped")
    @Label("Frames Dropped")
    @Description("Frames for a peer were dropped since the previous report (rate-limited like the listener event).")
    static final class FramesDropped extends PeerEvent {
        @Label("Reason") String reason;
        @Label("Frames") long frames;
        @Label("Total Frames") long totalFrames;
    }

    @Name("dev.tether.SlowConsumer")
    @Label("Slow Consumer Disconnected")
    @Description("A connected peer stayed at its backlog bound longer than the overflow timeout and was disconnected.")
    static final class SlowConsumer extends PeerEvent {
        @Label("Queued Frames") long queuedFrames;
        @Label("Queued Bytes") @DataAmount long queuedBytes;
        @Label("Over The Bound For") @Timespan(Timespan.MILLISECONDS) long overMillis;
    }

    @Name("dev.tether.BacklogHighWater")
    @Label("Backlog High-Water Mark")
    @Description("Per peer with anything queued during the period: the most frames queued at once, and the bound.")
    @Period("1 s")
    static final class BacklogHighWater extends PeerEvent {
        @Label("High-Water Frames") long highWaterFrames;
        @Label("Queued Frames") long queuedFrames;
        @Label("Queued Bytes") @DataAmount long queuedBytes;
        @Label("Max Frames") long maxFrames;
        @Label("Max Bytes") @DataAmount long maxBytes;
    }

    static void connected(PeerCore peer, long reconnects, long replayFrames) {
        Connected e = new Connected();
        if (e.shouldCommit()) {
            e.of(peer);
            e.direction = peer.direction() == Direction.OUTBOUND ? "outbound" : "inbound";
            e.reconnects = reconnects;
            e.replayFrames = replayFrames;
            e.commit();
        }
    }

    static void disconnected(PeerCore peer, Failure why, long queuedFrames) {
        Disconnected e = new Disconnected();
        if (e.shouldCommit()) {
            e.of(peer);
            e.reason = why.reason().name();
            e.detail = why.detail();
            e.queuedFrames = queuedFrames;
            e.commit();
        }
    }

    /** Begins timing an attempt; finish with {@link #attemptEnded}. */
    static ConnectAttempt attemptStarted() {
        ConnectAttempt e = new ConnectAttempt();
        e.begin();
        return e;
    }

    static void attemptEnded(ConnectAttempt e, PeerCore peer, int attempt, Failure failure, long retryInMillis) {
        e.end();
        if (e.shouldCommit()) {
            e.of(peer);
            e.attempt = attempt;
            e.succeeded = failure == null;
            e.reason = failure == null ? "" : failure.reason().name() + ": " + failure.detail();
            e.retryInMillis = retryInMillis;
            e.commit();
        }
    }

    static void framesDropped(PeerCore peer, String reason, long frames, long totalFrames) {
        FramesDropped e = new FramesDropped();
        if (e.shouldCommit()) {
            e.of(peer);
            e.reason = reason;
            e.frames = frames;
            e.totalFrames = totalFrames;
            e.commit();
        }
    }

    static void slowConsumer(PeerCore peer, long queuedFrames, long queuedBytes, long overMillis) {
        SlowConsumer e = new SlowConsumer();
        if (e.shouldCommit()) {
            e.of(peer);
            e.queuedFrames = queuedFrames;
            e.queuedBytes = queuedBytes;
            e.overMillis = overMillis;
            e.commit();
        }
    }

    /** The periodic hook of one node: one event per peer that had anything queued during the period. */
    static Runnable highWaterHook(PeerRegistry registry, dev.tether.NodeConfig config) {
        return () -> {
            BacklogHighWater probe = new BacklogHighWater();
            if (!probe.isEnabled()) {
                return;
            }
            for (PeerCore peer : registry.members()) {
                long high = peer.backlog().takePeriodHighWater();
                if (high == 0) {
                    continue;
                }
                Backlog.Snapshot c = peer.backlog().snapshot();
                BacklogHighWater e = new BacklogHighWater();
                e.of(peer);
                e.highWaterFrames = high;
                e.queuedFrames = c.queuedFrames();
                e.queuedBytes = c.queuedBytes();
                e.maxFrames = config.backlogLimits().maxFrames();
                e.maxBytes = config.backlogLimits().maxBytes();
                e.commit();
            }
        };
    }
}
