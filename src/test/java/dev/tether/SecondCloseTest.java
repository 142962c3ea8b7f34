package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A second {@link Node#close()} returns only once the first has finished, NodeClosed included: shown at the
 * very moment NodeClosed is being delivered (CloseTest.closeFromTwoThreadsClosesOnceAndBothReturnAfterTheEnd
 * catches the same fault only now and then). Fails on ea374e0, where the node was CLOSED before NodeClosed.
 */
class SecondCloseTest {

    @Test
    void aSecondCloseWaitsWhileTheFirstIsStillDeliveringNodeClosed() throws Exception {
        AtomicReference<Node> nodeRef = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        Node node = NodeConfig.builder().name("twice").onEvent(e -> {
            if (e instanceof Event.NodeClosed) {
                // the first close() is delivering NodeClosed: a second close() now must wait, not return
                Thread t = Thread.ofVirtual().start(() -> nodeRef.get().close());
                second.set(t);
                Await.until(() -> t.getState() == Thread.State.WAITING || !t.isAlive(), "the second close() waits or returns");
                seen.add(t.isAlive() ? "the second close() waits" : "the second close() returned while NodeClosed was being delivered");
            }
        }).start();
        nodeRef.set(node);
        node.close();
        second.get().join(10_000);
        assertTrue(!second.get().isAlive(), "the second close() returned once the first had finished");
        assertEquals(List.of("the second close() waits"), seen);
    }

    @Test
    void aCloseFromTheListenerOnNodeClosedReturnsAtOnce() throws Exception {
        AtomicReference<Node> nodeRef = new AtomicReference<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        Node node = NodeConfig.builder().name("reentrant").onEvent(e -> {
            if (e instanceof Event.NodeClosed) {
                nodeRef.get().close(); // on the closing thread: waiting for the close in progress would wait for itself
                seen.add("returned");
            }
        }).start();
        nodeRef.set(node);
        Thread closer = Thread.ofVirtual().start(node::close);
        closer.join(10_000);
        assertTrue(!closer.isAlive(), "close() returned although its NodeClosed listener called close()");
        assertEquals(List.of("returned"), seen);
    }
}
