package dev.tether;

import java.util.EnumMap;
import java.util.Map;

/**
 * The counters of one peer, or of every peer of a node summed: what is queued, what was written, received
 * and dropped. One list for {@link PeerStats} and {@link NodeStats}, so the two can never disagree on what
 * a counter means.
 *
 * @param queuedFrames frames in the backlog: not yet written, or written and waiting for the peer's word
 *     (acknowledged mode: its acknowledgement; plain mode: a tether listener's acceptance of the connection)
 * @param queuedBytes encoded bytes of those frames (12-byte header plus payload each)
 * @param unackedFrames of the queued frames, those written whole and waiting for the peer's word
 * @param framesWritten frames handed whole to the kernel on a connection the peer did not refuse (the hello not
 *     included; in acknowledged mode, resends after a reconnect count again)
 * @param bytesWritten encoded bytes of those frames
 * @param framesUnconfirmed of the frames written, those written to a plain listener that never accepted the
 *     connection: a peer that is not a tether node, or one that went away before it answered. Handed to the
 *     kernel, with no word from the receiver.
 * @param framesAcknowledged frames the peer acknowledged (acknowledged mode)
 * @param framesReceived frames received and given to the message handler
 * @param bytesReceived payload bytes of those frames
 * @param framesMissed acknowledged mode, receiving: frames of a stream that its sender no longer had when this
 *     node resumed it (a gap, reported at WARN; see {@link ResumePositions})
 * @param dropped frames dropped, by reason; every reason present, zero included
 * @param reconnects successful reconnects of outbound peers
 */
public record Counters(long queuedFrames, long queuedBytes, long unackedFrames, long framesWritten, long bytesWritten,
                       long framesUnconfirmed, long framesAcknowledged, long framesReceived, long bytesReceived,
                       long framesMissed, Map<DropReason, Long> dropped, long reconnects) {

    /** Nothing counted. */
    public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of(), 0);

    /** Copies the drop map, with every reason present. */
    public Counters {
        EnumMap<DropReason, Long> all = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            all.put(r, dropped.getOrDefault(r, 0L));
        }
        dropped = Map.copyOf(all);
    }

    /**
     * Frames dropped for any reason.
     *
     * @return the sum over every reason
     */
    public long framesDropped() {
        long sum = 0;
        for (long n : dropped.values()) {
            sum += n;
        }
        return sum;
    }

    /**
     * Frames dropped for one reason.
     *
     * @param reason the reason
     * @return the count for that reason
     */
    public long framesDropped(DropReason reason) {
        return dropped.get(reason);
    }

    /**
     * These counters and {@code other}, added.
     *
     * @param other more counters
     * @return the sums
     */
    public Counters plus(Counters other) {
        EnumMap<DropReason, Long> sum = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            sum.put(r, framesDropped(r) + other.framesDropped(r));
        }
        return new Counters(queuedFrames + other.queuedFrames, queuedBytes + other.queuedBytes,
                unackedFrames + other.unackedFrames, framesWritten + other.framesWritten, bytesWritten + other.bytesWritten,
                framesUnconfirmed + other.framesUnconfirmed, framesAcknowledged + other.framesAcknowledged,
                framesReceived + other.framesReceived, bytesReceived + other.bytesReceived, framesMissed + other.framesMissed,
                sum, reconnects + other.reconnects);
    }
}
