package dev.tether;

import java.util.Map;

/**
 * The counters of every live peer of a node, summed, plus how many peers are in each state. Counters of
 * peers already closed are kept in the totals, so they never go backwards.
 *
 * @param peersByState live peers per state (every state present, zero included)
 * @param queuedFrames frames queued over all peers
 * @param queuedBytes bytes queued over all peers
 * @param framesWritten frames written over all peers, closed ones included
 * @param bytesWritten bytes written over all peers, closed ones included
 * @param framesReceived frames received over all peers, closed ones included
 * @param bytesReceived payload bytes received over all peers, closed ones included
 * @param droppedBacklogFull frames rejected at a bound
 * @param droppedDisconnected frames dropped because a peer was down
 * @param droppedClosed frames dropped because a peer or the node closed
 * @param reconnects reconnects over all peers
 * @param handlerErrors exceptions thrown by the message handler or the event listener
 */
public record NodeStats(
        Map<PeerState, Integer> peersByState,
        long queuedFrames,
        long queuedBytes,
        long framesWritten,
        long bytesWritten,
        long framesReceived,
        long bytesReceived,
        long droppedBacklogFull,
        long droppedDisconnected,
        long droppedClosed,
        long reconnects,
        long handlerErrors) {

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
     * Frames dropped for any reason.
     *
     * @return the sum of the three drop counters
     */
    public long framesDropped() {
        return droppedBacklogFull + droppedDisconnected + droppedClosed;
    }
}
