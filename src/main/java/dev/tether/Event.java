package dev.tether;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Everything that happens to peers and the node, as values. Every connect attempt of an outbound peer ends
 * in {@link Connected}, {@link Reconnected} or {@link ConnectFailed}; every {@code Connected},
 * {@code Reconnected} and {@code Accepted} is followed by exactly one {@link Disconnected}; every peer ends
 * with one {@link PeerClosed}. Addresses print as {@code host:port}.
 *
 * <p>{@code Connected}, {@code Reconnected} and {@code Accepted} carry the hello the peer sent on that
 * connection as far as it is known then: always in acknowledged mode, where it is part of the handshake; in
 * plain mode, where it is the connection's first frame, usually not yet. {@link Peer#hello()} has it as soon
 * as it arrives, and the message handler gets it as the connection's first frame.
 */
public sealed interface Event {

    /** {@code host:port}, never {@code host/<unresolved>:port}. */
    private static String hostPort(InetSocketAddress a) {
        return a == null ? "none" : a.getHostString() + ":" + a.getPort();
    }

    /**
     * An outbound peer connected for the first time (TCP, TLS and handshake all done).
     *
     * @param peer the peer
     * @param remoteAddress the address it connected to
     * @param hello the hello the peer sent on this connection, as far as known (see above); empty if none
     */
    record Connected(Peer peer, InetSocketAddress remoteAddress, byte[] hello) implements Event {
        @Override
        public String toString() {
            return "Connected[peer=" + peer + ", remoteAddress=" + hostPort(remoteAddress) + ", hello=" + hello.length + " bytes]";
        }
    }

    /**
     * An outbound peer connected again after a disconnect.
     *
     * @param peer the peer
     * @param remoteAddress the address it connected to
     * @param reconnects how many times this peer has reconnected so far, this one included
     * @param replayFrames frames waiting in its backlog at this moment, to be written before newer ones
     * @param hello the hello the peer sent on this connection, as far as known (see above); empty if none
     */
    record Reconnected(Peer peer, InetSocketAddress remoteAddress, long reconnects, long replayFrames, byte[] hello) implements Event {
        @Override
        public String toString() {
            return "Reconnected[peer=" + peer + ", remoteAddress=" + hostPort(remoteAddress) + ", reconnects=" + reconnects
                    + ", replayFrames=" + replayFrames + ", hello=" + hello.length + " bytes]";
        }
    }

    /**
     * A listener accepted an inbound connection and its handshake (if any) completed.
     *
     * @param peer the new inbound peer
     * @param remoteAddress where it connected from
     * @param listenAddress the listener that accepted it
     * @param hello the hello the peer sent on this connection, as far as known (see above); empty if none
     */
    record Accepted(Peer peer, InetSocketAddress remoteAddress, InetSocketAddress listenAddress, byte[] hello) implements Event {
        @Override
        public String toString() {
            return "Accepted[peer=" + peer + ", remoteAddress=" + hostPort(remoteAddress) + ", listenAddress="
                    + hostPort(listenAddress) + ", hello=" + hello.length + " bytes]";
        }
    }


    /**
     * An attempt to connect an outbound peer failed; the supervisor tries again after {@code retryIn}.
     *
     * @param peer the peer
     * @param attempt attempts that failed in a row, starting at 1
     * @param reason what kind of failure: connect, TLS or acknowledged-mode handshake
     * @param detail what happened and, where it can, what to change
     * @param retryIn the backoff delay before the next attempt
     */
    record ConnectFailed(Peer peer, int attempt, DisconnectReason reason, String detail, Duration retryIn) implements Event { }

    /**
     * A connection ended. An outbound peer then reconnects (unless it or the node is closing); an inbound
     * peer is closed.
     *
     * @param peer the peer
     * @param reason why the connection ended
     * @param detail what happened, for a person
     * @param queuedFrames frames still in the backlog (kept for replay, unless the policy drops them)
     */
    record Disconnected(Peer peer, DisconnectReason reason, String detail, long queuedFrames) implements Event { }

    /**
     * Frames were dropped. Rate-limited: at most one event per peer and reason per
     * {@link NodeConfig#dropReportInterval()}, carrying every drop since the previous one.
     *
     * @param peer the peer the frames were meant for
     * @param reason why they were dropped
     * @param frames frames dropped since the previous event for this peer and reason
     * @param totalFrames frames dropped for this peer and reason since it was created
     */
    record FramesDropped(Peer peer, DropReason reason, long frames, long totalFrames) implements Event { }

    /**
     * A peer is closed for good and forgotten by the node.
     *
     * @param peer the peer
     * @param framesDiscarded frames that were still queued and are now counted as dropped
     */
    record PeerClosed(Peer peer, long framesDiscarded) implements Event { }

    /**
     * The node finished closing: every socket is closed and every thread it started has ended.
     *
     * @param framesDiscarded frames that could not be written before the drain timeout, over all peers
     * @param took how long closing took
     */
    record NodeClosed(long framesDiscarded, Duration took) implements Event { }
}
