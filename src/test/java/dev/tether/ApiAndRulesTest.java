package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.testing.FrameSink;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Rules the code must keep, checked on every build. */
class ApiAndRulesTest {
    private static final Path MAIN = Path.of("src", "main", "java");

    /**
     * The public API is reviewed when it changes: this list is regenerated with
     * {@code -Dtether.api.update=true} and the diff reads like a changelog.
     */
    @Test
    void thePublicApiIsExactlyTheCheckedInList() throws IOException {
        String actual = publicApi();
        Path file = Path.of("src", "test", "resources", "api", "tether.api");
        if (Boolean.getBoolean("tether.api.update")) {
            Files.writeString(file, actual);
        }
        String expected = Files.readString(file);
        assertEquals(expected, actual, "the public API changed: review it, then regenerate with -Dtether.api.update=true");
    }

    @Test
    void nothingInTheLibraryUsesSynchronized() throws IOException {
        // On JDK 21 a virtual thread blocking inside a monitor pins its carrier; our build JDK would not show it.
        Pattern keyword = Pattern.compile("\\bsynchronized\\b");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(p);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).replaceAll("//.*|\\*.*", "");
                    if (keyword.matcher(code).find()) {
                        offenders.add(p + ":" + (i + 1));
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "use ReentrantLock instead");
    }

    @Test
    void noTetherThreadPinsItsCarrier() throws Exception {
        exercise(); // first round: class loading and initialization pin once, inside the JDK; not what we look for
        Path file = Files.createTempFile("pinning", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.VirtualThreadPinned").withoutThreshold().withStackTrace();
            recording.start();
            exercise();
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> pinned = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.VirtualThreadPinned"))
                .filter(e -> e.getThread() != null && e.getThread().getJavaName() != null && e.getThread().getJavaName().startsWith("pin-"))
                .filter(ApiAndRulesTest::notInsideTheJdk)
                .toList();
        Files.deleteIfExists(file);
        assertTrue(pinned.isEmpty(), "tether threads pinned their carrier: " + pinned.stream()
                .map(e -> e.getThread().getJavaName() + " " + e.getString("blockingOperation") + " " + e.getStackTrace())
                .collect(Collectors.joining("\n")));
    }

    /**
     * Pins we cannot cause or cure: the JDK's own monitors while it builds an exception (Throwable's
     * synchronized fillInStackTrace, when a read meets a reset) or loads a class.
     */
    private static boolean notInsideTheJdk(RecordedEvent e) {
        if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) {
            return true;
        }
        String top = e.getStackTrace().getFrames().get(0).getMethod().getType().getName();
        if (top.equals("java.lang.Throwable") || top.contains("ClassLoader")) {
            return false;
        }
        // a flight event's commit(): the body is JFR's, injected into the event class, and so is the monitor it
        // may wait for while this test's own recording flushes its buffers (seen: "Contended monitor enter",
        // "Object.wait", both with commit() on top)
        if (top.startsWith("dev.tether.internal.FlightEvents$") && e.getStackTrace().getFrames().get(0).getMethod().getName().equals("commit")) {
            return false;
        }
        // a brief wait for one of the JDK's own internal monitors (NIO channels guard their state with one):
        // tether holds none (see nothingInTheLibraryUsesSynchronized), so this is not ours to fix
        return !(e.getString("blockingOperation").contains("monitor enter") && !top.startsWith("dev.tether"));
    }

    /** Connects, broadcasts, reads, resets and reconnects: every blocking path of the loops. */
    private static void exercise() throws Exception {
        try (FrameSink sink = FrameSink.start();
             Node server = NodeConfig.builder().name("pin-server").start();
             Node node = NodeConfig.builder().name("pin-client").reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50), 0.5).start()) {
            Peer toSink = node.connect(sink.address());
            node.connect(server.listen(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)));
            dev.tether.testing.Await.until(() -> node.stats().peersByState().get(PeerState.CONNECTED) == 2, "connected");
            for (int i = 0; i < 20_000; i++) {
                node.broadcast(new byte[64]);
            }
            sink.awaitFrames(20_000, Duration.ofSeconds(20));
            sink.resetConnections();
            dev.tether.testing.Await.until(() -> toSink.stats().reconnects() == 1, "reconnected");
        }
    }

    static String publicApi() {
        List<String> lines = new ArrayList<>();
        for (Class<?> type : apiTypes()) {
            lines.add(describe(type));
            List<String> members = new ArrayList<>();
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (Modifier.isPublic(c.getModifiers())) {
                    members.add("  " + signature(c, "<init>", null));
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    members.add("  " + (Modifier.isStatic(m.getModifiers()) ? "static " : "") + signature(m, m.getName(), m.getGenericReturnType().getTypeName()));
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (Modifier.isPublic(f.getModifiers())) {
                    members.add("  field " + f.getGenericType().getTypeName() + " " + f.getName());
                }
            }
            members.stream().sorted().forEach(lines::add);
        }
        return lines.stream().map(l -> l.replace("java.lang.", "").replace("dev.tether.", "")).collect(Collectors.joining("\n", "", "\n"));
    }

    private static List<Class<?>> apiTypes() {
        try (Stream<Path> files = Files.list(Path.of("target", "classes", "dev", "tether"))) {
            List<Class<?>> types = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                Class<?> c = load(p.getFileName().toString().replace(".class", ""));
                if (c != null && Modifier.isPublic(c.getModifiers())) {
                    types.add(c);
                }
            }
            types.sort((a, b) -> a.getName().compareTo(b.getName()));
            return types;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> load(String binaryName) {
        try {
            return Class.forName("dev.tether." + binaryName);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static String describe(Class<?> c) {
        String kind = c.isRecord() ? "record" : c.isEnum() ? "enum" : c.isInterface() ? (c.isAnnotation() ? "@interface" : "interface") : "class";
        String mods = (c.isSealed() ? "sealed " : "") + (Modifier.isFinal(c.getModifiers()) && !c.isRecord() && !c.isEnum() ? "final " : "");
        String ext = c.getSuperclass() != null && c.getSuperclass() != Object.class && !c.isRecord() && !c.isEnum()
                ? " extends " + c.getSuperclass().getName() : "";
        String impl = c.getInterfaces().length == 0 ? "" : " implements " + Arrays.stream(c.getInterfaces()).map(Class::getName).collect(Collectors.joining(", "));
        if (c.isEnum()) {
            return "enum " + c.getName() + " {" + Arrays.stream(c.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", ")) + "}";
        }
        return mods + kind + " " + c.getName() + ext + impl;
    }

    private static String signature(Executable e, String name, String returns) {
        String params = Arrays.stream(e.getGenericParameterTypes()).map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(", "));
        String thrown = e.getExceptionTypes().length == 0 ? "" : " throws " + Arrays.stream(e.getExceptionTypes()).map(Class::getName).collect(Collectors.joining(", "));
        return (returns == null ? "" : returns + " ") + name + "(" + params + ")" + thrown;
    }
}
