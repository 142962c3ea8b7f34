package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The streams this node receives in acknowledged mode, by sender session and stream. Only resumable
 * streams (a remote outbound peer, which reconnects) are remembered across connections; the least recently
 * used are forgotten beyond a cap, so a flood of short-lived senders cannot grow this without bound. A
 * forgotten stream that comes back is treated as new: at-least-once for it, as after a receiver restart.
 */
final class ReceiveSessions {
    static final int MAX_REMEMBERED = 65_536;

    private record Key(long session, long stream) { }

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Key, ReceiveStream> streams = new LinkedHashMap<>(16, 0.75f, true) { // guarded by lock
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, ReceiveStream> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    private final dev.tether.ResumePositions positions; // the application's answer for streams not remembered, or null

    ReceiveSessions(dev.tether.ResumePositions positions) {
        this.positions = positions;
    }

    /** The stream, remembered or new; a new one resumes where the application says it processed (0 without it). */
    ReceiveStream stream(long session, long stream, boolean resumable) throws DisconnectException {
        dev.tether.StreamId id = new dev.tether.StreamId(session, stream);
        if (!resumable) {
            return new ReceiveStream(id, resumeAt(id));
        }
        Key key = new Key(session, stream);
        lock.lock();
        try {
            ReceiveStream known = streams.get(key);
            if (known != null) {
                return known;
            }
        } finally {
            lock.unlock();
        }
        long at = resumeAt(id); // the application's code, not under our lock
        lock.lock();
        try {
            return streams.computeIfAbsent(key, k -> new ReceiveStream(id, at));
        } finally {
            lock.unlock();
        }
    }

    private long resumeAt(dev.tether.StreamId id) throws DisconnectException {
        if (positions == null) {
            return 0;
        }
        long at;
        try {
            at = positions.lastProcessed(id);
        } catch (RuntimeException e) { // the application's bug: this handshake fails, the sender retries
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, "ResumePositions.lastProcessed(" + id
                    + ") threw " + e + ": the stream cannot resume until it answers", e);
        }
        if (at < 0) {
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, "ResumePositions.lastProcessed(" + id
                    + ") returned " + at + ": answer the last sequence number processed, or 0 for none");
        }
        return at;
    }
}
