package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An outbound peer whose socket cannot even be opened (the process is out of file descriptors) keeps
 * trying with its backoff, like any failed attempt, and connects once descriptors are free again: it is
 * never closed for it. Runs in a child JVM, which takes every descriptor it can get.
 */
class DescriptorExhaustionTest {

    @Test
    void aPeerWhoseSocketCannotBeOpenedKeepsRetryingAndConnectsOnceDescriptorsAreFree() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-cp", classPath(), Child.class.getName());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) { // the child ends within its own deadlines (below 30 s)
                lines.add(line);
            }
        } finally {
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        String out = String.join("\n", lines);
        assertEquals(0, child.exitValue(), out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("OK ")), out);
    }

    /** This JVM's class path, and its module path if the tests run on one: the child takes both as its class path. */
    static String classPath() {
        String modules = System.getProperty("jdk.module.path");
        String classes = System.getProperty("java.class.path");
        return modules == null || modules.isEmpty() ? classes : modules + java.io.File.pathSeparator + classes;
    }

    /** The child: hoards descriptors, connects, checks the peer retries, frees them, checks it connects. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            AtomicInteger failures = new AtomicInteger();
            AtomicReference<Event> closed = new AtomicReference<>();
            CountDownLatch settled = new CountDownLatch(3); // three failed attempts, or the peer closed
            try (ServerSocketChannel server = ServerSocketChannel.open()
                         .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 Node node = NodeConfig.builder().name("child")
                         .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(20), 0.5)
                         .onEvent(e -> {
                             if (e instanceof Event.ConnectFailed) {
                                 failures.incrementAndGet();
                                 settled.countDown();
                             } else if (e instanceof Event.PeerClosed) {
                                 closed.set(e);
                                 while (settled.getCount() > 0) {
                                     settled.countDown();
                                 }
                             }
                         })
                         .start()) {
                loadEveryTetherClass(); // a class loaded later from a directory would need a descriptor too
                List<FileChannel> hoard = new ArrayList<>();
                Path devNull = Path.of("/dev/null");
                try {
                    while (hoard.size() < 1_000_000) { // bounded; the descriptor limit ends it long before
                        hoard.add(FileChannel.open(devNull));
                    }
                } catch (IOException outOfDescriptors) {
                    // every descriptor is taken: SocketChannel.open() fails from here on
                }
                Peer peer = node.connect((InetSocketAddress) server.getLocalAddress());
                settled.await(10, TimeUnit.SECONDS);
                int failedWhileExhausted = failures.get();
                Event closedEvent = closed.get();
                for (FileChannel c : hoard) {
                    c.close();
                }
                if (closedEvent != null || failedWhileExhausted < 3) {
                    System.out.println("FAIL after " + hoard.size() + " descriptors: " + failedWhileExhausted
                            + " failed attempts, closed: " + closedEvent + ", state " + peer.state());
                    System.exit(1);
                }
                try (SocketChannel accepted = server.accept()) {
                    boolean connected = peer.awaitConnected(Duration.ofSeconds(10));
                    System.out.println((connected ? "OK " : "FAIL ") + "connected " + connected + " after "
                            + failedWhileExhausted + " failed attempts with " + hoard.size() + " descriptors taken");
                    System.exit(connected ? 0 : 1);
                }
            }
        }

        private static void loadEveryTetherClass() throws IOException, ClassNotFoundException {
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path root = Path.of(entry);
                if (!java.nio.file.Files.isDirectory(root.resolve("dev/tether"))) {
                    continue;
                }
                List<Path> files;
                try (var walk = java.nio.file.Files.walk(root.resolve("dev/tether"))) {
                    files = walk.filter(f -> f.toString().endsWith(".class")).toList();
                }
                for (Path f : files) {
                    String name = root.relativize(f).toString().replace(java.io.File.separatorChar, '.');
                    Class.forName(name.substring(0, name.length() - ".class".length()), true, Child.class.getClassLoader());
                }
            }
        }
    }
}
