package dev.tether.internal;

import dev.tether.Node;
import dev.tether.Peer;
import java.util.function.Function;

/**
 * The one supported way for tether's own tests and benchmarks to look inside a node: not exported by the
 * module, not part of the API, and nothing else in tether calls it. {@link Node} and {@link Peer} hand over
 * the way to their internals once, when their classes initialise.
 */
public final class Internals {
    private static volatile Function<Node, NodeCore> nodes;
    private static volatile Function<Peer, PeerCore> peers;

    private Internals() {
    }

    /** Called once by {@link Node}'s static initialiser. */
    public static void nodeAccess(Function<Node, NodeCore> access) {
        if (nodes == null) {
            nodes = access;
        }
    }

    /** Called once by {@link Peer}'s static initialiser. */
    public static void peerAccess(Function<Peer, PeerCore> access) {
        if (peers == null) {
            peers = access;
        }
    }

    /** The frames queued for a peer and not taken by its writer, oldest first: the very objects, for identity checks. */
    public static Frame[] queuedFrames(Peer peer) {
        return peers.apply(peer).backlog().records();
    }

    /** Empties a peer's backlog and leaves it open, as if it went down under DROP_BACKLOG and came back at once. */
    public static void clearBacklog(Peer peer) {
        Backlog b = peers.apply(peer).backlog();
        b.dropWhileDown();
        b.open();
    }

    /** Whether some record queued for (or held by the writer of) a peer is in slab memory. */
    public static boolean holdsSlabMemory(Peer peer) {
        return peers.apply(peer).backlog().holdsSlabMemory();
    }

    /** Slabs of a node that a call or a backlog refers to (exact while nothing is sent or written); -1 without slabs (TLS). */
    public static int slabsInUse(Node node) {
        Slabs s = nodes.apply(node).context().slabs();
        return s == null ? -1 : s.inUse();
    }

    /**
     * Whether a peer's connection has met its end: a failure is recorded, or its writer met one and waits for
     * the reader to name the reason (while the reader is still busy, as in a message handler).
     */
    public static boolean writerWaitsOrEnded(Peer peer) {
        Connection c = peers.apply(peer).lifecycle().connection();
        return c != null && (c.writerAwaitsReader() || c.failure() != null);
    }

    /** Bytes of a node's inbound memory budget its readers hold now. */
    public static long inboundBudgetInUse(Node node) {
        return nodes.apply(node).context().budget().inUse();
    }

    /** Slabs a node has allocated: never more than its pool's bound. */
    public static int slabsAllocated(Node node) {
        Slabs s = nodes.apply(node).context().slabs();
        return s == null ? -1 : s.allocated();
    }

    /** Threads of this node still running. */
    public static int liveThreads(Node node) {
        return nodes.apply(node).liveThreads();
    }

    /** The threads of this node still running, with their states: for a failure message. */
    public static String describeLiveThreads(Node node) {
        return nodes.apply(node).describeLiveThreads();
    }

    /** Tether threads alive in this JVM, over all nodes. */
    public static int liveThreadsInJvm() {
        return TetherThreads.liveInJvm();
    }

    /** Exceptions that escaped a tether thread in this JVM (a bug if ever non-zero). */
    public static long uncaughtInJvm() {
        return TetherThreads.uncaughtInJvm();
    }
}
