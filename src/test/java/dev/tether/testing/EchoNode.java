package dev.tether.testing;

import dev.tether.Event;
import dev.tether.Node;
import dev.tether.NodeConfig;
import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * A tether node in a JVM of its own, for tests that may exhaust a heap: listens on a loopback port and
 * answers every frame of up to 64 bytes with the same bytes, and every larger one with its length and
 * CRC-32 (12 bytes), so answering costs no memory of its own. Prints, one line each, flushed:
 * {@code listening <port> budget <bytes> maxMemory <bytes>}, {@code disconnected <reason> <port> <detail>}
 * per ended connection, and, once standard input ends, {@code peakHeap <bytes> peakAfterGc <bytes>
 * usedAfterGc <bytes> errors <n>} before it closes the node and exits 0. {@code peakHeap} sums the peaks of
 * the heap pools (an upper bound: they peak at different times); {@code peakAfterGc} is the most heap any
 * collection left in use.
 */
public final class EchoNode {
    private static final int ECHO_LIMIT = 64;

    private EchoNode() {
    }

    public static void main(String[] args) throws IOException {
        AtomicLong peakAfterGc = watchHeapAfterEachCollection();
        Node node = NodeConfig.builder().name("echo").drainTimeout(Duration.ZERO)
                .onMessage((peer, payload, sentAt) -> {
                    if (payload.remaining() <= ECHO_LIMIT) {
                        byte[] copy = new byte[payload.remaining()];
                        payload.get(payload.position(), copy);
                        peer.send(copy);
                    } else {
                        CRC32 crc = new CRC32();
                        int length = payload.remaining();
                        crc.update(payload.duplicate());
                        peer.send(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(length).putLong(crc.getValue()).flip());
                    }
                })
                .onEvent(e -> {
                    if (e instanceof Event.Disconnected d) {
                        print("disconnected " + d.reason() + " " + d.peer().remoteAddress().getPort() + " " + d.detail());
                    }
                })
                .start();
        InetSocketAddress bound = node.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        print("listening " + bound.getPort() + " budget " + node.config().inboundMemoryBudget()
                + " maxMemory " + Runtime.getRuntime().maxMemory());
        InputStream in = System.in;
        while (in.read() >= 0) {
            // the test ends us by closing our standard input
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed(); // the pools peak at different times: an upper bound
            }
        }
        long peakLive = peakAfterGc.get(); // before our own collections below
        print("peakHeap " + peak + " peakAfterGc " + peakLive + " usedAfterGc " + Heap.usedAfterGc()
                + " errors " + CapturingLogs.count(CapturingLogs.Level.ERROR));
        node.close();
    }

    /** The most heap in use right after any collection, kept up to date by the collectors' notifications. */
    private static AtomicLong watchHeapAfterEachCollection() {
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        AtomicLong peak = new AtomicLong();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                if (n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    Map<String, MemoryUsage> after = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData())
                            .getGcInfo().getMemoryUsageAfterGc();
                    long used = after.entrySet().stream().filter(e -> heapPools.contains(e.getKey()))
                            .mapToLong(e -> e.getValue().getUsed()).sum();
                    peak.accumulateAndGet(used, Math::max);
                }
            }, null, null);
        }
        return peak;
    }

    private static void print(String line) {
        System.out.println(line); // one call per line: PrintStream keeps lines from many threads whole
        System.out.flush();
    }
}
