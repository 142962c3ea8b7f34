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
 * @param counters queued, written, received and dropped frames (see {@link Counters} for each)
 * @param lastDisconnectReason why the last connection ended, if one did
 * @param lastDisconnectDetail the detail text of that reason, empty if none
 * @param lastDisconnectAt when the last connection ended, if one did
 * @param lastFailure the last failed connect attempt or connection that ended in a failure, if any: what a
 *     person needs to know when a peer does not come up
 * @param connectedSince when the current connection was established, if connected
 */
public record PeerStats(
        long peerId,
        Direction direction,
        InetSocketAddress remoteAddress,
        PeerState state,
        Counters counters,
        Optional<DisconnectReason> lastDisconnectReason,
        String lastDisconnectDetail,
        Optional<Instant> lastDisconnectAt,
        Optional<PeerFailure> lastFailure,
        Optional<Instant> connectedSince) {

    /** Every component, with the address as {@code host:port}. */
    @Override
    public String toString() {
        return "PeerStats[peerId=" + peerId + ", direction=" + direction + ", remoteAddress=" + remoteAddress.getHostString()
                + ":" + remoteAddress.getPort() + ", state=" + state + ", counters=" + counters + ", lastDisconnectReason="
                + lastDisconnectReason + ", lastDisconnectDetail=" + lastDisconnectDetail + ", lastDisconnectAt="
                + lastDisconnectAt + ", lastFailure=" + lastFailure + ", connectedSince=" + connectedSince + "]";
    }

    /** @return {@link Counters#framesMissed()} */
    public long framesMissed() {
        return counters.framesMissed();
    }

    /** @return {@link Counters#queuedFrames()} */
    public long queuedFrames() {
        return counters.queuedFrames();
    }

    /** @return {@link Counters#queuedBytes()} */
    public long queuedBytes() {
        return counters.queuedBytes();
    }

    /** @return {@link Counters#unackedFrames()} */
    public long unackedFrames() {
        return counters.unackedFrames();
    }

    /** @return {@link Counters#framesWritten()} */
    public long framesWritten() {
        return counters.framesWritten();
    }

    /** @return {@link Counters#bytesWritten()} */
    public long bytesWritten() {
        return counters.bytesWritten();
    }

    /** @return {@link Counters#framesUnconfirmed()} */
    public long framesUnconfirmed() {
        return counters.framesUnconfirmed();
    }

    /** @return {@link Counters#framesAcknowledged()} */
    public long framesAcknowledged() {
        return counters.framesAcknowledged();
    }

    /** @return {@link Counters#framesReceived()} */
    public long framesReceived() {
        return counters.framesReceived();
    }

    /** @return {@link Counters#bytesReceived()} */
    public long bytesReceived() {
        return counters.bytesReceived();
    }

    /** @return frames rejected at the bound ({@link DropReason#BACKLOG_FULL}) */
    public long droppedBacklogFull() {
        return counters.framesDropped(DropReason.BACKLOG_FULL);
    }

    /** @return frames dropped because the peer was down or its inbound connection ended ({@link DropReason#DISCONNECTED}) */
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

    /** @return frames dropped because the peer or node closed before writing them ({@link DropReason#CLOSED}) */
    public long droppedClosed() {
        return counters.framesDropped(DropReason.CLOSED);
    }

    /** @return {@link Counters#reconnects()} */
    public long reconnects() {
        return counters.reconnects();
    }

    /** @return frames dropped for any reason */
    public long framesDropped() {
        return counters.framesDropped();
    }

    /**
     * Frames dropped for one reason.
     *
     * @param reason the reason
     * @return the counter for that reason
     */
    public long framesDropped(DropReason reason) {
        return counters.framesDropped(reason);
    }
}
