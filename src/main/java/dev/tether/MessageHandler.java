package dev.tether;

import java.nio.ByteBuffer;

/**
 * Receives every complete, non-empty frame.
 *
 * <p>Runs on the reader thread of the connection the frame came in on, so frames from one peer arrive one
 * at a time and in order; frames from different peers arrive concurrently. An exception thrown here is
 * logged and counted; the reader goes on with the next frame; a {@link VirtualMachineError} ends that
 * connection (reason {@code IO_ERROR}). In acknowledged mode a frame is acknowledged only after this method
 * returns, so a slow handler slows that peer's stream (its sender waits at its bound), but it never delays a
 * reconnecting sender's handshake: the new connection takes over once the current call returns, and frames
 * already delivered are not delivered again.
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
