package dev.tether;

/** What a peer's backlog does with a new frame when it is at its bound ({@link NodeConfig#backlogLimits()}). */
public enum OverflowPolicy {
    /**
     * Refuse the new frame: {@link SendResult#BACKLOG_FULL} (or a wait, for the calls that wait), counted as
     * {@link DropReason#BACKLOG_FULL}. What is queued stays. The default.
     */
    REJECT_NEW,
    /**
     * Make room by evicting the oldest frames the writer has not yet taken, each counted as
     * {@link DropReason#EVICTED}, and queue the new one; no call waits. A frame already handed to the socket is
     * never evicted, so if nothing else can go, the new frame is refused as under {@link #REJECT_NEW}. For
     * real-time data, where the newest value matters most.
     */
    DROP_OLDEST
}
