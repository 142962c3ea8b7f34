package dev.tether;

/**
 * The bound on one peer's backlog: frames queued and not yet written (in acknowledged mode: not yet
 * acknowledged). A frame is accepted only if, with it, both counts stay within their limits. The same
 * bound applies to connected and disconnected peers.
 *
 * <p>Either limit may be unlimited, not both. The default, {@link #DEFAULT}, is 1,000,000 frames and
 * 64 MiB per peer.
 *
 * @param maxFrames most frames queued, or {@link Long#MAX_VALUE} for no frame limit
 * @param maxBytes most encoded bytes queued (12-byte header plus payload per frame), or
 *     {@link Long#MAX_VALUE} for no byte limit
 */
public record BacklogLimits(long maxFrames, long maxBytes) {

    /** 1,000,000 frames and 64 MiB per peer. */
    public static final BacklogLimits DEFAULT = new BacklogLimits(1_000_000, 64L << 20);

    /** Checks both values. */
    public BacklogLimits {
        if (maxFrames <= 0) {
            throw new IllegalArgumentException("maxFrames must be positive, was " + maxFrames
                    + "; use BacklogLimits.ofBytes(..) for no frame limit");
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes
                    + "; use BacklogLimits.ofFrames(..) for no byte limit");
        }
        if (maxFrames == Long.MAX_VALUE && maxBytes == Long.MAX_VALUE) {
            throw new IllegalArgumentException("a backlog needs a frame limit, a byte limit or both: nothing may grow without bound");
        }
    }

    /**
     * Both limits.
     *
     * @param maxFrames most frames queued per peer
     * @param maxBytes most encoded bytes queued per peer
     * @return the limits
     */
    public static BacklogLimits of(long maxFrames, long maxBytes) {
        return new BacklogLimits(maxFrames, maxBytes);
    }

    /**
     * A frame limit only.
     *
     * @param maxFrames most frames queued per peer
     * @return the limits
     */
    public static BacklogLimits ofFrames(long maxFrames) {
        return new BacklogLimits(maxFrames, Long.MAX_VALUE);
    }

    /**
     * A byte limit only.
     *
     * @param maxBytes most encoded bytes queued per peer
     * @return the limits
     */
    public static BacklogLimits ofBytes(long maxBytes) {
        return new BacklogLimits(Long.MAX_VALUE, maxBytes);
    }

    /**
     * Whether frames are limited.
     *
     * @return true if {@link #maxFrames()} is a limit
     */
    public boolean limitsFrames() {
        return maxFrames != Long.MAX_VALUE;
    }

    /**
     * Whether bytes are limited.
     *
     * @return true if {@link #maxBytes()} is a limit
     */
    public boolean limitsBytes() {
        return maxBytes != Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return "BacklogLimits[maxFrames=" + (limitsFrames() ? maxFrames : "unlimited")
                + ", maxBytes=" + (limitsBytes() ? maxBytes : "unlimited") + "]";
    }
}
