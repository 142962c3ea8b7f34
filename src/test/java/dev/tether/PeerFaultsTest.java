package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import dev.tether.testing.EventLog;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.FrameSink;
import dev.tether.testing.HangingListener;
import dev.tether.testing.OpenFiles;
import dev.tether.testing.StreamCheck;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One misbehaving peer or network condition at a time, on real sockets: what the event says, that the peer
 * keeps being retried, and that nothing queued is lost or doubled where tether promises it is not.
 * Random mixes of these faults under load are in {@link RandomFaultStreamTest}.
 */
class PeerFaultsTest {

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** What the remote end does to an idle connection. */
    enum Break {
        /** The peer closes its socket (FIN). */
        PEER_CLOSES(DisconnectReason.PEER_CLOSED),
        /** The peer resets its socket (RST). */
        PEER_RESETS(DisconnectReason.RESET),
        /** Something in between closes both sides. */
        PROXY_CUTS(DisconnectReason.PEER_CLOSED),
        /** Something in between resets both sides. */
        PROXY_RESETS(DisconnectReason.RESET);

        final DisconnectReason expected;

        Break(DisconnectReason expected) {
            this.expected = expected;
        }
    }

    @ParameterizedTest
    @EnumSource(Break.class)
    void aBrokenConnectionIsReportedWithItsReasonAndTheFramesSentMeanwhileArriveOnceInOrderAfterTheReconnect(Break how) throws Exception {
        EventLog events = new EventLog();
        try (FrameSink sink = FrameSink.start(); FaultProxy proxy = new FaultProxy(sink.address());
             Node node = NodeConfig.builder().onEvent(events)
                     .reconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(1), 0.5).start()) {
            boolean viaProxy = how == Break.PROXY_CUTS || how == Break.PROXY_RESETS;
            Peer peer = node.connect(viaProxy ? proxy.address() : sink.address());
            peer.send(ReconnectReplayTest.numbered(0, 16));
            sink.awaitFrames(1, Duration.ofSeconds(10)); // idle from here: the break finds nothing in flight

            switch (how) {
                case PEER_CLOSES -> sink.stop();
                case PEER_RESETS -> sink.resetConnections();
                case PROXY_CUTS -> proxy.cut();
                case PROXY_RESETS -> proxy.reset();
            }
            Await.until(() -> !events.of(Event.Disconnected.class).isEmpty(), "the break is noticed");
            Event.Disconnected d = events.of(Event.Disconnected.class).get(0);
            assertEquals(how.expected, d.reason(), "the event says what happened: " + d);
            assertEquals(how.expected, peer.stats().lastDisconnectReason().orElseThrow());
            for (int i = 1; i <= 100; i++) { // the reconnect waits at least 100 ms: these go to the backlog
                assertEquals(SendResult.ACCEPTED, peer.send(ReconnectReplayTest.numbered(i, 16)));
            }
            if (how == Break.PEER_CLOSES) {
                sink.restart(); // the same port
            }
            List<FrameSink.Received> got = sink.awaitFrames(101, Duration.ofSeconds(10));
            StreamCheck.Result r = StreamCheck.check(got, 101);
            assertTrue(r.clean() && r.missing() == 0 && got.size() == 101, "every frame once, in order: " + r);
            assertEquals(2, got.get(got.size() - 1).connection(), "the backlog went out on the second connection");
            Await.until(() -> events.count(Event.Reconnected.class) == 1, () -> "one reconnect: " + events);
            assertEquals(1, peer.stats().reconnects());
            // the sink may read the bytes before our writer, back from write(), counts them
            Await.until(() -> peer.stats().framesWritten() == 101, () -> "all counted as written: " + peer.stats());
        }
    }

    @Test
    void aPeerThatAcceptsAndNeverReadsIsDisconnectedAsASlowConsumerWhileAnotherPeerIsServed() throws Exception {
        EventLog events = new EventLog();
        try (ServerSocket deaf = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FrameSink healthy = FrameSink.start();
             Node node = NodeConfig.builder().onEvent(events)
                     .backlogLimits(BacklogLimits.ofFrames(200))
                     .overflowTimeout(Duration.ofMillis(300))
                     .sendBufferSize(16 << 10)
                     .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.5)
                     .drainTimeout(Duration.ZERO)
                     .start()) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> { // accepts, holds, never reads
                while (!deaf.isClosed()) {
                    try {
                        accepted.add(deaf.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Peer stuck = node.connect(loopback(deaf.getLocalPort()));
            Peer fine = node.connect(healthy.address());
            Await.until(() -> stuck.state() == PeerState.CONNECTED && fine.state() == PeerState.CONNECTED, "both connected");

            byte[] payload = new byte[4 << 10];
            int sent = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (events.of(Event.Disconnected.class, stuck).isEmpty()) { // broadcast at a steady pace until the watchdog acts
                assertTrue(System.nanoTime() < deadline, "no slow-consumer disconnect within 20 s: " + stuck.stats());
                java.nio.ByteBuffer.wrap(payload).putLong(0, sent);
                node.broadcast(payload);
                sent++;
                int expected = sent;
                Await.until(() -> healthy.frameCount() >= expected, () -> "the healthy peer keeps up: " + healthy.frameCount());
            }
            Event.Disconnected d = events.of(Event.Disconnected.class, stuck).get(0);
            assertEquals(DisconnectReason.SLOW_CONSUMER, d.reason(), d.toString());
            assertTrue(d.detail().contains("reads slower than this node sends"), d.detail());
            Await.until(() -> events.of(Event.Reconnected.class, stuck).size() >= 1, "and is reconnected, to try again");
            assertTrue(events.of(Event.Disconnected.class, fine).isEmpty(), "the healthy peer never noticed");
            assertEquals(0, fine.stats().framesDropped());
            assertTrue(stuck.stats().droppedBacklogFull() > 0, "the stuck peer's overflow was counted: " + stuck.stats());
            deaf.close();
            acceptor.join();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aPeerThatReadsOneByteAtATimeGetsEveryFrameIntactAndIsNeverDisconnected() throws Exception {
        int frames = 300;
        EventLog events = new EventLog();
        try (FrameSink slow = FrameSink.start(); Node node = NodeConfig.builder().onEvent(events).start()) {
            slow.readSlowly(true);
            Peer peer = node.connect(slow.address());
            java.util.Random random = new java.util.Random(11);
            for (int i = 0; i < frames; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(ReconnectReplayTest.numbered(i, 8 + random.nextInt(600))));
            }
            List<FrameSink.Received> got = slow.awaitFrames(frames, Duration.ofSeconds(30));
            StreamCheck.Result r = StreamCheck.check(got, frames);
            assertTrue(r.clean() && r.missing() == 0, r.toString());
            assertEquals(1, slow.connections());
            assertEquals(0, slow.truncatedConnections());
            assertTrue(events.of(Event.Disconnected.class).isEmpty(), "a slow reader under its bound is not a fault: " + events);
        }
    }

    @Test
    void refusedConnectsAreReportedAndRetriedWithDoublingJitteredBackoffUntilAListenerAppearsOnThePort() throws Exception {
        Duration initial = Duration.ofMillis(20);
        Duration max = Duration.ofMillis(160);
        double jitter = 0.5;
        EventLog events = new EventLog();
        int port = BroadcastTest.unusedPort();
        try (Node node = NodeConfig.builder().onEvent(events).reconnectBackoff(initial, max, jitter).start()) {
            Peer peer = node.connect(loopback(port));
            for (int i = 0; i < 50; i++) {
                assertEquals(SendResult.ACCEPTED, peer.send(ReconnectReplayTest.numbered(i, 16)), "queued while nobody listens");
            }
            Await.until(() -> events.count(Event.ConnectFailed.class) >= 6, () -> "six refused attempts: " + events);
            List<EventLog.Timed> failures = events.timed(Event.ConnectFailed.class).toList();
            for (int i = 0; i < 6; i++) {
                Event.ConnectFailed f = (Event.ConnectFailed) failures.get(i).event();
                assertEquals(i + 1, f.attempt(), "attempts are counted: " + f);
                assertEquals(DisconnectReason.CONNECT_FAILED, f.reason());
                assertTrue(f.detail().contains("connection refused") && f.detail().contains(":" + port), f.detail());
                long base = Math.min(initial.toNanos() << i, max.toNanos());
                long retry = f.retryIn().toNanos();
                assertTrue(retry <= base && retry >= (long) (base * (1 - jitter)),
                        "attempt " + f.attempt() + " waits between " + base * (1 - jitter) / 1e6 + " and " + base / 1e6 + " ms: " + f.retryIn());
                if (i > 0) {
                    long waited = failures.get(i).nanos() - failures.get(i - 1).nanos();
                    Duration promised = ((Event.ConnectFailed) failures.get(i - 1).event()).retryIn();
                    assertTrue(waited >= promised.toNanos(), "the supervisor waited the delay it announced: " + waited + " < " + promised);
                }
            }
            assertTrue(peer.state() == PeerState.DISCONNECTED || peer.state() == PeerState.CONNECTING, "retrying: " + peer.state());

            try (FrameSink sink = FrameSink.startOn(port)) {
                List<FrameSink.Received> got = sink.awaitFrames(50, Duration.ofSeconds(10));
                StreamCheck.Result r = StreamCheck.check(got, 50);
                assertTrue(r.clean() && r.missing() == 0 && got.size() == 50, r.toString());
                Await.until(() -> events.count(Event.Connected.class) == 1, "the first successful connect is a Connected");
                assertEquals(0, peer.stats().framesDropped());
            }
        }
    }

    @Test
    void aConnectThatHangsIsAbandonedAtTheConnectTimeoutReportedAsTimedOutAndRetried() throws Exception {
        Duration connectTimeout = Duration.ofMillis(300);
        EventLog events = new EventLog();
        HangingListener hanging = new HangingListener();
        int port = hanging.port();
        try (Node node = NodeConfig.builder().onEvent(events).connectTimeout(connectTimeout)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(50), 0.5).start()) {
            long start = System.nanoTime();
            Peer peer = node.connect(hanging.address());
            peer.send(ReconnectReplayTest.numbered(7, 16));
            Await.until(() -> events.count(Event.ConnectFailed.class) >= 2, () -> "two timed-out attempts: " + events);
            List<EventLog.Timed> failures = events.timed(Event.ConnectFailed.class).toList();
            assertTrue(failures.get(0).nanos() - start >= connectTimeout.toNanos(), "the first attempt waited the whole connect timeout");
            for (int i = 0; i < 2; i++) {
                Event.ConnectFailed f = (Event.ConnectFailed) failures.get(i).event();
                assertEquals(DisconnectReason.CONNECT_FAILED, f.reason());
                assertEquals(i + 1, f.attempt());
                assertTrue(f.detail().contains("connect timed out") && f.detail().contains(":" + port), f.detail());
            }
            assertTrue(failures.get(1).nanos() - failures.get(0).nanos() >= connectTimeout.toNanos(), "the retry hung and timed out too");
            assertEquals(1, peer.queuedFrames(), "what was sent waits for a connection");

            hanging.close(); // the host answers again
            try (FrameSink sink = FrameSink.startOn(port)) {
                FrameSink.Received r = sink.take(Duration.ofSeconds(10));
                assertEquals(7, r.seq());
                Await.until(() -> peer.state() == PeerState.CONNECTED, "connected");
            }
        } finally {
            hanging.close();
        }
    }

    @Test
    void listeningOnAPortThatIsTakenThrowsABindExceptionNamingItAndTheNodeKeepsWorking() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node other = NodeConfig.builder().name("other").start();
             Node node = NodeConfig.builder().start()) {
            int fds = OpenFiles.count();
            BindException e = assertThrows(BindException.class, () -> node.listen(loopback(taken.getLocalPort())));
            assertTrue(e.getMessage().contains(":" + taken.getLocalPort()), e.getMessage());
            InetSocketAddress byTether = other.listen(loopback(0));
            BindException again = assertThrows(BindException.class, () -> node.listen(byTether));
            assertTrue(again.getMessage().contains(":" + byTether.getPort()), again.getMessage());
            if (OpenFiles.supported()) {
                assertEquals(fds + 1, OpenFiles.count(), "the failed binds left no socket open (the +1 is the other node's listener)");
            }
            assertTrue(node.peers().isEmpty() && !node.isClosed());

            InetSocketAddress bound = node.listen(loopback(0)); // the same node listens elsewhere and serves
            try (Node client = NodeConfig.builder().name("client").start()) {
                client.connect(bound).send(new byte[] {42});
                Await.until(() -> node.stats().framesReceived() == 1, "the node serves on the port it could bind");
            }
        }
    }

    @Test
    void aServerThatAnswersEveryConnectionWithGarbageIsReportedAndRetriedWithGrowingBackoffNotHammered() throws Exception {
        Duration initial = Duration.ofMillis(20);
        Duration max = Duration.ofMillis(320);
        double jitter = 0.5;
        EventLog events = new EventLog();
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node node = NodeConfig.builder().onEvent(events).reconnectBackoff(initial, max, jitter).start()) {
            Thread answering = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.add(s);
                        s.getOutputStream().write(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0}); // declares 4 GiB
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Peer peer = node.connect(loopback(server.getLocalPort()));
            peer.send(ReconnectReplayTest.numbered(1, 16));
            Await.until(() -> events.count(Event.Reconnected.class) >= 6, () -> "six reconnects: " + events);
            server.close();
            answering.join();

            List<EventLog.Timed> drops = events.timed(Event.Disconnected.class).toList();
            List<EventLog.Timed> returns = events.timed(Event.Reconnected.class).toList();
            for (int k = 0; k < 6; k++) {
                Event.Disconnected d = (Event.Disconnected) drops.get(k).event();
                assertEquals(DisconnectReason.FRAME_TOO_LARGE, d.reason(), d.toString());
                assertTrue(d.detail().contains("4294967295"), d.detail());
                // each connection died at once, so each wait doubles: initial, 2x, 4x ... up to the cap, less the jitter
                long floor = (long) (Math.min(initial.toNanos() << k, max.toNanos()) * (1 - jitter));
                long waited = returns.get(k).nanos() - drops.get(k).nanos();
                assertTrue(waited >= floor, "reconnect " + (k + 1) + " waited " + waited / 1_000_000 + " ms, less than the "
                        + floor / 1_000_000 + " ms its backoff allows");
            }
            // the garbage may end a connection before its writer ran: the frame is then still queued for the next one
            PeerStats stats = peer.stats();
            assertTrue(stats.framesWritten() <= 1 && stats.framesWritten() + stats.queuedFrames() == 1,
                    "the frame is written at most once, and queued until it is: " + stats);
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aReceiverThatHalfClosesEachConnectionAtOnceStillGetsEveryFrameOnceAndInOrder() throws Exception {
        int frames = 2000;
        EventLog events = new EventLog();
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        List<FrameSink.Received> got = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Node node = NodeConfig.builder().onEvent(events)
                     .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(40), 0.5).start()) {
            Thread receiving = Thread.ofVirtual().start(() -> {
                int connection = 0;
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.add(s);
                        s.shutdownOutput(); // "I will never write": a write-only reader, half-closed from the start
                        int id = ++connection;
                        Thread.ofVirtual().start(() -> readFrames(s, id, got));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Peer peer = node.connect(loopback(server.getLocalPort()));
            for (int round = 0; round < 4; round++) { // in rounds, so that later frames meet later connections
                for (int i = round * frames / 4; i < (round + 1) * frames / 4; i++) {
                    assertEquals(SendResult.ACCEPTED, peer.send(ReconnectReplayTest.numbered(i, 64)));
                }
                int expected = (round + 1) * frames / 4;
                Await.until(() -> got.size() >= expected, () -> got.size() + " of " + expected + " frames, "
                        + events.count(Event.Disconnected.class) + " disconnects");
                int disconnects = events.of(Event.Disconnected.class).size();
                Await.until(() -> events.of(Event.Disconnected.class).size() > disconnects, "that connection ends too");
            }
            assertTrue(got.stream().map(FrameSink.Received::connection).distinct().count() >= 4, "the frames came over several connections");
            StreamCheck.Result r = StreamCheck.check(StreamCheck.inConnectionOrder(got), frames);
            assertTrue(r.clean() && r.missing() == 0 && got.size() == frames, "each frame once, in order: " + r);
            assertTrue(events.of(Event.Disconnected.class).stream().allMatch(d -> d.reason() == DisconnectReason.PEER_CLOSED),
                    "each half-close reads as the peer closing: " + events.of(Event.Disconnected.class));
            server.close();
            receiving.join();
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    /** A minimal receiver for the half-closing test: numbered frames, tagged with the connection they came on. */
    private static void readFrames(Socket s, int connection, List<FrameSink.Received> into) {
        try (java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream())) {
            byte[] header = new byte[12];
            while (true) {
                in.readFully(header);
                int length = java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0);
                byte[] payload = new byte[length];
                in.readFully(payload);
                into.add(new FrameSink.Received(connection, payload, 0));
            }
        } catch (IOException endOfConnection) {
            // tether closed this connection after our half-close; a cut frame is simply not recorded
        }
    }

    /** Sanity check on the tool the hanging-connect test relies on, so a change of kernel shows up here first. */
    @Test
    void theHangingListenerReallyHangsAConnect() throws Exception {
        try (HangingListener hanging = new HangingListener(); Socket s = new Socket()) {
            List<Class<?>> thrown = new ArrayList<>();
            try {
                s.connect(hanging.address(), 100);
            } catch (java.net.SocketTimeoutException e) {
                thrown.add(e.getClass());
            }
            assertEquals(List.of(java.net.SocketTimeoutException.class), thrown);
        }
    }
}
