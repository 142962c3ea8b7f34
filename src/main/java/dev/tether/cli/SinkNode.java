package dev.tether.cli;

import dev.tether.Delivery;
import dev.tether.DisconnectReason;
import dev.tether.Event;
import dev.tether.Node;
import dev.tether.NodeConfig;
import dev.tether.Peer;
import dev.tether.TlsConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * The receiving side of {@code sink} and {@code demo}: a tether node listening on one or more addresses
 * that counts what arrives on each in a {@link StreamStats}. It can be stopped at once and started again
 * on the same addresses, as a new node with the same counters: what a sink process that restarts would
 * see if it kept its counts.
 */
final class SinkNode implements AutoCloseable {

    /** An address could not be bound. */
    static final class CannotBind extends IOException {
        private static final long serialVersionUID = 1L;
        final int index;
        final String reason;

        CannotBind(int index, String reason, Throwable cause) {
            super(reason, cause);
            this.index = index;
            this.reason = reason;
        }
    }

    private final String name;
    private final Delivery delivery;
    private final TlsConfig tls; // null for plain TCP
    private final List<InetSocketAddress> requested;
    private final List<StreamStats> streams; // one per address, in the order given, across restarts
    private final Map<InetSocketAddress, FailureCount> refused = new ConcurrentHashMap<>(); // bound address -> its refusals
    private final BiConsumer<InetSocketAddress, FailureCount.Last> onRefused;
    private ResumeFile resume;       // acknowledged mode: what was processed, kept across restarts; or null. Set before bind()
    private final Map<InetSocketAddress, Integer> indexOf = new ConcurrentHashMap<>(); // bound address -> its place in the list
    private volatile CountDownLatch listening = new CountDownLatch(0); // open while bind() is still listening
    private final ReentrantLock lock = new ReentrantLock();
    private List<InetSocketAddress> bound = List.of(); // guarded by lock
    private Node node;                                 // guarded by lock; null while stopped
    private long framesMissedBefore;                   // guarded by lock; of the nodes already closed

    /** Where a peer's frames are counted: its listen address's stream and that address's place in the list. */
    private record Target(StreamStats stats, int index) { }

    private SinkNode(String name, List<InetSocketAddress> addresses, Delivery delivery, TlsConfig tls,
                     BiConsumer<InetSocketAddress, FailureCount.Last> onRefused) {
        this.tls = tls;
        this.onRefused = onRefused;
        this.name = name;
        this.requested = List.copyOf(addresses);
        this.delivery = delivery;
        List<StreamStats> list = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            list.add(new StreamStats());
        }
        this.streams = List.copyOf(list);
    }

    /** Starts listening on every address (port 0 picks one); on failure nothing stays open. */
    static SinkNode start(String name, List<InetSocketAddress> addresses, Delivery delivery) throws CannotBind {
        return start(name, addresses, delivery, null);
    }

    /** The same over TLS ({@code tls} null: plain TCP). */
    static SinkNode start(String name, List<InetSocketAddress> addresses, Delivery delivery, TlsConfig tls) throws CannotBind {
        return start(name, addresses, delivery, tls, (address, failure) -> { });
    }

    /** The same, telling {@code onRefused} (on tether's event thread) of each connection that failed before delivering a frame. */
    static SinkNode start(String name, List<InetSocketAddress> addresses, Delivery delivery, TlsConfig tls,
                          BiConsumer<InetSocketAddress, FailureCount.Last> onRefused) throws CannotBind {
        return new SinkNode(name, addresses, delivery, tls, onRefused).bindFirst();
    }

    /**
     * The same, with a resume file (acknowledged delivery only; null: none): its frames are counted first, as
     * if they had just arrived; each new frame is recorded in it before it is counted; each sender's stream
     * resumes after what it recorded.
     */
    static SinkNode start(String name, List<InetSocketAddress> addresses, Delivery delivery, TlsConfig tls,
                          BiConsumer<InetSocketAddress, FailureCount.Last> onRefused, java.nio.file.Path resumeFile)
            throws CannotBind, UsageException {
        if (resumeFile != null && delivery != Delivery.ACKNOWLEDGED) {
            throw new IllegalArgumentException("a resume file needs acknowledged delivery: plain mode has no positions");
        }
        SinkNode sink = new SinkNode(name, addresses, delivery, tls, onRefused);
        if (resumeFile != null) {
            sink.resume = ResumeFile.open(resumeFile, addresses.size(), (i, length, prefix) -> sink.streams.get(i).replay(length, prefix));
        }
        return sink.bindFirst();
    }

    private SinkNode bindFirst() throws CannotBind {
        lock.lock();
        try {
            bound = bind(requested);
        } catch (CannotBind | RuntimeException e) {
            if (resume != null) {
                resume.close();
            }
            throw e;
        } finally {
            lock.unlock();
        }
        return this;
    }

    private List<InetSocketAddress> bind(List<InetSocketAddress> addresses) throws CannotBind {
        Map<Long, StreamStats> byPeer = new ConcurrentHashMap<>(); // this node's peer ids: they restart at 1 on a new node
        NodeConfig.Builder b = NodeConfig.builder()
                .name(name)
                .delivery(delivery)
                .drainTimeout(Duration.ofSeconds(2))
                .onEvent(event -> onEvent(byPeer, event));
        if (resume == null) {
            b.onMessage((peer, payload, sentAt) -> targetOf(byPeer, peer).stats().record(payload));
        } else {
            b.onSequencedMessage((peer, payload, sentAt, stream, seq) -> {
                Target t = targetOf(byPeer, peer);
                if (!resume.append(stream, seq, t.index(), payload)) { // not recorded: not counted, and not acknowledged
                    throw new IllegalStateException(resume.failure());
                }
                t.stats().record(payload);
            }).resumeFrom(resume::lastProcessed);
        }
        if (tls != null) {
            b.tls(tls);
        }
        CountDownLatch binding = new CountDownLatch(1);
        listening = binding;
        Node n = b.start();
        List<InetSocketAddress> result = new ArrayList<>();
        try {
            for (int i = 0; i < addresses.size(); i++) {
                try {
                    InetSocketAddress at = n.listen(addresses.get(i));
                    indexOf.put(at, i);
                    result.add(at);
                } catch (IllegalStateException e) { // TLS settings that cannot serve: nothing stays open
                    n.closeNow();
                    throw e;
                } catch (IOException e) {
                    n.closeNow();
                    String reason = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
                    throw new CannotBind(i, reason, e);
                }
            }
        } finally {
            binding.countDown();
        }
        node = n;
        return List.copyOf(result);
    }

    /** The peer's target, kept on the peer once known (read per frame). */
    private Target targetOf(Map<Long, StreamStats> byPeer, Peer peer) {
        if (peer.attachment() instanceof Target t) {
            return t;
        }
        InetSocketAddress at = peer.listenAddress().orElseThrow();
        int index = indexOf(at);
        Target t = new Target(streams.get(index), index);
        byPeer.put(peer.id(), t.stats());
        peer.attach(t);
        return t;
    }

    private void onEvent(Map<Long, StreamStats> byPeer, Event event) {
        switch (event) {
            case Event.Accepted a -> stream(a.listenAddress()).connected();
            case Event.ConnectFailed f when f.peer().listenAddress().isPresent() -> refusedOn(f.peer(), f.reason(), f.detail()); // its handshake failed
            case Event.Disconnected d when failedBeforeDelivering(byPeer, d) -> refusedOn(d.peer(), d.reason(), d.detail());
            case Event.PeerClosed c -> byPeer.remove(c.peer().id());
            default -> { }
        }
    }

    private void refusedOn(Peer peer, DisconnectReason reason, String detail) {
        InetSocketAddress at = peer.listenAddress().orElseThrow();
        if (refused(at).record(reason, detail)) {
            onRefused.accept(at, refused(at).last());
        }
    }

    /**
     * A connection that ended for a reason other than a clean close before any frame from it was delivered:
     * a failed TLS or acknowledged-mode handshake, a TLS client on a plain sink.
     */
    private static boolean failedBeforeDelivering(Map<Long, StreamStats> byPeer, Event.Disconnected d) {
        return d.reason() != DisconnectReason.PEER_CLOSED && d.reason() != DisconnectReason.LOCAL_CLOSE
                && d.peer().listenAddress().isPresent() && !byPeer.containsKey(d.peer().id());
    }

    /** The connections to one bound address that failed before delivering a frame. */
    FailureCount refused(InetSocketAddress boundAddress) {
        return refused.computeIfAbsent(boundAddress, a -> new FailureCount());
    }

    /** The addresses actually bound, in the order given. */
    List<InetSocketAddress> addresses() {
        lock.lock();
        try {
            return bound;
        } finally {
            lock.unlock();
        }
    }

    /** The stream of one bound address (made on first use: a connection may come in as soon as it is bound). */
    StreamStats stream(InetSocketAddress boundAddress) {
        return streams.get(indexOf(boundAddress));
    }

    /** The place of a bound address in the list given; waits if bind() is still noting it (a connection can come in first). */
    private int indexOf(InetSocketAddress boundAddress) {
        Integer index = indexOf.get(boundAddress);
        if (index == null) {
            try {
                listening.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the sink was still binding", e);
            }
            index = indexOf.get(boundAddress);
        }
        if (index == null) {
            throw new IllegalArgumentException(boundAddress + " is not an address this sink listens on");
        }
        return index;
    }

    /** Every stream, in the order of {@link #addresses()}. */
    List<StreamStats> streams() {
        return streams;
    }

    /** {@link System#nanoTime()} of the last frame on any address, 0 if none yet. */
    long lastFrameNanos() {
        long last = 0;
        for (StreamStats s : streams) {
            long t = s.lastFrameNanos();
            if (t != 0 && (last == 0 || t - last > 0)) {
                last = t;
            }
        }
        return last;
    }

    /**
     * Acknowledged mode: frames of a stream its sender no longer had when this sink resumed it (a gap it
     * could not fill), over every node this sink ran.
     */
    long framesMissed() {
        lock.lock();
        try {
            return framesMissedBefore + (node == null ? 0 : node.stats().counters().framesMissed());
        } finally {
            lock.unlock();
        }
    }

    /** The resume file, or null. */
    ResumeFile resumeFile() {
        return resume;
    }

    /** Connections open right now. */
    int openConnections() {
        lock.lock();
        try {
            return node == null ? 0 : node.peers().size();
        } finally {
            lock.unlock();
        }
    }

    /** Stops at once, as a killed process would: listeners and connections closed, nothing flushed. */
    void stop() {
        lock.lock();
        try {
            if (node != null) {
                framesMissedBefore += node.stats().counters().framesMissed();
                node.closeNow();
                node = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes every connection at once but keeps the node and its listeners: senders reconnect at once. In
     * acknowledged mode the node remembers what it delivered, so nothing comes twice.
     */
    void dropConnections() {
        lock.lock();
        try {
            if (node != null) {
                node.peers().forEach(Peer::close);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Goes away as a network outage would while the process lives on: stops listening and cuts every
     * connection at once. What the kernel held for those connections is lost; the node still remembers,
     * in acknowledged mode, what it delivered, so nothing comes twice when the senders return.
     */
    void goAway() {
        lock.lock();
        try {
            if (node != null) {
                bound.forEach(node::stopListening);
                node.peers().forEach(Peer::close);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Listens again on the same addresses after {@link #goAway()}. */
    void comeBack() throws CannotBind {
        lock.lock();
        try {
            for (int i = 0; i < bound.size(); i++) {
                try {
                    node.listen(bound.get(i));
                } catch (IOException e) {
                    throw new CannotBind(i, e.getMessage(), e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Starts again on the same addresses (the same ports), as a new node; the counts go on. */
    void restart() throws CannotBind {
        lock.lock();
        try {
            if (node == null) {
                bind(bound);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes, letting each connection end cleanly for up to {@code drain} (in acknowledged mode: sends the
     * last acknowledgements), and closes the resume file: for good.
     */
    void close(Duration drain) {
        lock.lock();
        try {
            if (node != null) {
                framesMissedBefore += node.stats().counters().framesMissed();
                node.close(drain);
                node = null;
            }
            if (resume != null) {
                resume.close();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
