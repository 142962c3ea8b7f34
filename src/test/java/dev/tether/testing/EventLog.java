package dev.tether.testing;

import dev.tether.Event;
import dev.tether.NodeEventListener;
import dev.tether.Peer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** An event listener that keeps every event with the {@link System#nanoTime()} it arrived at. */
public final class EventLog implements NodeEventListener {

    /** One event and when the listener saw it. */
    public record Timed(long nanos, Event event) { }

    private final List<Timed> events = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Event event) {
        events.add(new Timed(System.nanoTime(), event));
    }

    public List<Timed> all() {
        return List.copyOf(events);
    }

    /** Events of one type, in arrival order. */
    public <T extends Event> List<T> of(Class<T> type) {
        return timed(type).map(t -> type.cast(t.event())).toList();
    }

    /** Events of one type with their arrival times. */
    public <T extends Event> Stream<Timed> timed(Class<T> type) {
        return events.stream().filter(t -> type.isInstance(t.event()));
    }

    /** Events of one type about one peer. */
    public <T extends Event> List<T> of(Class<T> type, Peer peer) {
        return of(type).stream().filter(e -> peerOf(e) != null && peerOf(e).id() == peer.id()).toList();
    }

    public <T extends Event> long count(Class<T> type) {
        return timed(type).count();
    }

    /** The peer an event is about, or null for a node event. */
    public static Peer peerOf(Event e) {
        return switch (e) {
            case Event.Connected c -> c.peer();
            case Event.Reconnected r -> r.peer();
            case Event.Accepted a -> a.peer();
            case Event.ConnectFailed f -> f.peer();
            case Event.Disconnected d -> d.peer();
            case Event.FramesDropped d -> d.peer();
            case Event.PeerClosed c -> c.peer();
            case Event.NodeClosed n -> null;
        };
    }

    @Override
    public String toString() {
        return events.stream().map(t -> t.event().toString()).toList().toString();
    }
}
