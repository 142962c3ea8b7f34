package dev.tether;

/** The delivery guarantee a node asks of every connection. */
public enum Delivery {
    /**
     * The basic wire format, compatible with any peer that speaks it. Frames not yet handed to the kernel
     * survive a reconnect and are written exactly once; frames already in kernel buffers when a connection
     * drops can be lost.
     */
    PLAIN,
    /**
     * Acknowledged delivery: both ends must be tether nodes with this mode on. A frame stays queued until
     * the receiver acknowledges it; on reconnect the sender resumes after the last frame the receiver
     * delivered and the receiver discards repeats. While both processes live, every frame reaches the
     * handler exactly once and in order. A connection to a peer without this mode is refused with
     * {@link DisconnectReason#HANDSHAKE_FAILED}.
     */
    ACKNOWLEDGED
}
