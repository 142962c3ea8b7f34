package dev.tether.internal;

import dev.tether.BacklogFullException;
import dev.tether.Counters;
import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.DropReason;
import dev.tether.Peer;
import dev.tether.PeerFailure;
import dev.tether.PeerState;
import dev.tether.PeerStats;
import dev.tether.SendResult;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real peer behind a {@link Peer} handle: who it is, its backlog, its lifecycle, and the sends that
 * enter its backlog. Its connections are made and lost by its {@link Supervisor}; its states and events are
 * the {@link PeerLifecycle}'s.
 */
public final class PeerCore {

    /** What the listener behind an outbound plain peer has shown itself to be. */
    enum ReceiverKind {
        /** Nothing yet: the first connection waits a short while for an ACCEPT. */
        UNKNOWN,
        /** A tether node: it accepts every connection with ACCEPT, and every connection waits for it. */
        TETHER,
        /** Not a tether node (it never answered): what is written counts when the kernel takes it. */
        OTHER
    }

    private final long id;
    private final Direction direction;
    private final InetSocketAddress address;
    private final InetSocketAddress listenAddress; // inbound only
    private final NodeContext context;
    private final Backlog backlog;
    private final PeerLifecycle lifecycle;
    private final DropReporter drops;
    private final Peer handle;

    // ---- written by the supervisor thread (which also runs the reader), read by anyone ----
    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong framesMissed = new AtomicLong();
    private volatile ByteBuffer hello;          // what the peer sent as its hello on the current connection, read-only
    private final java.util.concurrent.atomic.AtomicReference<Object> attachment = new java.util.concurrent.atomic.AtomicReference<>(); // the application's own value
    private volatile ReceiverKind receiverKind = ReceiverKind.UNKNOWN;
    private volatile long lastAcceptId;         // the id the listener gave our last accepted connection
    volatile long retiredInGeneration;          // set once its counters are in the registry's totals (see PeerRegistry)
    private volatile boolean unlisted;          // began to close: no longer found by id, in no group
    private final java.util.Set<GroupCore> groups = java.util.concurrent.ConcurrentHashMap.newKeySet();

    PeerCore(long id, Direction direction, InetSocketAddress address, InetSocketAddress listenAddress,
             NodeContext context, PeerRegistry registry, java.util.function.Function<PeerCore, Peer> handles) {
        this.id = id;
        this.direction = direction;
        this.address = address;
        this.listenAddress = listenAddress;
        this.context = context;
        this.backlog = new Backlog(context.config().backlogLimits(), context.acknowledged(),
                context.config().maxAge().map(Duration::toNanos).orElse(0L),
                context.config().overflowPolicy() == dev.tether.OverflowPolicy.DROP_OLDEST, context.config().highWaterMark());
        this.lifecycle = new PeerLifecycle(this, context, registry,
                direction == Direction.OUTBOUND ? PeerLifecycle.State.CONNECTING : PeerLifecycle.State.HANDSHAKING);
        this.drops = new DropReporter(this, context.events(), context.config().dropReportInterval().toNanos());
        this.handle = handles.apply(this);
    }

    // ------------------------------------------------------------------ identity

    public long id() {
        return id;
    }

    public Direction direction() {
        return direction;
    }

    public InetSocketAddress address() {
        return address;
    }

    public Optional<InetSocketAddress> listenAddress() {
        return Optional.ofNullable(listenAddress);
    }

    public PeerState state() {
        return lifecycle.state().visible();
    }

    public Peer handle() {
        return handle;
    }

    Backlog backlog() {
        return backlog;
    }

    PeerLifecycle lifecycle() {
        return lifecycle;
    }

    DropReporter drops() {
        return drops;
    }

    NodeContext context() {
        return context;
    }

    // ------------------------------------------------------------------ sending

    /** Queues without waiting; a node that is closing is a caller's mistake and throws. */
    SendResult send(LazyFrame frame) {
        return answer(backlog.offer(frame, true));
    }

    /** Queues, waiting up to {@code maxWait} for room; throws {@link BacklogFullException} if none came. */
    SendResult send(LazyFrame frame, Duration maxWait) throws InterruptedException {
        SendResult result = answer(backlog.offer(frame, maxWait.toNanos()));
        if (result == SendResult.BACKLOG_FULL) {
            Backlog.Snapshot c = backlog.snapshot();
            throw new BacklogFullException(this + ": backlog still full after " + maxWait + " (" + c.queuedFrames()
                    + " frames, " + c.queuedBytes() + " bytes queued; limits " + context.config().backlogLimits()
                    + "): the peer reads slower than you send. Wait longer, slow down, or raise NodeConfig.backlogLimits");
        }
        return result;
    }

    /** Turns an offer into the caller's answer, reporting drops when due. */
    SendResult answer(Backlog.Offer offer) {
        return switch (offer) {
            case ACCEPTED -> SendResult.ACCEPTED;
            case FULL -> {
                drops.reportIfDue();
                yield SendResult.BACKLOG_FULL;
            }
            case DROPPED_DISCONNECTED -> {
                drops.reportIfDue();
                yield SendResult.DROPPED_DISCONNECTED;
            }
            case PACED -> throw new IllegalStateException("a paced offer is answered by waiting, not to the caller");
            case PEER_CLOSED -> SendResult.PEER_CLOSED;
            case NODE_CLOSED -> throw NodeCore.closedError(context.config().name(), "send");
        };
    }

    // ------------------------------------------------------------------ what the loops tell the peer

    void received(int frames, long bytes) {
        framesReceived.addAndGet(frames);
        bytesReceived.addAndGet(bytes);
    }

    /** Acknowledged mode: the sender no longer had {@code frames} frames of our stream from it (a gap). */
    void missed(long frames) {
        framesMissed.addAndGet(frames);
    }

    /** The peer's hello on the current connection arrived (a read-only copy). */
    void helloReceived(ByteBuffer payload) {
        hello = payload;
    }

    /** The hello of the current connection, as a new array; empty if none (yet). */
    byte[] helloBytes() {
        ByteBuffer h = hello;
        if (h == null) {
            return new byte[0];
        }
        byte[] b = new byte[h.remaining()];
        h.duplicate().get(b);
        return b;
    }

    /** A new connection begins: the old one's hello no longer stands for it. */
    void forgetHello() {
        hello = null;
    }

    public byte[] hello() {
        return helloBytes();
    }

    public Object attach(Object value) {
        return attachment.getAndSet(value);
    }

    public Object attachment() {
        return attachment.get();
    }

    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        return lifecycle.awaitConnected(System.nanoTime() + timeout.toNanos());
    }

    /** Plain mode: the listener accepted our connection {@code c} with this id. */
    void accepted(Connection c, long acceptId) {
        receiverKind = ReceiverKind.TETHER;
        lastAcceptId = acceptId;
        backlog.accepted(c.session());
    }

    /** A connection ended and its writer has returned; learn what the listener is from how it went. */
    void connectionEnded(Connection c) {
        if (receiverKind == ReceiverKind.UNKNOWN && c.acceptId() == 0 && !c.session().refused
                && c.session().confirmation == WriterSession.Confirmation.UNCONFIRMED
                && c.endedAtNanos() - c.session().acceptDeadlineNanos >= 0) {
            receiverKind = ReceiverKind.OTHER; // it let the accept window pass without a word: not a tether node
        }
        // a connection that ended sooner (a reset, a crash) says nothing of what listens there: still unknown
    }

    ReceiverKind receiverKind() {
        return receiverKind;
    }

    long lastAcceptId() {
        return receiverKind == ReceiverKind.TETHER ? lastAcceptId : 0;
    }

    // ------------------------------------------------------------------ groups

    boolean unlisted() {
        return unlisted;
    }

    /** The peer begins to close: it leaves every group. */
    void unlist() {
        unlisted = true;
        for (GroupCore g : groups) {
            g.remove(this);
        }
    }

    void joined(GroupCore group) {
        groups.add(group);
    }

    void left(GroupCore group) {
        groups.remove(group);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Closes the peer for good: its id is unknown once this returns; the supervisor finishes it. */
    public void close() {
        lifecycle.close(new Failure(DisconnectReason.LOCAL_CLOSE, "peer closed by this node"));
    }

    /** Waits until nothing is queued; false at the deadline or if the peer closes first. */
    public boolean awaitFlushed(Duration timeout) throws InterruptedException {
        return backlog.awaitFlushed(System.nanoTime() + timeout.toNanos());
    }

    public long queuedFrames() {
        return backlog.queued();
    }

    // ------------------------------------------------------------------ statistics

    public PeerStats stats() {
        Backlog.Snapshot b = backlog.snapshot();
        Connection conn = lifecycle.connection();
        EnumMap<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            dropped.put(r, b.dropped()[r.ordinal()]);
        }
        Counters counters = new Counters(b.queuedFrames(), b.queuedBytes(), b.heldFrames(), b.framesWritten(),
                b.bytesWritten(), b.framesUnconfirmed(), b.framesAcknowledged(), framesReceived.get(), bytesReceived.get(),
                framesMissed.get(), dropped, lifecycle.reconnects());
        Failure disconnect = lifecycle.lastDisconnect();
        Failure failure = lifecycle.lastFailure();
        return new PeerStats(id, direction, address, state(), counters,
                Optional.ofNullable(disconnect).map(Failure::reason), disconnect == null ? "" : disconnect.detail(),
                Optional.ofNullable(lifecycle.lastDisconnectAt()),
                Optional.ofNullable(failure).map(f -> new PeerFailure(f.reason(), f.detail(), f.refused(), lifecycle.lastFailureAt())),
                Optional.ofNullable(conn).map(Connection::establishedAt));
    }

    @Override
    public String toString() {
        return context.config().name() + " peer " + id + " (" + (direction == Direction.OUTBOUND ? "to " : "from ")
                + address.getHostString() + ":" + address.getPort() + ")";
    }
}
