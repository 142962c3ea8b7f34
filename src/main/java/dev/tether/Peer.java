package dev.tether;

import dev.tether.internal.Internals;
import dev.tether.internal.NodeCore;
import dev.tether.internal.PeerCore;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A handle on one peer: an outbound connection kept up by a supervisor, or an inbound connection accepted
 * by a listener. Handles come from the {@link Node}; they stay valid after the peer closes (sends then
 * return {@link SendResult#PEER_CLOSED}). Thread-safe.
 */
public final class Peer {
    static {
        Internals.peerAccess(peer -> peer.core);
    }

    private final PeerCore core;
    private final NodeCore node;

    Peer(PeerCore core, NodeCore node) {
        this.core = core;
        this.node = node;
    }

    /**
     * The id, unique within its node; for {@link Node#send(long, byte[])}.
     *
     * @return the id
     */
    public long id() {
        return core.id();
    }

    /**
     * Outbound or inbound.
     *
     * @return who opened the connection
     */
    public Direction direction() {
        return core.direction();
    }

    /**
     * The address connected to (outbound) or accepted from (inbound).
     *
     * @return the address
     */
    public InetSocketAddress remoteAddress() {
        return core.address();
    }

    /**
     * For an inbound peer, the address of the listener that accepted it.
     *
     * @return the listener's address, or empty for an outbound peer
     */
    public Optional<InetSocketAddress> listenAddress() {
        return core.listenAddress();
    }

    /**
     * The current state.
     *
     * @return the state
     */
    public PeerState state() {
        return core.state();
    }

    /**
     * Waits until this peer is connected: TCP (and TLS) up and, in acknowledged mode, the handshake done, so
     * start-up code need not poll {@link #state()}.
     *
     * @param timeout the most time to wait
     * @return true once connected, false if the timeout passed first
     * @throws IllegalStateException if the peer is closed (or closes while waiting): it will never connect
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return core.awaitConnected(timeout);
    }

    /**
     * The hello this peer sent on its current connection (its {@link NodeConfig.Builder#hello(byte[])}), as
     * far as tether can tell it from the stream: always in acknowledged mode; in plain mode when the peer is a
     * tether node (a peer that is not one sends no hello tether can recognise). It is also delivered to the
     * message handler as the connection's first frame; in acknowledged mode the connection's
     * {@link Event.Connected}, {@link Event.Reconnected} or {@link Event.Accepted} event carries it too.
     *
     * @return a copy of the hello, empty if none came on this connection (yet)
     */
    public byte[] hello() {
        return core.hello();
    }

    /**
     * Attaches the application's own value to this peer, for example a subscriber name parsed from its
     * hello, to read back in handlers and listeners. Thread-safe.
     *
     * @param value the value, or null to remove it
     * @return the value attached before, or null
     */
    public Object attach(Object value) {
        return core.attach(value);
    }

    /**
     * The value {@link #attach(Object)} attached.
     *
     * @return the value, or null if none
     */
    public Object attachment() {
        return core.attachment();
    }

    /**
     * Frames queued (not yet written; in acknowledged mode, not yet acknowledged).
     *
     * @return the count
     */
    public long queuedFrames() {
        return core.queuedFrames();
    }

    /**
     * A snapshot of this peer's counters.
     *
     * @return the snapshot
     */
    public PeerStats stats() {
        return core.stats();
    }

    /**
     * Queues {@code payload} for this peer without waiting. The bytes are copied: the array may be reused
     * when this returns.
     *
     * @param payload the bytes to send
     * @return {@link SendResult#ACCEPTED}, or why not
     * @throws IllegalArgumentException if the payload is empty or longer than {@link NodeConfig#maxFrameSize()}
     * @throws IllegalStateException if the node is closed
     */
    public SendResult send(byte[] payload) {
        return node.send(core, node.payload(payload));
    }

    /**
     * Queues the remaining bytes of {@code payload} without waiting. The bytes are copied and the buffer's
     * position is not moved: it may be reused when this returns.
     *
     * @param payload the bytes to send
     * @return {@link SendResult#ACCEPTED}, or why not
     */
    public SendResult send(ByteBuffer payload) {
        return node.send(core, node.payload(payload));
    }

    /**
     * Queues {@code payload}, waiting up to {@code maxWait} for room if the backlog is at its bound.
     *
     * @param payload the bytes to send
     * @param maxWait the most time to wait for room
     * @return {@link SendResult#ACCEPTED}, or {@link SendResult#PEER_CLOSED} / {@link SendResult#DROPPED_DISCONNECTED}
     * @throws BacklogFullException if there is still no room after {@code maxWait} (counted as dropped)
     * @throws IllegalStateException if the node closes meanwhile
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public SendResult send(byte[] payload, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return node.send(core, node.payload(payload), maxWait);
    }

    /**
     * The {@link ByteBuffer} form of {@link #send(byte[], Duration)}.
     *
     * @param payload the bytes to send (remaining bytes; position untouched)
     * @param maxWait the most time to wait for room
     * @return {@link SendResult#ACCEPTED}, or {@link SendResult#PEER_CLOSED} / {@link SendResult#DROPPED_DISCONNECTED}
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public SendResult send(ByteBuffer payload, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return node.send(core, node.payload(payload), maxWait);
    }

    /**
     * Queues many payloads in one call, without waiting: encoded once into one record (one timestamp, one
     * queue slot), each payload still its own frame on the wire, counted against the bounds and numbered on its
     * own. The backlog takes the whole batch or none of it.
     *
     * @param payloads the payloads, in order; copied, so the arrays may be reused when this returns
     * @return {@link SendResult#ACCEPTED}, or why not
     * @throws IllegalArgumentException if the list is empty, a payload is empty or too long, or the batch is
     *     larger than the backlog's whole bound
     * @throws IllegalStateException if the node is closed
     */
    public SendResult sendBatch(List<byte[]> payloads) {
        return node.send(core, node.batch(payloads));
    }

    /**
     * {@link #sendBatch(List)}, waiting up to {@code maxWait} for room, as {@link #send(byte[], Duration)}.
     *
     * @param payloads the payloads, in order
     * @param maxWait the most time to wait for room
     * @return {@link SendResult#ACCEPTED}, or {@link SendResult#PEER_CLOSED} / {@link SendResult#DROPPED_DISCONNECTED}
     * @throws BacklogFullException if there is still no room after {@code maxWait} (counted as dropped)
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public SendResult sendBatch(List<byte[]> payloads, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return node.send(core, node.batch(payloads), maxWait);
    }

    /**
     * Waits until this peer's backlog is empty (every frame written; in acknowledged mode, acknowledged).
     *
     * @param timeout the most time to wait
     * @return true if it emptied, false on timeout or if the peer closed first
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public boolean awaitFlushed(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return core.awaitFlushed(timeout);
    }

    /**
     * Closes this peer for good: an outbound peer stops reconnecting, the connection is closed at once,
     * and queued frames are dropped (counted as {@link DropReason#CLOSED}). Its id becomes unknown.
     */
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return core.toString();
    }
}
