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

    private static String address(PeerCore peer) {
        InetSocketAddress a = peer.address();
        return a.getHostString() + ":" + a.getPort();
    }

    @Name("dev.tether.Connected")
    @Label("Peer Connected")
    @Category("tether")
    @Description("A connection to a peer is up: TCP, TLS and the handshake are done.")
    @StackTrace(false)
    static final class Connected extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("Direction") String direction;
        @Label("Reconnects") long reconnects;
        @Label("Frames To Replay") long replayFrames;
    }

    @Name("dev.tether.Disconnected")
    @Label("Peer Disconnected")
    @Category("tether")
    @Description("A connection ended (or an inbound handshake failed), with the reason.")
    @StackTrace(false)
    static final class Disconnected extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("Reason") String reason;
        @Label("Detail") String detail;
        @Label("Queued Frames") long queuedFrames;
    }

    @Name("dev.tether.ConnectAttempt")
    @Label("Connect Attempt")
    @Category("tether")
    @Description("One attempt of a supervisor to connect an outbound peer; its duration is the attempt's.")
    @StackTrace(false)
    static final class ConnectAttempt extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("Attempt") int attempt;
        @Label("Succeeded") boolean succeeded;
        @Label("Reason") String reason;
        @Label("Retry In") @Timespan(Timespan.MILLISECONDS) long retryInMillis;
    }

    @Name("dev.tether.FramesDropped")
    @Label("Frames Dropped")
    @Category("tether")
    @Description("Frames for a peer were dropped since the previous report (rate-limited like the listener event).")
    @StackTrace(false)
    static final class FramesDropped extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("Reason") String reason;
        @Label("Frames") long frames;
        @Label("Total Frames") long totalFrames;
    }

    @Name("dev.tether.SlowConsumer")
    @Label("Slow Consumer Disconnected")
    @Category("tether")
    @Description("A connected peer stayed at its backlog bound longer than the overflow timeout and was disconnected.")
    @StackTrace(false)
    static final class SlowConsumer extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("Queued Frames") long queuedFrames;
        @Label("Queued Bytes") @DataAmount long queuedBytes;
        @Label("Over The Bound For") @Timespan(Timespan.MILLISECONDS) long overMillis;
    }

    @Name("dev.tether.BacklogHighWater")
    @Label("Backlog High-Water Mark")
    @Category("tether")
    @Description("Per peer with anything queued during the period: the most frames queued at once, and the bound.")
    @Period("1 s")
    @StackTrace(false)
    static final class BacklogHighWater extends Event {
        @Label("Node") String node;
        @Label("Peer Id") long peerId;
        @Label("Address") String address;
        @Label("High-Water Frames") long highWaterFrames;
        @Label("Queued Frames") long queuedFrames;
        @Label("Queued Bytes") @DataAmount long queuedBytes;
        @Label("Max Frames") long maxFrames;
        @Label("Max Bytes") @DataAmount long maxBytes;
    }

    static void connected(PeerCore peer, long reconnects, long replayFrames) {
        Connected e = new Connected();
        if (e.shouldCommit()) {
            e.node = peer.node().config().name();
            e.peerId = peer.id();
            e.address = address(peer);
            e.direction = peer.direction() == Direction.OUTBOUND ? "outbound" : "inbound";
            e.reconnects = reconnects;
            e.replayFrames = replayFrames;
            e.commit();
        }
    }

    static void disconnected(PeerCore peer, Failure why, long queuedFrames) {
        Disconnected e = new Disconnected();
        if (e.shouldCommit()) {
            e.node = peer.node().config().name();
            e.peerId = peer.id();
            e.address = address(peer);
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
            e.node = peer.node().config().name();
            e.peerId = peer.id();
            e.address = address(peer);
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
            e.node = peer.node().config().name();
            e.peerId = peer.id();
            e.address = address(peer);
            e.reason = reason;
            e.frames = frames;
            e.totalFrames = totalFrames;
            e.commit();
        }
    }

    static void slowConsumer(PeerCore peer, long queuedFrames, long queuedBytes, long overMillis) {
        SlowConsumer e = new SlowConsumer();
        if (e.shouldCommit()) {
            e.node = peer.node().config().name();
            e.peerId = peer.id();
            e.address = address(peer);
            e.queuedFrames = queuedFrames;
            e.queuedBytes = queuedBytes;
            e.overMillis = overMillis;
            e.commit();
        }
    }

    /** The periodic hook of one node: one event per peer that had anything queued during the period. */
    static Runnable highWaterHook(NodeCore node) {
        return () -> {
            BacklogHighWater probe = new BacklogHighWater();
            if (!probe.isEnabled()) {
                return;
            }
            for (PeerCore peer : node.peerArray()) {
                long high = peer.backlog().takePeriodHighWater();
                if (high == 0) {
                    continue;
                }
                Backlog.Counters c = peer.backlog().counters();
                BacklogHighWater e = new BacklogHighWater();
                e.node = node.config().name();
                e.peerId = peer.id();
                e.address = address(peer);
                e.highWaterFrames = high;
                e.queuedFrames = c.queuedFrames();
                e.queuedBytes = c.queuedBytes();
                e.maxFrames = node.config().backlogLimits().maxFrames();
                e.maxBytes = node.config().backlogLimits().maxBytes();
                e.commit();
            }
        };
    }
}
