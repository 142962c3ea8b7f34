package dev.tether;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * An immutable snapshot of one peer's counters. Taking one locks only that peer's backlog, briefly.
 *
 * @param peerId the peer's id
 * @param direction outbound or inbound
 * @param remoteAddress the address connected to (outbound) or accepted from (inbound)
 * @param state the state when the snapshot was taken
 * @param queuedFrames frames in the backlog: not yet written, or (acknowledged mode) not yet acknowledged
 * @param queuedBytes encoded bytes of those frames
 * @param unackedFrames of the queued frames, those written and waiting for an acknowledgement (0 in plain mode)
 * @param framesWritten frames handed whole to the kernel (the hello not included)
 * @param bytesWritten bytes of those frames
 * @param framesAcknowledged frames the peer acknowledged (acknowledged mode)
 * @param framesReceived frames received from this peer and given to the handler
 * @param bytesReceived payload bytes of those frames
 * @param droppedBacklogFull frames rejected at the bound
 * @param droppedDisconnected frames dropped because the peer was down (policy) or its inbound connection ended
 * @param droppedClosed frames dropped because the peer or node closed before writing them
 * @param reconnects successful reconnects (outbound)
 * @param lastDisconnectReason why the last connection ended, if one did
 * @param lastDisconnectDetail the detail text of that reason, empty if none
 * @param lastDisconnectAt when the last connection ended, if one did
 * @param connectedSince when the current connection was established, if connected
 */
public record PeerStats(
        long peerId,
        Direction direction,
        InetSocketAddress remoteAddress,
        PeerState state,
        long queuedFrames,
        long queuedBytes,
        long unackedFrames,
        long framesWritten,
        long bytesWritten,
        long framesAcknowledged,
        long framesReceived,
        long bytesReceived,
        long droppedBacklogFull,
        long droppedDisconnected,
        long droppedClosed,
        long reconnects,
        Optional<DisconnectReason> lastDisconnectReason,
        String lastDisconnectDetail,
        Optional<Instant> lastDisconnectAt,
        Optional<Instant> connectedSince) {

    /**
     * Frames dropped for any reason.
     *
     * @return the sum of the three drop counters
     */
    public long framesDropped() {
        return droppedBacklogFull + droppedDisconnected + droppedClosed;
    }

    /**
     * Frames dropped for one reason.
     *
     * @param reason the reason
     * @return the counter for that reason
     */
    public long framesDropped(DropReason reason) {
        return switch (reason) {
            case BACKLOG_FULL -> droppedBacklogFull;
            case DISCONNECTED -> droppedDisconnected;
            case CLOSED -> droppedClosed;
        };
    }
}
