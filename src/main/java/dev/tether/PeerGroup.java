package dev.tether;

import dev.tether.internal.GroupCore;
import dev.tether.internal.NodeCore;
import dev.tether.internal.PeerCore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A named set of peers with its own broadcast: the same guarantees and the same cost as
 * {@link Node#broadcast(byte[])} (encoded once, the same frame appended to every member's backlog in one
 * pass, never blocking, full peers skipped and counted), to the members only. A node has two built-in groups,
 * {@link Node#outbound()} and {@link Node#inbound()}, which follow the peers by themselves, and as many of the
 * application's own as it makes with {@link Node#group(String)}. A peer leaves every group when it closes.
 * Thread-safe.
 */
public final class PeerGroup {
    private final GroupCore core;
    private final NodeCore node;

    PeerGroup(GroupCore core, NodeCore node) {
        this.core = core;
        this.node = node;
    }

    /**
     * The group's name: {@code "outbound"} and {@code "inbound"} for the built-in ones.
     *
     * @return the name
     */
    public String name() {
        return core.name();
    }

    /**
     * Adds a peer of this node.
     *
     * @param peer the peer
     * @return true if added, false if it was a member already or is closed
     * @throws UnsupportedOperationException for a built-in group, whose members are the peers of its direction
     * @throws IllegalArgumentException if the peer belongs to another node
     */
    public boolean add(Peer peer) {
        return core.add(member(peer));
    }

    /**
     * Removes a peer.
     *
     * @param peer the peer
     * @return true if it was a member
     * @throws UnsupportedOperationException for a built-in group
     */
    public boolean remove(Peer peer) {
        return core.remove(member(peer));
    }

    /**
     * The members now.
     *
     * @return a snapshot list
     */
    public List<Peer> peers() {
        return core.peers().stream().map(PeerCore::handle).toList();
    }

    /**
     * How many members the group has now.
     *
     * @return the count
     */
    public int size() {
        return core.members().length;
    }

    /**
     * {@link Node#broadcast(byte[])} to the members only.
     *
     * @param payload the bytes to send; copied once
     * @return the number of members the frame was queued for
     */
    public int broadcast(byte[] payload) {
        return node.broadcast(core.members(), node.payload(payload));
    }

    /**
     * {@link Node#broadcast(ByteBuffer)} to the members only.
     *
     * @param payload the remaining bytes; position untouched
     * @return the number of members the frame was queued for
     */
    public int broadcast(ByteBuffer payload) {
        return node.broadcast(core.members(), node.payload(payload));
    }

    /**
     * {@link Node#broadcast(byte[], Duration)} to the members only.
     *
     * @param payload the bytes to send
     * @param maxWait the most time to spend waiting, over all full members together
     * @return the number of members the frame was queued for
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public int broadcast(byte[] payload, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return node.broadcast(core.members(), node.payload(payload), maxWait);
    }

    /**
     * {@link Node#broadcastBatch(List)} to the members only.
     *
     * @param payloads the payloads, in order
     * @return the number of members that queued the batch
     */
    public int broadcastBatch(List<byte[]> payloads) {
        return node.broadcast(core.members(), node.batch(payloads));
    }

    private PeerCore member(Peer peer) {
        Objects.requireNonNull(peer, "peer");
        if (core.builtIn()) {
            throw new UnsupportedOperationException("the " + core.name() + " group follows the peers' direction: "
                    + "make a group of your own with Node.group(name) to choose its members");
        }
        PeerCore p = node.coreOf(peer);
        if (p == null) {
            throw new IllegalArgumentException(peer + " is not a peer of this node");
        }
        return p;
    }

    @Override
    public String toString() {
        return "PeerGroup[" + core.name() + ", " + size() + " peers]";
    }
}
