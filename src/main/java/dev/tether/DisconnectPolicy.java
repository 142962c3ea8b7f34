package dev.tether;

/** What an outbound peer does with its backlog while it is disconnected. */
public enum DisconnectPolicy {
    /**
     * Keep the backlog and keep queueing up to the bound; replay it, oldest first, after the reconnect.
     * The default.
     */
    KEEP_BACKLOG,
    /**
     * Clear the backlog when the connection drops and drop frames sent while the peer is down (each counted
     * as {@link DropReason#DISCONNECTED}). For real-time data that is worthless once stale.
     */
    DROP_BACKLOG
}
