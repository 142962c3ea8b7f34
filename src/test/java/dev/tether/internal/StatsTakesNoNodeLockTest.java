package dev.tether.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.NodeConfig;
import dev.tether.NodeStats;
import dev.tether.PeerHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

/**
 * {@code stats()} locks nothing node-wide, only each peer's backlog, one at a time (docs/backlog.md,
 * {@link dev.tether.Node#stats()}): it answers while another thread holds every lock of the node, its
 * registry and the parts of its context.
 */
class StatsTakesNoNodeLockTest {

    @Test
    void statsAnswersWhileAnotherThreadHoldsEveryNodeWideLock() throws Exception {
        NodeCore node = NodeCore.create(NodeConfig.builder().name("locks").build(), PeerHandles::of);
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.getLocalPort());
            closed.close();
            for (int i = 0; i < 10; i++) {
                node.connect(nowhere);
            }
            List<Lock> locks = nodeWideLocks(node);
            assertTrue(locks.size() >= 2, "found the node's locks (the registry's, the node state's ...): " + locks);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> {
                locks.forEach(Lock::lock);
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    locks.forEach(Lock::unlock);
                }
            });
            try {
                assertTrue(held.await(10, TimeUnit.SECONDS), "every node-wide lock is held");
                AtomicReference<NodeStats> answer = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().start(() -> answer.set(node.stats()));
                reader.join(5_000);
                assertFalse(reader.isAlive(), "stats() waited for a node-wide lock");
                assertEquals(10, answer.get().peers());
            } finally {
                release.countDown();
                holder.join();
            }
        } finally {
            node.close(Duration.ZERO);
        }
    }

    /** Every Lock in a field of the node, its registry, its context and each part of its context. */
    private static List<Lock> nodeWideLocks(NodeCore node) throws ReflectiveOperationException {
        List<Object> owners = new ArrayList<>(List.of(node, node.registry(), node.context()));
        for (RecordComponent c : NodeContext.class.getRecordComponents()) {
            Object part = c.getAccessor().invoke(node.context());
            if (part != null && part.getClass().getName().startsWith("dev.tether.internal.")) {
                owners.add(part);
            }
        }
        List<Lock> locks = new ArrayList<>();
        for (Object owner : owners) {
            for (Class<?> type = owner.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
                for (Field f : type.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) && Lock.class.isAssignableFrom(f.getType())) {
                        f.setAccessible(true);
                        locks.add((Lock) f.get(owner));
                    }
                }
            }
        }
        return locks;
    }
}
