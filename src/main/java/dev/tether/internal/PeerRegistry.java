package dev.tether.internal;

import dev.tether.Counters;
import dev.tether.NodeStats;
import dev.tether.PeerState;
import dev.tether.PeerStats;
import dev.tether.UnknownPeerException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The peers of one node: by id for sends, as a copy-on-write array for broadcasts (read without a lock),
 * and the counter totals of the peers already closed. A peer is found by id from when it is added until it
 * begins to close ({@link #unlist}); it stays in the array, refusing frames, until its threads are done
 * ({@link #retire}), when its counters move to the totals.
 */
final class PeerRegistry {
    private final ReentrantLock lock = new ReentrantLock(); // writers only: the array and the totals
    private final AtomicLong lastId = new AtomicLong();
    private final ConcurrentHashMap<Long, PeerCore> byId = new ConcurrentHashMap<>();
    private volatile PeerCore[] members = new PeerCore[0];
    private volatile Totals totals = new Totals(Counters.ZERO, 0);
    private boolean closingAll; // guarded by lock: the node is closing every peer, the array is dropped once at the end
    private final GroupCore outbound = new GroupCore("outbound", true);
    private final GroupCore inbound = new GroupCore("inbound", true);
    private final ConcurrentHashMap<String, GroupCore> groups = new ConcurrentHashMap<>();

    /** Counters of retired peers, and how many were folded in: a peer retired in generation g is in every total from g on. */
    private record Totals(Counters counters, long generation) { }

    long nextId() {
        return lastId.incrementAndGet();
    }

    /** Adds a peer; the caller holds the node's state lock while the node runs. */
    void add(PeerCore peer) {
        lock.lock();
        try {
            byId.put(peer.id(), peer);
            PeerCore[] next = Arrays.copyOf(members, members.length + 1);
            next[next.length - 1] = peer;
            members = next;
        } finally {
            lock.unlock();
        }
        (peer.direction() == dev.tether.Direction.OUTBOUND ? outbound : inbound).add(peer);
    }

    /** The peer begins to close: its id is unknown from now on, and it is in no group. */
    void unlist(PeerCore peer) {
        byId.remove(peer.id(), peer);
        peer.unlist();
    }

    GroupCore outbound() {
        return outbound;
    }

    GroupCore inbound() {
        return inbound;
    }

    /** The application's group of this name, made on first use. */
    GroupCore group(String name) {
        return groups.computeIfAbsent(name, n -> new GroupCore(n, false));
    }

    /** The peer is CLOSED: its counters go to the totals, and it leaves the array. */
    void retire(PeerCore peer) {
        PeerStats last = peer.stats();
        Counters c = last.counters();
        Counters closed = new Counters(0, 0, 0, c.framesWritten(), c.bytesWritten(), c.framesUnconfirmed(),
                c.framesAcknowledged(), c.framesReceived(), c.bytesReceived(), c.framesMissed(), c.dropped(), c.reconnects());
        lock.lock();
        try {
            Totals t = totals;
            long generation = t.generation() + 1;
            peer.retiredInGeneration = generation; // before the totals are published: see stats()
            totals = new Totals(t.counters().plus(closed), generation);
            if (!closingAll) {
                PeerCore[] current = members;
                PeerCore[] next = new PeerCore[Math.max(0, current.length - 1)];
                int j = 0;
                for (PeerCore p : current) {
                    if (p != peer && j < next.length) {
                        next[j++] = p;
                    }
                }
                members = j == next.length ? next : Arrays.copyOf(next, j);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The node closes every peer: stop rebuilding the array per peer. */
    void closingAll() {
        lock.lock();
        try {
            closingAll = true;
        } finally {
            lock.unlock();
        }
    }

    /** Every peer is closed: the array empties. */
    void cleared() {
        lock.lock();
        try {
            members = new PeerCore[0];
        } finally {
            lock.unlock();
        }
    }

    /** The peer with this id; throws {@link UnknownPeerException} if there is none (never created, or closed). */
    PeerCore get(long id) {
        PeerCore peer = byId.get(id);
        if (peer == null) {
            throw new UnknownPeerException(id);
        }
        return peer;
    }

    /** The peer with this id, or null. */
    PeerCore find(long id) {
        return byId.get(id);
    }

    /** Every peer a broadcast reaches (closing ones refuse, cheaply). Read without a lock. */
    PeerCore[] members() {
        return members;
    }

    /** The peers that are not closing. */
    List<PeerCore> live() {
        List<PeerCore> live = new ArrayList<>();
        for (PeerCore p : members) {
            if (p.state() != PeerState.CLOSED) {
                live.add(p);
            }
        }
        return live;
    }

    /**
     * Every peer's counters summed, and the live peers by state, without any lock but each backlog's. Each
     * peer counts once: in the totals read here, or read live (a peer retired after the totals were read has
     * its final counters either way).
     */
    NodeStats stats(long handlerErrors, long inboundRefused) {
        PeerCore[] peers = members; // first: a peer leaves the array only after its counters are in the totals
        Totals t = totals;
        Counters sum = t.counters();
        Map<PeerState, Integer> byState = new EnumMap<>(PeerState.class);
        for (PeerState s : PeerState.values()) {
            byState.put(s, 0);
        }
        for (PeerCore peer : peers) {
            long g = peer.retiredInGeneration;
            if (g != 0 && g <= t.generation()) {
                continue;
            }
            PeerStats s = peer.stats();
            if (s.state() != PeerState.CLOSED) {
                byState.merge(s.state(), 1, Integer::sum);
            }
            sum = sum.plus(s.counters());
        }
        return new NodeStats(byState, sum, handlerErrors, inboundRefused);
    }
}
