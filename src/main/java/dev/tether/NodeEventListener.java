package dev.tether;

/**
 * Receives lifecycle events.
 *
 * <p>Called on tether's own threads (a supervisor, reader, acceptor or watchdog, or the thread that sent a
 * frame that was dropped) with no tether lock held. Keep it fast and do not block in it: hand work to your
 * own executor. Do not call {@link Node#close()} from it. An exception thrown here is logged and counted;
 * it never kills a tether thread.
 */
@FunctionalInterface
public interface NodeEventListener {

    /** A listener that ignores every event. */
    NodeEventListener NONE = event -> { };

    /**
     * Called once per event.
     *
     * @param event what happened
     */
    void onEvent(Event event);
}
