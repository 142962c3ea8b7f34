package dev.tether;

/** Who opened the connection. */
public enum Direction {
    /** Opened by {@link Node#connect}; kept up by a supervisor that reconnects with backoff. */
    OUTBOUND,
    /** Accepted by a listener opened with {@link Node#listen}; never reconnected: when it ends, the peer is closed. */
    INBOUND
}
