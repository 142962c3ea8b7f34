package dev.tether;

/** Why frames meant for a peer were not delivered. Every dropped frame is counted under exactly one reason. */
public enum DropReason {
    /** The peer's backlog was at its bound: the frame was rejected (or a blocking send timed out). */
    BACKLOG_FULL,
    /**
     * The peer was disconnected: its queue was cleared under {@link DisconnectPolicy#DROP_BACKLOG}, a frame
     * was sent to it while down under that policy, or an inbound connection ended with frames queued.
     */
    DISCONNECTED,
    /** The peer or the node was closed before the frame was written (the drain timeout ran out). */
    CLOSED,
    /** The frame waited in the backlog longer than {@link NodeConfig#maxAge()}: stale, so not written. */
    EXPIRED,
    /** The backlog was at its bound under {@link OverflowPolicy#DROP_OLDEST}: the frame was evicted for a newer one. */
    EVICTED
}
