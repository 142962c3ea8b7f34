package dev.tether.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The real group behind a {@link dev.tether.PeerGroup}: its own copy-on-write array of peers, so a group
 * broadcast is the same one pass over an array as a node's, with nothing evaluated per peer per frame. The
 * built-in groups (every outbound, every inbound peer) follow the peers by themselves; a peer leaves every
 * group when it begins to close.
 */
public final class GroupCore {
    private final String name;
    private final boolean builtIn;
    private final ReentrantLock lock = new ReentrantLock(); // writers only
    private volatile PeerCore[] members = new PeerCore[0];

    GroupCore(String name, boolean builtIn) {
        this.name = name;
        this.builtIn = builtIn;
    }

    public String name() {
        return name;
    }

    public boolean builtIn() {
        return builtIn;
    }

    /** Adds a peer; false if it is a member already, or closing. */
    public boolean add(PeerCore peer) {
        lock.lock();
        try {
            if (peer.unlisted() || Arrays.asList(members).contains(peer)) {
                return false;
            }
            PeerCore[] next = Arrays.copyOf(members, members.length + 1);
            next[next.length - 1] = peer;
            members = next;
            peer.joined(this);
        } finally {
            lock.unlock();
        }
        if (peer.unlisted()) { // it began to close as we added it: it must not stay
            remove(peer);
            return false;
        }
        return true;
    }

    /** Removes a peer; false if it was not a member. */
    public boolean remove(PeerCore peer) {
        lock.lock();
        try {
            PeerCore[] current = members;
            int at = Arrays.asList(current).indexOf(peer);
            if (at < 0) {
                return false;
            }
            PeerCore[] next = new PeerCore[current.length - 1];
            System.arraycopy(current, 0, next, 0, at);
            System.arraycopy(current, at + 1, next, at, current.length - at - 1);
            members = next;
            peer.left(this);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The members, for a broadcast: read without a lock. */
    public PeerCore[] members() {
        return members;
    }

    public List<PeerCore> peers() {
        return new ArrayList<>(Arrays.asList(members));
    }
}
