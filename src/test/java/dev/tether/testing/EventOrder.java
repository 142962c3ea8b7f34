package dev.tether.testing;

import dev.tether.Event;
import dev.tether.Peer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order {@link Event}'s Javadoc promises for each peer: a connection begins with Connected, Reconnected
 * or Accepted and ends with exactly one Disconnected; a failed attempt is a ConnectFailed while no connection
 * is up; PeerClosed comes once, last, with no connection up. Lists every break of it.
 */
public final class EventOrder {
    private EventOrder() {
    }

    /** Breaks of the promised order in the events of a node that is closed: every peer must also have ended. */
    public static List<String> violationsOfClosedNode(List<Event> events) {
        List<String> wrong = violations(events);
        Map<Long, Boolean> closed = new HashMap<>();
        for (Event e : events) {
            Peer p = EventLog.peerOf(e);
            if (p != null) {
                closed.merge(p.id(), e instanceof Event.PeerClosed, Boolean::logicalOr);
            }
        }
        closed.forEach((id, ended) -> {
            if (!ended) {
                wrong.add("peer " + id + " has no PeerClosed though its node is closed");
            }
        });
        return wrong;
    }

    /** Breaks of the promised order in {@code events} (all of one node, in the order its listener got them). */
    public static List<String> violations(List<Event> events) {
        Map<Long, Seen> peers = new HashMap<>();
        List<String> wrong = new ArrayList<>();
        for (Event e : events) {
            Peer p = EventLog.peerOf(e);
            if (p == null) {
                continue; // NodeClosed
            }
            Seen s = peers.getOrDefault(p.id(), new Seen(false, false));
            String name = e.getClass().getSimpleName() + " of peer " + p.id();
            if (s.closed()) {
                wrong.add(name + " after its PeerClosed: " + e);
            }
            switch (e) {
                case Event.Connected c -> s = begins(s, name, wrong);
                case Event.Reconnected r -> s = begins(s, name, wrong);
                case Event.Accepted a -> s = begins(s, name, wrong);
                case Event.Disconnected d -> {
                    if (!s.up()) {
                        wrong.add(name + " with no Connected, Reconnected or Accepted before it: " + e);
                    }
                    s = new Seen(false, s.closed());
                }
                case Event.ConnectFailed f -> {
                    if (s.up()) {
                        wrong.add(name + " while a connection is up: " + e);
                    }
                }
                case Event.PeerClosed c -> {
                    if (s.up()) {
                        wrong.add(name + " before the Disconnected of its connection: " + e);
                    }
                    s = new Seen(false, true);
                }
                case Event.FramesDropped d -> { }
                case Event.NodeClosed n -> { }
            }
            peers.put(p.id(), s);
        }
        return wrong;
    }

    private record Seen(boolean up, boolean closed) { }

    private static Seen begins(Seen s, String name, List<String> wrong) {
        if (s.up()) {
            wrong.add(name + " while the previous connection had no Disconnected yet");
        }
        return new Seen(true, s.closed());
    }
}
