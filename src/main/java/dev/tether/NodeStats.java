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

    /** @return {@link Counters#queuedFrames()} over all peers */
    public long queuedFrames() {
        return counters.queuedFrames();
    }

    /** @return {@link Counters#queuedBytes()} over all peers */
    public long queuedBytes() {
        return counters.queuedBytes();
    }

    /** @return {@link Counters#framesWritten()} over all peers */
    public long framesWritten() {
        return counters.framesWritten();
    }

    /** @return {@link Counters#bytesWritten()} over all peers */
    public long bytesWritten() {
        return counters.bytesWritten();
    }

    /** @return {@link Counters#framesReceived()} over all peers */
    public long framesReceived() {
        return counters.framesReceived();
    }

    /** @return {@link Counters#bytesReceived()} over all peers */
    public long bytesReceived() {
        return counters.bytesReceived();
    }

    /** @return frames rejected at a bound */
    public long droppedBacklogFull() {
        return counters.framesDropped(DropReason.BACKLOG_FULL);
    }

    /** @return frames dropped because a peer was down */
    public long droppedDisconnected() {
        return counters.framesDropped(DropReason.DISCONNECTED);
    }

    /** @return frames that waited longer than {@link NodeConfig#maxAge()} and were dropped ({@link DropReason#EXPIRED}) */
    public long droppedExpired() {
        return counters.framesDropped(DropReason.EXPIRED);
    }

    /** @return frames evicted at the bound under {@link OverflowPolicy#DROP_OLDEST} ({@link DropReason#EVICTED}) */
    public long droppedEvicted() {
        return counters.framesDropped(DropReason.EVICTED);
    }

    /** @return frames dropped because a peer or the node closed */
    public long droppedClosed() {
        return counters.framesDropped(DropReason.CLOSED);
    }

    /** @return {@link Counters#reconnects()} over all peers */
    public long reconnects() {
        return counters.reconnects();
    }

    /** @return frames dropped for any reason */
    public long framesDropped() {
        return counters.framesDropped();
    }
}
