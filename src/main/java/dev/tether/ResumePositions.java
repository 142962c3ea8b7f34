package dev.tether;

/**
 * Where the receiving application says a stream should resume, in acknowledged mode: asked during the
 * handshake for every stream this node does not remember (after a restart, all of them). With it, a receiver
 * that restarts gets every frame after that position exactly once, with no gap, as long as the sender still
 * holds them.
 *
 * <p>The contract: record the position in the same atomic step as the effect of processing the frame
 * (the same transaction, the same file write), from a {@link SequencedMessageHandler}. Then a crash at any
 * point either lost both or kept both, and the answer here is exactly what was processed. If the sender no
 * longer has frames after the position (they were acknowledged to it before a crash that lost them here, or
 * it restarted), the gap is counted in {@link Counters#framesMissed()} and reported
 * at WARN: never silent.
 *
 * <p>Called on the connection's reader thread during the handshake; keep it fast (a lookup). An exception
 * thrown here fails that connection's handshake, which the sender retries.
 */
@FunctionalInterface
public interface ResumePositions {

    /**
     * The last sequence number of {@code stream} whose processing the application completed.
     *
     * @param stream the sender's stream
     * @return that sequence number, or 0 if none
     */
    long lastProcessed(StreamId stream);
}
