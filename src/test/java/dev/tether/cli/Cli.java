package dev.tether.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@link Main#run} with captured output, for tests. */
record Cli(int code, String out, String err) {

    static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e);
        }
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The first {@code "name":number} in a JSON text. */
    static long jsonLong(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":(-?\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no \"" + name + "\" in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** The first {@code "name":true|false} in a JSON text. */
    static boolean jsonBoolean(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":(true|false)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no \"" + name + "\" in " + json);
        }
        return Boolean.parseBoolean(m.group(1));
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
