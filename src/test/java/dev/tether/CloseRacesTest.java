package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.internal.Internals;
import dev.tether.testing.Await;
import dev.tether.testing.FrameSink;
import dev.tether.testing.SeqRecorder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Closing a node while other threads connect, get accepted, read statistics, or wait for acknowledgements (found in review). */
class CloseRacesTest {

    @Test
    void aGracefulCloseInAcknowledgedModeEndsWhenTheLastAcknowledgementArrivesNotAtTheDeadline() throws Exception {
        SeqRecorder received = new SeqRecorder();
        List<Event> events = new CopyOnWriteArrayList<>();
        try (Node receiver = NodeConfig.builder().name("rx").delivery(Delivery.ACKNOWLEDGED).onMessage(received).start()) {
            InetSocketAddress address = receiver.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Node sender = NodeConfig.builder().name("tx").delivery(Delivery.ACKNOWLEDGED)
                    .drainTimeout(Duration.ofSeconds(5)).onEvent(events::add).start();
            Peer peer = sender.connect(address);
            Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            for (int i = 0; i < 1000; i++) {
                peer.send(ReconnectReplayTest.numbered(i, 16));
            }
            long start = System.nanoTime();
            sender.close(); // a one-way stream: nothing but the acknowledgements arrives to wake the writer
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "close took " + took + " of a 5 s drain timeout");
            assertEquals(1000, received.distinct());
            assertTrue(events.stream().anyMatch(e -> e instanceof Event.Disconnected d && d.detail().contains("after flushing")),
                    () -> "the connection ended with the end-of-stream exchange: " + events);
        }
    }

    @Test
    void connectRacingCloseLeavesNoThreadBehind() throws Exception {
        InetSocketAddress nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), BroadcastTest.unusedPort());
        for (int round = 0; round < 200; round++) {
            Node node = NodeConfig.builder().name("race" + round).reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 0.5).start();
            List<Peer> made = new CopyOnWriteArrayList<>();
            Thread connector = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 64; i++) { // enough to straddle the close; not tens of thousands of peers
                        made.add(node.connect(nowhere));
                    }
                } catch (IllegalStateException closed) {
                    // the node closed: no more peers, as it must be
                }
            });
            LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(200_000)); // land the close at a random moment
            node.closeNow();
            connector.join();
            int thisRound = round;
            assertEquals(0, Internals.liveThreads(node), () -> "round " + thisRound + ": threads left after close: "
                    + Internals.describeLiveThreads(node));
            for (Peer p : made) { // every peer connect() handed out was swept by the close, none slipped past it
                assertEquals(PeerState.CLOSED, p.state(), "round " + round + ": " + p + " outlived close");
                assertTrue(node.peer(p.id()).isEmpty(), "round " + round + ": " + p + " still known after close");
            }
        }
    }

    @Test
    void acceptRacingCloseLeavesNoThreadOrPeerBehind() throws Exception {
        for (int round = 0; round < 100; round++) {
            Node node = NodeConfig.builder().name("arace" + round).start();
            InetSocketAddress address = node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<Socket> clients = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread client = Thread.ofPlatform().start(() -> {
                while (!stop.get() && clients.size() < 500) {
                    try {
                        clients.add(new Socket(address.getAddress(), address.getPort()));
                    } catch (Exception refused) {
                        return;
                    }
                }
            });
            LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(3_000_000));
            node.closeNow();
            stop.set(true);
            client.join();
            assertEquals(0, Internals.liveThreads(node), "round " + round + ": threads left after close");
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    @Test
    void statisticsNeverGoBackwardsWhileANodeCloses() throws Exception {
        try (FrameSink sink = FrameSink.start()) {
            Node node = NodeConfig.builder().name("stats").start();
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                peers.add(node.connect(sink.address()));
            }
            Await.until(() -> peers.stream().allMatch(p -> p.state() == PeerState.CONNECTED), "connected");
            for (int i = 0; i < 100; i++) {
                node.broadcast(new byte[] {1});
            }
            Await.until(() -> node.stats().framesWritten() == 2000, "written");
            AtomicLong highest = new AtomicLong();
            AtomicBoolean wentBack = new AtomicBoolean();
            Thread closer = Thread.ofVirtual().start(node::close);
            while (closer.isAlive()) {
                long w = node.stats().framesWritten();
                if (w < highest.get() || w > 2000) {
                    wentBack.set(true);
                }
                highest.accumulateAndGet(w, Math::max);
            }
            closer.join();
            assertEquals(2000, node.stats().framesWritten(), "after close");
            assertTrue(!wentBack.get(), "framesWritten stayed at 2000 throughout close, highest seen " + highest.get());
        }
    }
}
