package dev.tether;

import dev.tether.internal.Internals;
import dev.tether.internal.NodeCore;
import dev.tether.internal.PeerCore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A tether node: outbound peers it keeps connected, listeners that accept inbound peers, and sends to one
 * peer or to all of them.
 *
 * <pre>{@code
 * try (Node node = NodeConfig.builder()
 *         .onMessage((peer, payload, sentAt) -> System.out.println(peer + " sent " + payload.remaining() + " bytes"))
 *         .start()) {
 *     node.listen(new InetSocketAddress("0.0.0.0", 7000));
 *     Peer upstream = node.connect(new InetSocketAddress("10.0.0.5", 7000));
 *     upstream.send("hello".getBytes(StandardCharsets.UTF_8));   // queued even before the connect completes
 *     node.broadcast(price.encode());                             // one encoding, every peer's backlog
 * }
 * }</pre>
 *
 * <p>Every peer has a bounded backlog and one writer thread. Sends never touch a socket: they append to
 * backlogs and return. What an outbound peer's backlog holds survives a disconnect and is written after the
 * reconnect, in order, each frame exactly once (see docs/architecture.md for the precise guarantee).
 *
 * <p>Thread-safe. {@link #close()} flushes for up to {@link NodeConfig#drainTimeout()}, then closes every
 * socket and ends every thread the node started.
 */
public final class Node implements AutoCloseable {
    static {
        Internals.nodeAccess(node -> node.core);
    }

    private final NodeCore core;

    private Node(NodeConfig config) {
        this.core = NodeCore.create(config, Peer::new);
    }

    /**
     * Starts a node: no peers and no listeners yet.
     *
     * @param config the configuration, from {@link NodeConfig#builder()}
     * @return the running node; close it when done
     */
    public static Node start(NodeConfig config) {
        return new Node(Objects.requireNonNull(config, "config"));
    }

    /**
     * The configuration this node runs with.
     *
     * @return the configuration
     */
    public NodeConfig config() {
        return core.config();
    }

    /**
     * A random id fixed for this node's life; acknowledged mode tells it to peers to resume streams.
     *
     * @return the session id
     */
    public long sessionId() {
        return core.sessionId();
    }

    /**
     * Adds an outbound peer and returns at once; a supervisor connects in the background and reconnects
     * with backoff whenever the connection drops. Frames sent before the first connect are queued. A host
     * name is resolved again on every attempt.
     *
     * @param address where to connect; an unresolved address keeps its host name for TLS checks and re-resolution
     * @return the new peer
     * @throws IllegalStateException if the node is closed
     */
    public Peer connect(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        return core.connect(address).handle();
    }

    /**
     * {@link #connect(InetSocketAddress)} to {@code host:port}.
     *
     * @param host a host name or address
     * @param port the port, 1 to 65535
     * @return the new peer
     */
    public Peer connect(String host, int port) {
        return connect(InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), checkPort(port)));
    }

    /**
     * Binds a listener and accepts connections in the background; each becomes an inbound peer, included
     * in broadcasts, never reconnected. Port 0 picks a free port.
     *
     * @param address the local address to bind
     * @return the address actually bound
     * @throws java.net.BindException if the address cannot be bound (in use, not local), naming it
     * @throws IllegalStateException if the node is closed, or uses TLS and its {@link javax.net.ssl.SSLContext}
     *     has no private key and certificate to present (a context built from a trust store only)
     */
    public InetSocketAddress listen(InetSocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        return core.listen(address);
    }

    /**
     * Stops accepting on one listener. Connections it already accepted stay up; close their peers to end
     * them. The port can be listened on again at once.
     *
     * @param boundAddress an address {@link #listen} returned
     * @return true if a listener was on that address and is now closed
     */
    public boolean stopListening(InetSocketAddress boundAddress) {
        Objects.requireNonNull(boundAddress, "boundAddress");
        return core.stopListening(boundAddress);
    }

    /**
     * The peer with this id, if the node still has it.
     *
     * @param id a peer id
     * @return the peer, or empty if it was never created here or is closed
     */
    public Optional<Peer> peer(long id) {
        return Optional.ofNullable(core.findPeer(id)).map(PeerCore::handle);
    }

    /**
     * Every live peer, outbound and inbound.
     *
     * @return a snapshot list
     */
    public List<Peer> peers() {
        return core.peers().stream().map(PeerCore::handle).toList();
    }

    /**
     * Queues {@code payload} for the peer with this id, without waiting.
     *
     * @param peerId the peer's {@link Peer#id()}
     * @param payload the bytes to send; copied, so the array may be reused at once
     * @return {@link SendResult#ACCEPTED}, or why not
     * @throws UnknownPeerException if the node has no peer with this id (never created, or closed)
     * @throws IllegalArgumentException if the payload is empty or longer than {@link NodeConfig#maxFrameSize()}
     * @throws IllegalStateException if the node is closed
     */
    public SendResult send(long peerId, byte[] payload) {
        core.ensureRunning("send");
        return core.send(core.peer(peerId), core.payload(payload));
    }

    /**
     * The {@link ByteBuffer} form of {@link #send(long, byte[])}: remaining bytes, position untouched.
     *
     * @param peerId the peer's {@link Peer#id()}
     * @param payload the bytes to send; copied, so the buffer may be reused at once
     * @return {@link SendResult#ACCEPTED}, or why not
     */
    public SendResult send(long peerId, ByteBuffer payload) {
        core.ensureRunning("send");
        return core.send(core.peer(peerId), core.payload(payload));
    }

    /**
     * Encodes {@code payload} once and appends that one frame to the backlog of every live peer (connected,
     * connecting, or outbound and disconnected) in a single pass. Never blocks and never writes to a socket:
     * a peer at its bound is skipped and the skip counted, so one slow or dead peer never stalls the others.
     *
     * @param payload the bytes to send; copied once, so the array may be reused at once
     * @return the number of peers the frame was queued for
     * @throws IllegalArgumentException if the payload is empty or longer than {@link NodeConfig#maxFrameSize()}
     * @throws IllegalStateException if the node is closed
     */
    public int broadcast(byte[] payload) {
        return core.broadcast(core.payload(payload));
    }

    /**
     * The {@link ByteBuffer} form of {@link #broadcast(byte[])}: remaining bytes, position untouched.
     *
     * @param payload the bytes to send; copied once
     * @return the number of peers the frame was queued for
     */
    public int broadcast(ByteBuffer payload) {
        return core.broadcast(core.payload(payload));
    }

    /**
     * Like {@link #broadcast(byte[])}, but peers at their bound are waited for, up to {@code maxWait} in all,
     * after every other peer has the frame. Peers still full then are skipped and counted.
     *
     * @param payload the bytes to send; copied once
     * @param maxWait the most time to spend waiting, over all full peers together
     * @return the number of peers the frame was queued for
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public int broadcast(byte[] payload, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return core.broadcast(core.payload(payload), maxWait);
    }

    /**
     * Broadcasts many payloads in one call: they are encoded once, together, into one record with one
     * timestamp, and that record is appended to every peer's backlog in one pass, one lock acquisition and one
     * queue slot per peer. Each payload is still its own frame on the wire, counted as a frame against the
     * bounds and (acknowledged mode) numbered on its own. A peer takes the whole batch or, at its bound, none
     * of it (each frame counted as dropped). Never blocks, as {@link #broadcast(byte[])}.
     *
     * @param payloads the payloads, in order; each copied, so the arrays may be reused when this returns
     * @return the number of peers that queued the batch
     * @throws IllegalArgumentException if the list is empty, a payload is empty or longer than
     *     {@link NodeConfig#maxFrameSize()}, or the batch is larger than a whole backlog's bound
     * @throws IllegalStateException if the node is closed
     */
    public int broadcastBatch(List<byte[]> payloads) {
        return core.broadcast(core.batch(payloads));
    }

    /**
     * {@link #broadcastBatch(List)}, waiting up to {@code maxWait} in all for room at peers at their bound, as
     * {@link #broadcast(byte[], Duration)} does.
     *
     * @param payloads the payloads, in order
     * @param maxWait the most time to spend waiting, over all full peers together
     * @return the number of peers that queued the batch
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    public int broadcastBatch(List<byte[]> payloads, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        return core.broadcast(core.batch(payloads), maxWait);
    }

    /**
     * Every outbound peer (those {@link #connect} made), as a group with its own broadcast. A node that both
     * publishes to peers it connects to and accepts replies broadcasts with this, so nothing goes back down
     * the reply links.
     *
     * @return the built-in group; it follows the peers by itself
     */
    public PeerGroup outbound() {
        return new PeerGroup(core.outbound(), core);
    }

    /**
     * Every inbound peer (accepted by a listener), as a group with its own broadcast.
     *
     * @return the built-in group; it follows the peers by itself
     */
    public PeerGroup inbound() {
        return new PeerGroup(core.inbound(), core);
    }

    /**
     * The application's group of this name, made empty on first use; add peers to it with
     * {@link PeerGroup#add(Peer)}. A peer leaves it when it closes.
     *
     * @param name the group's name, not blank, not {@code "outbound"} or {@code "inbound"}
     * @return the group
     */
    public PeerGroup group(String name) {
        return new PeerGroup(core.group(name), core);
    }

    /**
     * A snapshot of every peer's counters, summed. Cheap: locks each backlog briefly, one at a time.
     *
     * @return the snapshot
     */
    public NodeStats stats() {
        return core.stats();
    }

    /**
     * Whether closing has begun.
     *
     * @return true once {@link #close()} has been called
     */
    public boolean isClosed() {
        return core.isClosed();
    }

    /** Closes with the configured {@link NodeConfig#drainTimeout()}. */
    @Override
    public void close() {
        core.close(core.config().drainTimeout());
    }

    /**
     * Stops listening and rejects new sends at once, then waits up to {@code drainTimeout} for every
     * backlog to be written (in acknowledged mode, acknowledged) and each peer to see end-of-stream; then
     * closes every socket, drops what is left (counted as {@link DropReason#CLOSED}) and waits for every
     * thread the node started. Idempotent.
     *
     * @param drainTimeout the most time to spend flushing before sockets are closed; zero closes at once
     */
    public void close(Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        core.close(drainTimeout);
    }

    /** Closes without flushing: {@code close(Duration.ZERO)}. */
    public void closeNow() {
        core.close(Duration.ZERO);
    }

    private static int checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
        }
        return port;
    }

    @Override
    public String toString() {
        return "Node[" + core.config().name() + ", " + core.peers().size() + " peers]";
    }
}
