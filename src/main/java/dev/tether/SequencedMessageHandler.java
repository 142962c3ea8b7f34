package dev.tether;

import java.nio.ByteBuffer;

/**
 * Receives every frame with, in acknowledged mode, the stream it belongs to and its sequence number, so an
 * application can record how far it processed each stream together with the effects of processing (see
 * {@link ResumePositions}). Called as {@link MessageHandler} is: on the connection's reader thread, one frame at
 * a time per sender, in order.
 */
@FunctionalInterface
public interface SequencedMessageHandler {

    /**
     * Called once per frame.
     *
     * @param peer the peer the frame came from
     * @param payload the payload, read-only, valid only until this method returns
     * @param sentAtEpochNanos the sender's clock when it encoded the frame, in nanoseconds since the Unix epoch
     * @param stream acknowledged mode: the sender's stream; plain mode: null
     * @param sequence acknowledged mode: the frame's number in its stream, from 1 (0 for a hello); plain mode: 0
     */
    void onMessage(Peer peer, ByteBuffer payload, long sentAtEpochNanos, StreamId stream, long sequence);
}
