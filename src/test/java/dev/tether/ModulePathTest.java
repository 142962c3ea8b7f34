package dev.tether;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * tether works as a named module and on the plain class path: the CLI demo runs both ways in a fresh JVM,
 * and on the module path its flight recorder events are recorded.
 */
class ModulePathTest {
    private static final Path CLASSES = Path.of("target", "classes");

    /** slf4j-api (and slf4j-simple next to it in the local repository, if there) from the test class path. */
    private static List<String> slf4j() {
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("slf4j-api-") && name.endsWith(".jar")) {
                jars.add(entry);
                Path simple = Path.of(entry.replace("slf4j-api", "slf4j-simple"));
                if (Files.exists(simple)) {
                    jars.add(simple.toString());
                }
            }
        }
        assertTrue(!jars.isEmpty(), "slf4j-api on the test class path");
        return jars;
    }

    private static Result java(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(args));
        Path out = Files.createTempFile("tether-child", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM still running after 120 s: " + command);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        return new Result(p.exitValue(), text);
    }

    record Result(int code, String output) { }

    @Test
    void theDemoRunsOnTheModulePathAndRecordsFlightEvents() throws Exception {
        Path jfr = Files.createTempFile("tether-module", ".jfr");
        List<String> modulePath = new ArrayList<>(slf4j());
        modulePath.add(0, CLASSES.toString());
        Result r = java("-XX:StartFlightRecording:filename=" + jfr,
                "--module-path", String.join(File.pathSeparator, modulePath),
                "-m", "dev.tether/dev.tether.cli.Main", "demo", "--frames", "200000", "--outage", "0.3");
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("result: OK"), r.output());
        List<String> names = RecordingFile.readAllEvents(jfr).stream().map(e -> e.getEventType().getName())
                .filter(n -> n.startsWith("dev.tether.")).distinct().sorted().toList();
        Files.deleteIfExists(jfr);
        assertTrue(names.containsAll(List.of("dev.tether.Connected", "dev.tether.Disconnected")), "recorded: " + names);
    }

    @Test
    void theDemoRunsOnTheClassPath() throws Exception {
        List<String> classPath = new ArrayList<>(slf4j());
        classPath.add(0, CLASSES.toString());
        Result r = java("-cp", String.join(File.pathSeparator, classPath), "dev.tether.cli.Main",
                "demo", "--frames", "200000", "--outage", "0.3");
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("result: OK"), r.output());
    }
}
