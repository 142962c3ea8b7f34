package dev.tether.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of target/tether.jar: {@code java -jar target/tether.jar demo|blast|sink [options]}.
 * {@link #run} does the work and returns the exit code, so tests call it directly.
 */
public final class Main {
    /** The run completed and its check passed. */
    static final int EXIT_OK = 0;
    /** The run completed but its check failed: frames missing, duplicated, out of order, not written. */
    static final int EXIT_FAILED = 1;
    /** Bad usage: unknown, missing or malformed option, an address that cannot be bound. */
    static final int EXIT_USAGE = 2;

    static final String USAGE = """
            usage: java -jar tether.jar COMMAND [options]

            commands:
              demo    three sinks and a broadcaster in this process; one sink is stopped mid-run and
                      started again; ends with a table of what each sink received
              blast   send N numbered frames to one or more sinks (HOST:PORT), through reconnects
              sink    receive numbered frames and count what is missing, duplicated or out of order

            Try two hosts like iperf:  on B: java -jar tether.jar sink --listen 0.0.0.0:7000 --expect 1000000
                                       on A: java -jar tether.jar blast --to B:7000 --messages 1000000 --size 64

            java -jar tether.jar COMMAND --help shows the options of each command.
            exit status: 0 success; 1 the run's check failed; 2 bad usage
            """;

    private Main() {
    }

    public static void main(String[] args) {
        configureLogging(Arrays.asList(args).contains("--verbose"));
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code. Output goes to {@code out}, progress and errors to {@code err}. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return EXIT_USAGE;
        }
        String command = args[0];
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            switch (command) {
                case "--help", "-h", "help" -> {
                    out.print(USAGE);
                    return EXIT_OK;
                }
                case "demo" -> {
                    Options o = Options.parse(Demo.SPEC, rest);
                    if (o.help()) {
                        out.print(Demo.USAGE);
                        return EXIT_OK;
                    }
                    return new Demo(Demo.config(o), out, err).run();
                }
                case "blast" -> {
                    Options o = Options.parse(Blast.SPEC, rest);
                    if (o.help()) {
                        out.print(Blast.USAGE);
                        return EXIT_OK;
                    }
                    return new Blast(Blast.config(o), out, err).run();
                }
                case "sink" -> {
                    Options o = Options.parse(Sink.SPEC, rest);
                    if (o.help()) {
                        out.print(Sink.USAGE);
                        return EXIT_OK;
                    }
                    return new Sink(Sink.config(o), out, err).run();
                }
                default -> throw new UsageException("unknown command '" + command + "' (expected demo, blast or sink; see --help)");
            }
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return EXIT_FAILED;
        }
    }

    /**
     * The jar bundles slf4j-simple: WARN and above on stderr, so the output is the tool's own, unless
     * {@code --verbose} (INFO). Settings given with -D win. Must run before the first logger is made.
     */
    static void configureLogging(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
