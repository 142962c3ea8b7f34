package dev.tether;

/**
 * A blocking send waited as long as it was allowed and the peer's backlog still had no room. The frame was
 * not queued and is counted as dropped ({@link DropReason#BACKLOG_FULL}).
 */
public final class BacklogFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message says which peer, how full, and what to do
     */
    public BacklogFullException(String message) {
        super(message);
    }
}
