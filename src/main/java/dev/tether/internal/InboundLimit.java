package dev.tether.internal;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cap on a node's live inbound peers: admits an accepted connection while there is room, and resets
 * one beyond the cap before it becomes a peer, counting it and saying so at WARN at most once a second.
 */
final class InboundLimit {
    private static final Logger log = LoggerFactory.getLogger(InboundLimit.class);
    private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

    private final String nodeName;
    private final int max;
    private final boolean plain; // a plain listener says REFUSE first, so a tether client knows why
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private final AtomicLong lastLogNanos;

    InboundLimit(String nodeName, int max, boolean plain) {
        this.nodeName = nodeName;
        this.plain = plain;
        this.max = max;
        this.lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    }

    /** Takes a place for a new inbound peer; false if {@code max} are alive. */
    boolean tryAdmit() {
        while (true) {
            int n = live.get();
            if (n >= max) {
                return false;
            }
            if (live.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place taken by {@link #tryAdmit}: the peer is gone, or never started. */
    void left() {
        live.decrementAndGet();
    }

    /**
     * Ends a connection that found no place, counts it, and logs the refusals of the last second, if due. A
     * plain listener first says REFUSE (a zero-length frame, skipped by any reader of the format), so a tether
     * client reports why and keeps what it wrote queued; then the connection is reset.
     */
    void refuse(SocketChannel channel, InetSocketAddress listenAddress) {
        if (plain) {
            try {
                channel.write(FrameCodec.marker(FrameCodec.MARK_REFUSE, FrameCodec.REFUSE_FULL)); // 12 bytes into an empty send buffer
                channel.shutdownOutput();
            } catch (java.io.IOException | RuntimeException ignored) {
                // the client may be gone already
            }
            Sockets.closeQuietly(channel);
        } else {
            Sockets.abort(channel); // RST: no TIME_WAIT, no half-open socket kept for it
        }
        refused.incrementAndGet();
        refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            log.warn("{}: refused {} inbound connection(s) on {} since the last report: {} inbound peers are live, "
                    + "the maxInboundConnections cap; raise NodeConfig.maxInboundConnections if they are legitimate",
                    nodeName, refusedSinceLog.getAndSet(0), listenAddress, max);
        }
    }

    /** Connections refused so far. */
    long refused() {
        return refused.get();
    }
}
