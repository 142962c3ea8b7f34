package dev.tether.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.DisconnectReason;
import dev.tether.Direction;
import dev.tether.Event;
import dev.tether.NodeConfig;
import dev.tether.PeerHandles;
import dev.tether.PeerState;
import dev.tether.UnknownPeerException;
import dev.tether.internal.PeerLifecycle.Cause;
import dev.tether.internal.PeerLifecycle.IllegalTransition;
import dev.tether.internal.PeerLifecycle.State;
import dev.tether.testing.EventLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The peer state machine, move by move, on real peers of a real node (no supervisor runs them: the test
 * makes every move itself, with real connections where a move needs one): every legal move is made and
 * emits its event, every other move is refused, and events come in the order of the moves.
 */
class PeerLifecycleTest {
    /** What {@link dev.tether.Peer#state()} must show in each state (written out, not derived from the code). */
    private static final Map<State, PeerState> VISIBLE = new EnumMap<>(Map.of(
            State.CONNECTING, PeerState.CONNECTING,
            State.HANDSHAKING, PeerState.CONNECTING,
            State.CONNECTED, PeerState.CONNECTED,
            State.DRAINING, PeerState.CONNECTED,
            State.BACKING_OFF, PeerState.DISCONNECTED,
            State.CLOSING, PeerState.CLOSED,
            State.CLOSED, PeerState.CLOSED));

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private volatile Consumer<Event> reaction = e -> { };
    private final List<SocketChannel> sockets = new ArrayList<>();
    private NodeCore node;
    private ServerSocketChannel server;
    private InetSocketAddress serverAddress;

    @BeforeEach
    void start() throws IOException {
        NodeConfig config = NodeConfig.builder().name("lifecycle").handshakeTimeout(Duration.ofMinutes(5))
                .onEvent(e -> { // reacts first, records after: an event a reaction causes must still come after this one
                    reaction.accept(e);
                    events.add(e);
                }).build();
        node = NodeCore.create(config, PeerHandles::of);
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        serverAddress = (InetSocketAddress) server.getLocalAddress();
    }

    @AfterEach
    void stop() {
        node.close(Duration.ZERO);
        sockets.forEach(Sockets::closeQuietly);
        Sockets.closeQuietly(server);
    }

    @Test
    void everyLegalMoveIsMadeShowsItsPublicStateAndEmitsItsEvent() throws IOException {
        Set<List<State>> walked = new HashSet<>();
        for (Map.Entry<State, Set<State>> e : PeerLifecycle.LEGAL.entrySet()) {
            for (State to : e.getValue()) {
                PeerCore peer = outbound();
                Walker walker = new Walker(peer);
                for (State step : pathTo(State.CONNECTING, e.getKey())) {
                    walked.add(List.of(peer.lifecycle().state(), step));
                    walker.move(step);
                }
                walked.add(List.of(e.getKey(), to));
                walker.move(to);
            }
        }
        Set<List<State>> legal = new HashSet<>();
        PeerLifecycle.LEGAL.forEach((from, tos) -> tos.forEach(to -> legal.add(List.of(from, to))));
        assertEquals(14, legal.size(), "the table has the moves this test was written for: update the test with the table");
        assertEquals(legal, walked, "every legal move was made");
    }

    @Test
    void anInboundPeerIsAcceptedOrFailsItsHandshakeAndReadsClosedWhileItsConnectionEnds() throws IOException {
        PeerCore accepted = inbound();
        Walker w = new Walker(accepted);
        w.move(State.CONNECTED);   // Accepted
        List<PeerState> stateDuringDisconnected = new CopyOnWriteArrayList<>();
        reaction = e -> {
            if (e instanceof Event.Disconnected) {
                stateDuringDisconnected.add(accepted.handle().state());
            }
        };
        w.move(State.CLOSING);     // Disconnected
        w.move(State.CLOSED);      // PeerClosed
        assertEquals(List.of(PeerState.CLOSED), stateDuringDisconnected, "an inbound peer reads CLOSED in its Disconnected event");

        PeerCore failed = inbound();
        Walker f = new Walker(failed);
        f.move(State.CLOSING);     // its handshake failed: ConnectFailed, attempt 1, never a Disconnected
        f.move(State.CLOSED);
        assertEquals(List.of(Event.ConnectFailed.class, Event.PeerClosed.class), classesOf(failed));
        assertEquals(1, only(Event.ConnectFailed.class, failed).attempt());
    }

    @Test
    void everyMoveNotInTheTableIsRefusedFromEveryStateAndChangesNothing() throws IOException {
        int refused = 0;
        for (State at : State.values()) {
            PeerCore peer = outbound();
            Walker walker = new Walker(peer);
            for (State step : pathTo(State.CONNECTING, at)) {
                walker.move(step);
            }
            for (State from : State.values()) {
                for (State to : State.values()) {
                    if (PeerLifecycle.LEGAL.get(from).contains(to)) {
                        continue;
                    }
                    int before = events.size();
                    assertThrows(IllegalTransition.class, () -> peer.lifecycle().transition(from, to, Cause.NONE),
                            from + " -> " + to + " is not in the table");
                    assertEquals(at, peer.lifecycle().state(), "a refused move changes nothing");
                    assertEquals(before, events.size(), "a refused move emits nothing");
                    refused++;
                }
            }
        }
        assertEquals(State.values().length * (49 - 14), refused);
    }

    @Test
    void aLegalMoveFromAStateThePeerIsNotInReturnsFalseAndChangesNothing() throws IOException {
        for (State at : State.values()) {
            PeerCore peer = outbound();
            Walker walker = new Walker(peer);
            for (State step : pathTo(State.CONNECTING, at)) {
                walker.move(step);
            }
            boolean listed = node.findPeer(peer.id()) != null;
            long queued = peer.queuedFrames();
            for (Map.Entry<State, Set<State>> e : PeerLifecycle.LEGAL.entrySet()) {
                if (e.getKey() == at) {
                    continue;
                }
                for (State to : e.getValue()) {
                    int before = events.size();
                    assertFalse(peer.lifecycle().transition(e.getKey(), to, causeFor(peer, e.getKey(), to)),
                            "the peer is in " + at + ", not " + e.getKey());
                    assertEquals(at, peer.lifecycle().state());
                    assertEquals(VISIBLE.get(at), peer.state());
                    assertEquals(before, events.size(), e.getKey() + " -> " + to + " from " + at + " emits nothing");
                    assertEquals(listed, node.findPeer(peer.id()) != null, "the id stays as known as it was");
                    assertEquals(queued, peer.queuedFrames());
                }
            }
        }
    }

    @Test
    void eventsOfOnePeerComeInTheOrderOfItsMovesWhenTheListenerMovesThePeerFromInsideAnEvent() throws IOException {
        PeerCore peer = outbound();
        reaction = e -> {
            if (e instanceof Event.Connected) {
                peer.close(); // CONNECTED -> CLOSING from inside Connected: its Disconnected must come after Connected
            } else if (e instanceof Event.Disconnected) {
                peer.lifecycle().transition(State.CLOSING, State.CLOSED, Cause.NONE); // and PeerClosed after that
            }
        };
        Walker w = new Walker(peer);
        w.move(State.HANDSHAKING);
        peer.lifecycle().transition(State.HANDSHAKING, State.CONNECTED, Cause.connected(w.connection()));
        assertEquals(State.CLOSED, peer.lifecycle().state(), "the listener's moves were made");
        assertEquals(List.of(Event.Connected.class, Event.Disconnected.class, Event.PeerClosed.class), classesOf(peer));
    }

    @Test
    void eventsOfOnePeerComeInTheOrderOfItsMovesWhenAnotherThreadMovesItDuringAnEvent() throws Exception {
        PeerCore peer = outbound();
        CountDownLatch inConnected = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        reaction = e -> {
            if (e instanceof Event.Connected) {
                inConnected.countDown();
                await(closed); // the listener is slow: another thread closes the peer meanwhile
            }
        };
        Walker w = new Walker(peer);
        w.move(State.HANDSHAKING);
        Connection c = w.connection();
        Thread mover = Thread.ofVirtual().start(() -> peer.lifecycle().transition(State.HANDSHAKING, State.CONNECTED, Cause.connected(c)));
        assertTrue(inConnected.await(10, TimeUnit.SECONDS), "Connected is being delivered");
        peer.close(); // returns at once: the Disconnected is queued behind the Connected being delivered
        assertEquals(State.CLOSING, peer.lifecycle().state());
        closed.countDown();
        mover.join(10_000);
        assertFalse(mover.isAlive());
        assertEquals(List.of(Event.Connected.class, Event.Disconnected.class), classesOf(peer));
    }

    // ------------------------------------------------------------------ the walk

    /** Makes moves on one peer and checks each: the state, its public projection, the id, and the events. */
    private final class Walker {
        private final PeerCore peer;
        private boolean everConnected;
        private int failedSinceConnected;
        private long reconnects;
        private Connection connection; // the live one, while CONNECTED or DRAINING

        Walker(PeerCore peer) {
            this.peer = peer;
        }

        Connection connection() throws IOException {
            connection = connect(peer);
            return connection;
        }

        void move(State to) throws IOException {
            State from = peer.lifecycle().state();
            Cause cause = to == State.CONNECTED ? Cause.connected(connection()) : causeFor(peer, from, to);
            int before = events.size();
            assertTrue(peer.lifecycle().transition(from, to, cause), from + " -> " + to);
            List<Event> emitted = List.copyOf(events.subList(before, events.size()));
            String move = peer.direction() + " " + from + " -> " + to + ": " + emitted;
            assertEquals(to, peer.lifecycle().state(), move);
            assertEquals(VISIBLE.get(to), to.visible(), move);
            assertEquals(VISIBLE.get(to), peer.state(), move);
            assertEquals(VISIBLE.get(to), peer.handle().state(), move);
            for (Event e : emitted) {
                assertSame(peer.handle(), EventLog.peerOf(e), "every event is about the peer that moved: " + move);
            }
            boolean known = to != State.CLOSING && to != State.CLOSED;
            assertEquals(known, node.findPeer(peer.id()) != null, "known by id exactly until it closes: " + move);
            if (!known) {
                assertThrows(UnknownPeerException.class, () -> node.peer(peer.id()), move);
            }
            checkEvents(from, to, cause, emitted, move);
        }

        private void checkEvents(State from, State to, Cause cause, List<Event> emitted, String move) {
            boolean inbound = peer.direction() == Direction.INBOUND;
            boolean wasConnected = from == State.CONNECTED || from == State.DRAINING;
            switch (to) {
                case CONNECTED -> {
                    assertEquals(1, emitted.size(), move);
                    if (inbound) {
                        Event.Accepted a = assertInstanceOf(Event.Accepted.class, emitted.get(0), move);
                        assertEquals(serverAddress, a.listenAddress(), move);
                    } else if (!everConnected) {
                        assertInstanceOf(Event.Connected.class, emitted.get(0), move);
                    } else {
                        Event.Reconnected r = assertInstanceOf(Event.Reconnected.class, emitted.get(0), move);
                        assertEquals(++reconnects, r.reconnects(), move);
                    }
                    everConnected = true;
                    failedSinceConnected = 0;
                }
                case BACKING_OFF -> {
                    assertEquals(1, emitted.size(), move);
                    if (wasConnected) {
                        Event.Disconnected d = assertInstanceOf(Event.Disconnected.class, emitted.get(0), move);
                        assertEquals(cause.failure().reason(), d.reason(), move);
                        connection.fail(cause.failure()); // as the supervisor has, once its loops returned
                    } else {
                        Event.ConnectFailed f = assertInstanceOf(Event.ConnectFailed.class, emitted.get(0), move);
                        assertEquals(++failedSinceConnected, f.attempt(), "attempts count from 1 since the last connection: " + move);
                        assertEquals(cause.failure().reason(), f.reason(), move);
                        assertEquals(cause.retryIn(), f.retryIn(), move);
                    }
                }
                case CLOSING -> {
                    if (wasConnected) {
                        assertEquals(1, emitted.size(), move);
                        assertInstanceOf(Event.Disconnected.class, emitted.get(0), move);
                    } else if (inbound && from == State.HANDSHAKING) {
                        assertEquals(1, emitted.size(), move);
                        Event.ConnectFailed f = assertInstanceOf(Event.ConnectFailed.class, emitted.get(0), move);
                        assertEquals(1, f.attempt(), move);
                    } else {
                        assertEquals(List.of(), emitted, "no connection ended, no attempt failed: " + move);
                    }
                    if (wasConnected) {
                        assertTrue(connection.failure() != null, "closing ends the live connection: " + move);
                    }
                }
                case CLOSED -> {
                    assertEquals(1, emitted.size(), move);
                    assertInstanceOf(Event.PeerClosed.class, emitted.get(0), move);
                    for (PeerCore p : node.registry().members()) {
                        assertFalse(p == peer, "a CLOSED peer has left the node's array: " + move);
                    }
                }
                case CONNECTING, HANDSHAKING, DRAINING -> assertEquals(List.of(), emitted, move);
                default -> throw new AssertionError(move);
            }
        }
    }

    private Cause causeFor(PeerCore peer, State from, State to) {
        return switch (to) {
            case BACKING_OFF -> Cause.failed(from == State.CONNECTED || from == State.DRAINING
                    ? new Failure(DisconnectReason.RESET, "reset by the test")
                    : new Failure(DisconnectReason.CONNECT_FAILED, "refused by the test"), Duration.ofMillis(7));
            case CLOSING -> Cause.failed(peer.direction() == Direction.INBOUND && from == State.HANDSHAKING
                    ? new Failure(DisconnectReason.HANDSHAKE_FAILED, "handshake failed in the test")
                    : new Failure(DisconnectReason.LOCAL_CLOSE, "closed by the test"), null);
            default -> Cause.NONE;
        };
    }

    /** The shortest way through the table from one state to another. */
    private static List<State> pathTo(State start, State target) {
        Map<State, State> cameFrom = new EnumMap<>(State.class);
        ArrayDeque<State> queue = new ArrayDeque<>(List.of(start));
        Set<State> seen = EnumSet.of(start);
        while (!queue.isEmpty()) {
            State s = queue.poll();
            if (s == target) {
                break;
            }
            for (State next : PeerLifecycle.LEGAL.get(s)) {
                if (seen.add(next)) {
                    cameFrom.put(next, s);
                    queue.add(next);
                }
            }
        }
        List<State> path = new ArrayList<>();
        for (State s = target; s != start; s = cameFrom.get(s)) {
            assertTrue(s != null, target + " is reachable from " + start);
            path.add(0, s);
        }
        return path;
    }

    // ------------------------------------------------------------------ real peers, real connections

    private PeerCore outbound() {
        PeerCore p = new PeerCore(node.registry().nextId(), Direction.OUTBOUND, serverAddress, null, node.context(),
                node.registry(), core -> PeerHandles.of(core, node));
        node.registry().add(p);
        return p;
    }

    private PeerCore inbound() throws IOException {
        assertTrue(node.context().inbound().tryAdmit(), "a place under the inbound cap, as the acceptor takes one");
        PeerCore p = new PeerCore(node.registry().nextId(), Direction.INBOUND, serverAddress, serverAddress, node.context(),
                node.registry(), core -> PeerHandles.of(core, node));
        node.registry().add(p);
        return p;
    }

    /** A real connection for the peer, over a real socket to the test's server socket, set up as the supervisor does. */
    private Connection connect(PeerCore peer) throws IOException {
        SocketChannel ours = SocketChannel.open(serverAddress);
        sockets.add(ours);
        sockets.add(server.accept());
        return new ConnectionSetup(node.context()).establish(peer, ours);
    }

    private List<Class<?>> classesOf(PeerCore peer) {
        return events.stream().filter(e -> EventLog.peerOf(e) == peer.handle()).<Class<?>>map(Object::getClass).toList();
    }

    private <T extends Event> T only(Class<T> type, PeerCore peer) {
        List<T> found = events.stream().filter(e -> EventLog.peerOf(e) == peer.handle()).filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), () -> type.getSimpleName() + " of " + peer + ": " + events);
        return found.get(0);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
