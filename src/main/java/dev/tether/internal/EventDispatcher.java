package dev.tether.internal;

import dev.tether.Event;
import dev.tether.NodeEventListener;
import dev.tether.MessageHandler;
import dev.tether.Peer;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the user's event listener and message handler so that nothing they throw reaches a tether loop.
 * Their failures are counted and logged at WARN, at most once per second with a count of the rest. A
 * {@link VirtualMachineError} (out of memory, stack overflow) is not theirs to handle: it is rethrown from
 * both, and the loop that called them ends its connection with the reason.
 */
final class EventDispatcher {
    private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);
    private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

    private final NodeEventListener listener;
    private final MessageHandler handler;
    private final dev.tether.SequencedMessageHandler sequenced; // wins over handler if set
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private final AtomicLong unlogged = new AtomicLong();

    EventDispatcher(NodeEventListener listener, MessageHandler handler, dev.tether.SequencedMessageHandler sequenced) {
        this.listener = listener;
        this.handler = handler;
        this.sequenced = sequenced;
    }

    /** Delivers an event; never throws. */
    void emit(Event event) {
        try {
            listener.onEvent(event);
        } catch (VirtualMachineError vme) {
            throw vme;
        } catch (RuntimeException | Error e) {
            failed("event listener", event.getClass().getSimpleName(), e);
        }
    }

    /** Delivers a frame; never throws but a {@link VirtualMachineError}. {@code stream} null and 0 in plain mode. */
    void deliver(Peer peer, ByteBuffer payload, long sentAtEpochNanos, dev.tether.StreamId stream, long sequence) {
        try {
            if (sequenced != null) {
                sequenced.onMessage(peer, payload, sentAtEpochNanos, stream, sequence);
            } else {
                handler.onMessage(peer, payload, sentAtEpochNanos);
            }
        } catch (VirtualMachineError vme) {
            throw vme;
        } catch (RuntimeException | Error e) {
            failed("message handler", "frame from " + peer, e);
        }
    }

    /** Exceptions thrown by the listener or the handler so far. */
    long failures() {
        return failures.get();
    }

    private void failed(String who, String what, Throwable e) {
        failures.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            long skipped = unlogged.getAndSet(0);
            log.warn("{} threw on {} (ignored; {} more failures not logged since the last report)", who, what, skipped, e);
        } else {
            unlogged.incrementAndGet();
        }
    }
}
