package dev.tether.internal;

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

    ReceiveStream stream(long session, long stream, boolean resumable) {
        if (!resumable) {
            return new ReceiveStream();
        }
        lock.lock();
        try {
            return streams.computeIfAbsent(new Key(session, stream), k -> new ReceiveStream());
        } finally {
            lock.unlock();
        }
    }
}
