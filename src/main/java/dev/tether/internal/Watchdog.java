package dev.tether.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread per node that looks at every peer on a fixed tick: aborts handshakes past their deadline,
 * disconnects connected peers that stayed at their backlog bound longer than the overflow timeout (a
 * blocked write has no timeout of its own, so this is what unsticks a writer whose peer stopped reading),
 * and reports pending drops.
 *
 * <p>Runs on a virtual thread {@code <node>-watchdog}.
 */
final class Watchdog implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    private final NodeContext context;
    private final PeerRegistry registry;
    private final long tickNanos;
    private final long overflowTimeoutNanos;

    Watchdog(NodeContext context, PeerRegistry registry) {
        this.context = context;
        this.registry = registry;
        long overflow = context.config().overflowTimeout().toNanos();
        long handshake = context.config().handshakeTimeout().toNanos();
        this.overflowTimeoutNanos = overflow;
        this.tickNanos = Math.max(10_000_000L, Math.min(250_000_000L, Math.min(overflow, handshake) / 4));
    }

    @Override
    public void run() {
        while (!context.state().await(NodeState.State.STOPPING, tickNanos)) {
            long now = System.nanoTime();
            for (PeerCore peer : registry.members()) {
                try {
                    peer.lifecycle().watch(now, overflowTimeoutNanos);
                } catch (VirtualMachineError e) { // rethrown from the event listener (a drop report): deadlines must still hold
                    log.error("{} while watching {} (from the event listener on a drop report?); the watchdog goes on", e, peer, e);
                }
            }
        }
    }
}
