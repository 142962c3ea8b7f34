package dev.tether;

/** A send named a peer id this node does not have: it was never created here, or it has been closed. */
public final class UnknownPeerException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    /** The id that was asked for. */
    private final long peerId;

    /**
     * Creates the exception.
     *
     * @param peerId the id that was asked for
     */
    public UnknownPeerException(long peerId) {
        super("no peer with id " + peerId + " on this node: it was never created here, or it was closed "
                + "(an inbound peer closes when its connection ends); watch Event.PeerClosed to forget ids");
        this.peerId = peerId;
    }

    /**
     * The id that was asked for.
     *
     * @return the unknown id
     */
    public long peerId() {
        return peerId;
    }
}
