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

    /**
     * {@link Counters#framesMissed()}.
     *
     * @return the value
     */
    public long framesMissed() {
        return counters.framesMissed();
    }

    /**
     * {@link Counters#queuedFrames()}.
     *
     * @return the value
     */
    public long queuedFrames() {
        return counters.queuedFrames();
    }

    /**
     * {@link Counters#queuedBytes()}.
     *
     * @return the value
     */
    public long queuedBytes() {
        return counters.queuedBytes();
    }

    /**
     * {@link Counters#unackedFrames()}.
     *
     * @return the value
     */
    public long unackedFrames() {
        return counters.unackedFrames();
    }

    /**
     * {@link Counters#framesWritten()}.
     *
     * @return the value
     */
    public long framesWritten() {
        return counters.framesWritten();
    }

    /**
     * {@link Counters#bytesWritten()}.
     *
     * @return the value
     */
    public long bytesWritten() {
        return counters.bytesWritten();
    }

    /**
     * {@link Counters#framesUnconfirmed()}.
     *
     * @return the value
     */
    public long framesUnconfirmed() {
        return counters.framesUnconfirmed();
    }

    /**
     * {@link Counters#framesAcknowledged()}.
     *
     * @return the value
     */
    public long framesAcknowledged() {
        return counters.framesAcknowledged();
    }

    /**
     * {@link Counters#framesReceived()}.
     *
     * @return the value
     */
    public long framesReceived() {
        return counters.framesReceived();
    }

    /**
     * {@link Counters#bytesReceived()}.
     *
     * @return the value
     */
    public long bytesReceived() {
        return counters.bytesReceived();
    }

    /**
     * Frames rejected at the bound ({@link DropReason#BACKLOG_FULL}).
     *
     * @return the value
     */
    public long droppedBacklogFull() {
        return counters.framesDropped(DropReason.BACKLOG_FULL);
    }

    /**
     * Frames dropped because the peer was down or its inbound connection ended ({@link DropReason#DISCONNECTED}).
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
     * Frames dropped because the peer or node closed before writing them ({@link DropReason#CLOSED}).
     *
     * @return the value
     */
    public long droppedClosed() {
        return counters.framesDropped(DropReason.CLOSED);
    }

    /**
     * {@link Counters#reconnects()}.
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
