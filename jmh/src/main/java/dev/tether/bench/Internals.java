package dev.tether.bench;

import dev.tether.Peer;
import dev.tether.internal.Backlog;
import dev.tether.internal.PeerCore;
import java.lang.reflect.Field;

/**
 * The one place the benchmarks reach into tether's internals (on the class path the library's module
 * boundary does not apply). Only {@link BroadcastCallBenchmark} uses it, to empty backlogs between calls
 * without closing peers: the public API has no "clear", and without one a benchmark that calls
 * broadcast millions of times either fills the backlogs (and then measures the full-backlog path) or holds
 * gigabytes of frames (and then measures the garbage collector).
 */
final class Internals {
    private static final Field CORE;

    static {
        try {
            CORE = Peer.class.getDeclaredField("core");
            CORE.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("tether's Peer no longer has a 'core' field; update Internals: " + e);
        }
    }

    private Internals() {
    }

    static Backlog backlog(Peer peer) {
        try {
            return ((PeerCore) CORE.get(peer)).backlog();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Empties a backlog and leaves it open: what {@code DROP_BACKLOG} does when a peer goes down, undone at
     * once. Safe under a running writer: the backlog's epoch changes, so the writer's batch in flight is
     * written whole and not removed twice.
     */
    static void clear(Backlog backlog) {
        backlog.dropWhileDown();
        backlog.open();
    }
}
