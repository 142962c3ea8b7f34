package dev.tether;

import java.nio.ByteBuffer;

/**
 * Receives every complete, non-empty frame.
 *
 * <p>Runs on the reader thread of the connection the frame came in on, so frames from one peer arrive one
 * at a time and in order; frames from different peers arrive concurrently. An exception thrown here is
 * logged and counted; the reader goes on with the next frame.
 */
@FunctionalInterface
public interface MessageHandler {

    /** A handler that discards every frame. */
    MessageHandler DISCARD = (peer, payload, sentAtEpochNanos) -> { };

    /**
     * Called once per frame.
     *
     * @param peer the peer the frame came from
     * @param payload the payload between its position and limit, read-only. It is a view of the reader's
     *     buffer, valid only until this method returns: copy what you keep.
     * @param sentAtEpochNanos the sender's clock when it encoded the frame, in nanoseconds since the Unix epoch
     */
    void onMessage(Peer peer, ByteBuffer payload, long sentAtEpochNanos);
}
