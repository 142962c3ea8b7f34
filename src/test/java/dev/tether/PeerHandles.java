package dev.tether;

import dev.tether.internal.NodeCore;
import dev.tether.internal.PeerCore;

/** For tests of the internals that build peers by hand: the public handle of a peer, as {@link Node} makes it. */
public final class PeerHandles {
    private PeerHandles() {
    }

    public static Peer of(PeerCore core, NodeCore node) {
        return new Peer(core, node);
    }
}
