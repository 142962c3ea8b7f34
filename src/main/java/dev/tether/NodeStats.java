package dev.tether;

import java.util.Map;

/**
 * The counters of every peer of a node, summed, plus how many peers are in each state. Counters of peers
 * already closed are kept in the totals, so they never go backwards.
 *
 * @param peersByState live peers per state (every state present, zero included)
 * @param counters every peer's counters summed, closed peers included (queued counts are of live peers)
 * @param handlerErrors exceptions thrown by the message handler or the event listener
 * @param inboundRefused inbound connections refused because {@link NodeConfig#maxInboundConnections()} peers were live
 */
public record NodeStats(Map<PeerState, Integer> peersByState, Counters counters, long handlerErrors, long inboundRefused) {

    /** Copies the map, so the snapshot stays immutable. */
    public NodeStats {
        peersByState = Map.copyOf(peersByState);
    }

    /**
     * Live peers (not closed).
     *
     * @return the number of peers in every state but {@link PeerState#CLOSED}
     */
    public int peers() {
        return peersByState.entrySet().stream()
                .filter(e -> e.getKey() != PeerState.CLOSED)
                .mapToInt(Map.Entry::getValue).sum();
    }

    /**
     * {@link Counters#queuedFrames()} over all peers.
     *
     * @return the value
     */
    public long queuedFrames() {
        return counters.queuedFrames();
    }

    /**
     * {@link Counters#queuedBytes()} over all peers.
     *
     * @return the value
     */
    public long queuedBytes() {
        return counters.queuedBytes();
    }

    /**
     * {@link Counters#framesWritten()} over all peers.
     *
     * @return the value
     */
    public long framesWritten() {
        return counters.framesWritten();
    }

    /**
     * {@link Counters#bytesWritten()} over all peers.
     *
     * @return the value
     */
    public long bytesWritten() {
        return counters.bytesWritten();
    }

    /**
     * {@link Counters#framesReceived()} over all peers.
     *
     * @return the value
     */
    public long framesReceived() {
        return counters.framesReceived();
    }

    /**
     * {@link Counters#bytesReceived()} over all peers.
     *
     * @return the value
     */
    public long bytesReceived() {
        return counters.bytesReceived();
    }

    /**
     * Frames rejected at a bound.
     *
     * @return the value
     */
    public long droppedBacklogFull() {
        return counters.framesDropped(DropReason.BACKLOG_FULL);
    }

    /**
     * Frames dropped because a peer was down.
     *
     * @return the value
     */
    public long droppedDisconnected() {
        return counters.framesDropped(DropReason.DISCONNECTED);
    }

    /**
     * Frames that waited longer than {@link NodeConfig#maxAge()} and were dropped ({@link DropReason#EXPIRED}).
     *
     * @return the value
     */
    public long droppedExpired() {
        return counters.framesDropped(DropReason.EXPIRED);
    }

    /**
     * Frames evicted at the bound under {@link OverflowPolicy#DROP_OLDEST} ({@link DropReason#EVICTED}).
     *
     * @return the value
     */
    public long droppedEvicted() {
        return counters.framesDropped(DropReason.EVICTED);
    }

    /**
     * Frames dropped because a peer or the node closed.
     *
     * @return the value
     */
    public long droppedClosed() {
        return counters.framesDropped(DropReason.CLOSED);
    }

    /**
     * {@link Counters#reconnects()} over all peers.
     *
     * @return the value
     */
    public long reconnects() {
        return counters.reconnects();
    }

    /**
     * Frames dropped for any reason.
     *
     * @return the value
     */
    public long framesDropped() {
        return counters.framesDropped();
    }
}
