package dev.tether.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Plain mode: the inbound connections this node has taken, by the id it sent each in its ACCEPT marker. A
 * tether sender that reconnects names its previous connection (SUCCEEDS), and its new connection takes over
 * that connection's {@link ReceiveStream}, so nothing the old one still holds in kernel buffers is delivered
 * after the new one starts. Holds live connections only, so it is bounded by the inbound connection count.
 */
final class Lineages {

    /** A live inbound connection and the stream it delivers into. */
    record Entry(Connection connection, ReceiveStream stream) { }

    private final ConcurrentHashMap<Long, Entry> live = new ConcurrentHashMap<>();

    /** Registers a new inbound connection; returns its id (40 bits, never 0). */
    long register(Connection connection, ReceiveStream stream) {
        Entry entry = new Entry(connection, stream);
        while (true) {
            long id = ThreadLocalRandom.current().nextLong(1, FrameCodec.MARK_VALUE_MASK + 1);
            if (live.putIfAbsent(id, entry) == null) {
                return id;
            }
        }
    }

    /** The connection with this id, removed, or null if it is gone already. */
    Entry takeOver(long id) {
        return live.remove(id);
    }

    /** {@code connection} took over {@code stream}: a later successor of it finds that stream under its id. */
    void rebind(long id, Connection connection, ReceiveStream stream) {
        live.replace(id, new Entry(connection, stream));
    }

    /** The connection ended. */
    void remove(long id, Connection connection) {
        live.computeIfPresent(id, (k, e) -> e.connection() == connection ? null : e);
    }
}
