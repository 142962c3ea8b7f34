package dev.tether;

/**
 * One sender's stream in acknowledged mode: the sending node's session (random, fixed for its life) and its
 * id for the peer the stream goes to. Frames of one stream are numbered from 1, in the order the sender
 * accepted them, across every reconnect.
 *
 * @param session the sending node's {@link Node#sessionId()}
 * @param stream the sending node's id for this receiver (its {@link Peer#id()})
 */
public record StreamId(long session, long stream) {

    @Override
    public String toString() {
        return Long.toHexString(session) + "/" + stream;
    }
}
