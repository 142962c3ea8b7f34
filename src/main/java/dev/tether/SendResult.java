package dev.tether;

/**
 * What happened to a single send. Outcomes a healthy system meets are values, not exceptions; misuse
 * (unknown peer id, oversized payload, a closed node) throws.
 */
public enum SendResult {
    /** Queued. The writer will write it in order; it counts against the backlog until written (or acknowledged). */
    ACCEPTED,
    /**
     * Rejected: the peer's backlog is at its bound ({@link NodeConfig#backlogLimits()}). Counted as dropped.
     * Retry later, use a blocking send with a timeout, or raise the limits.
     */
    BACKLOG_FULL,
    /**
     * Rejected: the peer is disconnected and its {@link DisconnectPolicy} is {@link DisconnectPolicy#DROP_BACKLOG}.
     * Counted as dropped. The next send after it reconnects is queued as usual.
     */
    DROPPED_DISCONNECTED,
    /** The peer is closed (removed, or its inbound connection ended). Nothing was queued; forget this peer. */
    PEER_CLOSED;

    /**
     * Whether the frame was queued.
     *
     * @return true for {@link #ACCEPTED}
     */
    public boolean accepted() {
        return this == ACCEPTED;
    }
}
