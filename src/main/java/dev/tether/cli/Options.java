package dev.tether.cli;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of one subcommand, parsed: {@code --name value}, {@code --name=value} and flags. Knows
 * nothing of what the options mean; the typed getters turn a value into a number, a duration or a list of
 * addresses, and every problem becomes a {@link UsageException} that names the option and says what it
 * expects.
 */
final class Options {

    /** What a subcommand accepts: option name (with its dashes) to a description of its value, or null for a flag. */
    static final class Spec {
        private final String command;
        private final Map<String, String> options = new LinkedHashMap<>();

        Spec(String command) {
            this.command = command;
        }

        /** An option that takes a value; {@code expects} completes "--x needs a value (...)". */
        Spec value(String name, String expects) {
            options.put(name, expects);
            return this;
        }

        /** An option without a value. */
        Spec flag(String name) {
            options.put(name, null);
            return this;
        }

        String command() {
            return command;
        }
    }

    private final Spec spec;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();
    private final boolean help;

    private Options(Spec spec, boolean help) {
        this.spec = spec;
        this.help = help;
    }

    /** Parses {@code args} (the words after the subcommand). {@code --help} or {@code -h} anywhere wins over any error. */
    static Options parse(Spec spec, List<String> args) throws UsageException {
        if (args.contains("--help") || args.contains("-h")) {
            return new Options(spec, true);
        }
        Options o = new Options(spec, false);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.equals("--")) {
                throw new UsageException("unexpected argument '" + arg + "' for " + spec.command
                        + " (see " + spec.command + " --help)");
            }
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            if (!spec.options.containsKey(name)) {
                throw new UsageException("unknown option " + name + " for " + spec.command + " (see " + spec.command + " --help)");
            }
            String expects = spec.options.get(name);
            if (expects == null) {
                if (inline != null) {
                    throw new UsageException(name + " takes no value, got '" + inline + "'");
                }
                o.flags.add(name);
                continue;
            }
            String value = inline;
            if (value == null) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    throw new UsageException(name + " needs a value (" + expects + ")");
                }
                value = args.get(++i);
            }
            if (o.values.put(name, value) != null) {
                throw new UsageException(name + " is given twice");
            }
        }
        return o;
    }

    boolean help() {
        return help;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    Optional<String> value(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** The value of a required option; missing, it is an error that shows the expected form. */
    String required(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(name + " is required (" + spec.options.get(name) + ")");
        }
        return v;
    }

    /** A positive whole number, or {@code otherwise} if the option is absent. */
    long positiveLong(String name, long otherwise) throws UsageException {
        String v = values.get(name);
        return v == null ? otherwise : positiveLong(name, v);
    }

    /** A required positive whole number. */
    long positiveLong(String name) throws UsageException {
        return positiveLong(name, required(name));
    }

    private static long positiveLong(String name, String v) throws UsageException {
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " expects a positive integer, got '" + v + "'");
        }
        if (n <= 0) {
            throw new UsageException(name + " expects a positive integer, got '" + v + "'");
        }
        return n;
    }

    /** A positive number (fractions allowed), or {@code otherwise} if absent. */
    double positiveNumber(String name, double otherwise, String unit) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(name + " expects a positive number (" + unit + "), got '" + v + "'");
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new UsageException(name + " expects a positive number (" + unit + "), got '" + v + "'");
        }
        return d;
    }

    /** A positive number of seconds (fractions allowed), or {@code otherwise} if absent. */
    Duration seconds(String name, Duration otherwise) throws UsageException {
        if (!has(name)) {
            return otherwise;
        }
        double s = positiveNumber(name, 0, "seconds");
        if (s > 365 * 86400.0) {
            throw new UsageException(name + " expects at most a year of seconds, got '" + values.get(name) + "'");
        }
        return Duration.ofNanos(Math.max(1, (long) (s * 1e9)));
    }

    /** A required list of addresses. */
    List<HostPort> addresses(String name, boolean allowPortZero) throws UsageException {
        return HostPort.parseList(name, required(name), allowPortZero);
    }
}
