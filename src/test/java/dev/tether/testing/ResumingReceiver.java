package dev.tether.testing;

import dev.tether.Delivery;
import dev.tether.Node;
import dev.tether.NodeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An acknowledged-mode receiver in a JVM of its own, for tests that kill it: listens on a given loopback
 * port and appends every frame to a {@link ProcessedLog}, from its sequenced handler. With {@code resume} it
 * answers {@code lastProcessed} from that log ({@link NodeConfig.Builder#resumeFrom}); without, it forgets
 * on every restart. Arguments: {@code PORT LOG_FILE resume|forget}. Prints, one line each, flushed:
 * {@code listening <port> records <n> torn <bytes>}; {@code first <stream> <sequence> missed <n>} on the first
 * frame of each connection (its peer's framesMissed then: a gap is counted before that frame is delivered);
 * and, once standard input ends, {@code framesMissed <n> gapWarnings <n> errors <n>} before it closes and
 * exits 0.
 */
public final class ResumingReceiver {

    private ResumingReceiver() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        boolean resume = args[2].equals("resume");
        ProcessedLog log = ProcessedLog.open(Path.of(args[1]));
        NodeConfig.Builder config = NodeConfig.builder().name("resuming-receiver").delivery(Delivery.ACKNOWLEDGED)
                .drainTimeout(Duration.ofSeconds(2))
                .onSequencedMessage((peer, payload, sentAt, stream, sequence) -> {
                    if (sequence == 0) {
                        return; // a hello: not part of the stream
                    }
                    if (peer.attachment() == null) {
                        peer.attach(Boolean.TRUE);
                        print("first " + stream + " " + sequence + " missed " + peer.stats().framesMissed());
                    }
                    log.append(stream, sequence, payload.order(ByteOrder.LITTLE_ENDIAN).getLong(payload.position()));
                });
        if (resume) {
            config.resumeFrom(log::lastProcessed);
        }
        Node node = config.start();
        node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        print("listening " + port + " records " + ProcessedLog.read(Path.of(args[1])).size() + " torn " + log.tornBytes());
        InputStream in = System.in;
        while (in.read() >= 0) {
            // the test ends us by closing our standard input, or kills us
        }
        long missed = node.stats().counters().framesMissed();
        long gapWarnings = CapturingLogs.lines().stream()
                .filter(l -> l.level() == CapturingLogs.Level.WARN && l.message().contains("resumed with a gap")).count();
        print("framesMissed " + missed + " gapWarnings " + gapWarnings + " errors " + CapturingLogs.count(CapturingLogs.Level.ERROR));
        node.close();
        log.close();
    }

    private static void print(String line) {
        System.out.println(line); // one call per line: PrintStream keeps lines from many threads whole
        System.out.flush();
    }
}
