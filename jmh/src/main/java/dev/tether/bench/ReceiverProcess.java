package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Receiver} running in a child process, started with this JVM's own {@code java} and class path
 * (the benchmarks jar), and the control connection to it. The child exits when the control connection
 * closes, so it never outlives the benchmark, even one that crashed.
 */
public final class ReceiverProcess implements AutoCloseable {
    /** JVM options of the receiver process; the system property {@code tether.bench.receiverJvm} replaces them. */
    static final String DEFAULT_JVM_OPTIONS = "-Xms256m -Xmx1g";

    private final Process process;
    private final Socket control;
    private final BufferedReader in;
    private final PrintWriter out;
    private final List<InetSocketAddress> ports;

    private ReceiverProcess(Process process, Socket control, List<InetSocketAddress> ports) throws IOException {
        this.process = process;
        this.control = control;
        this.in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
        this.out = new PrintWriter(new OutputStreamWriter(control.getOutputStream(), StandardCharsets.US_ASCII), false);
        this.ports = ports;
    }

    /** A raw frame-counting receiver on {@code ports} ports, a platform reader thread per connection. */
    public static ReceiverProcess raw(int ports) {
        return start("--kind", "raw", "--ports", Integer.toString(ports));
    }

    /** Starts a receiver with these {@link Receiver} arguments and waits until it listens. */
    public static ReceiverProcess start(String... receiverArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : System.getProperty("tether.bench.receiverJvm", DEFAULT_JVM_OPTIONS).trim().split("\\s+")) {
            if (!option.isEmpty()) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Receiver.class.getName());
        command.addAll(Arrays.asList(receiverArgs));
        Process process = null;
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            String ready = stdout.readLine();
            for (int skipped = 0; ready != null && !ready.startsWith("READY ") && skipped < 50; skipped++) {
                System.out.println("[receiver] " + ready); // e.g. JFR's start-up lines, with -XX:StartFlightRecording in the receiver's options
                ready = stdout.readLine();
            }
            if (ready == null || !ready.startsWith("READY ")) {
                throw new IllegalStateException("receiver did not start (said " + ready + "); command: " + command);
            }
            Thread.ofPlatform().daemon().name("receiver-stdout").start(() -> drain(stdout));
            int controlPort = -1;
            List<InetSocketAddress> data = new ArrayList<>();
            for (String field : ready.substring(6).split(" ")) {
                if (field.startsWith("control=")) {
                    controlPort = Integer.parseInt(field.substring(8));
                } else if (field.startsWith("data=")) {
                    for (String p : field.substring(5).split(",")) {
                        data.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(p)));
                    }
                }
            }
            Socket control = new Socket(InetAddress.getLoopbackAddress(), controlPort);
            control.setTcpNoDelay(true);
            return new ReceiverProcess(process, control, List.copyOf(data));
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private static void drain(BufferedReader stdout) {
        try {
            String line;
            while ((line = stdout.readLine()) != null) {
                System.out.println("[receiver] " + line);
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** The data ports, in order. */
    public List<InetSocketAddress> ports() {
        return ports;
    }

    /** Sends one command and returns the reply's fields after {@code OK}; throws on anything else. */
    public synchronized String[] call(String command) {
        out.print(command);
        out.print('\n');
        out.flush();
        String reply;
        try {
            reply = in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("receiver control connection failed on " + command, e);
        }
        if (reply == null) {
            throw new IllegalStateException("receiver exited during " + command);
        }
        String[] fields = reply.split(" ");
        if (!fields[0].equals("OK")) {
            throw new IllegalStateException("receiver answered " + command + " with " + reply);
        }
        return Arrays.copyOfRange(fields, 1, fields.length);
    }

    /** Frames counted since the last {@link #reset()}, over all ports. */
    public long total() {
        return Long.parseLong(call("COUNT")[0]);
    }

    /** Frames counted since the last reset, per port. */
    public long[] perPort() {
        String[] f = call("COUNT");
        long[] counts = new long[f.length - 1];
        for (int i = 1; i < f.length; i++) {
            counts[i - 1] = Long.parseLong(f[i]);
        }
        return counts;
    }

    /** Zeroes the counts and the latency samples. */
    public void reset() {
        call("RESET");
    }

    /** Waits until {@code frames} were counted since the last reset; false on timeout. */
    public synchronized boolean await(long frames, Duration timeout) {
        out.print("AWAIT " + frames + " " + timeout.toMillis() + "\n");
        out.flush();
        try {
            String reply = in.readLine();
            if (reply == null) {
                throw new IllegalStateException("receiver exited during AWAIT");
            }
            return reply.startsWith("OK");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops listening on port {@code i} and resets its connections. */
    public void closePort(int i) {
        call("CLOSE " + i);
    }

    /** Listens on port {@code i} again, the same port number. */
    public void openPort(int i) {
        call("OPEN " + i);
    }

    /** Resets every connection at once; returns how many there were. */
    public int killConnections() {
        return Integer.parseInt(call("KILL")[0]);
    }

    /** Live connections. */
    public int connections() {
        return Integer.parseInt(call("CONNS")[0]);
    }

    /** Latency percentiles since the last reset: {n, p50, p90, p99, p999, max} from the sender's timestamp, then the same from the intended time. */
    public long[] latency() {
        return Arrays.stream(call("LATENCY")).mapToLong(Long::parseLong).toArray();
    }

    @Override
    public void close() {
        try {
            call("QUIT");
        } catch (RuntimeException ignored) {
            // it is going away anyway
        }
        try {
            control.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
