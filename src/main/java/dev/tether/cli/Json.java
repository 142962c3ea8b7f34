package dev.tether.cli;

/**
 * A tiny JSON writer for the {@code --json} summaries: objects, arrays, strings, numbers, booleans and
 * null, written in order onto one line. No library: the only run-time dependency is slf4j-api.
 *
 * <pre>{@code
 * new Json().beginObject().field("ok", true).name("peers").beginArray()
 *     .beginObject().field("address", "127.0.0.1:7000").endObject()
 *     .endArray().endObject().toString();
 * }</pre>
 */
final class Json {
    private final StringBuilder out = new StringBuilder();
    private boolean needComma;

    Json beginObject() {
        valueStart();
        out.append('{');
        needComma = false;
        return this;
    }

    Json endObject() {
        out.append('}');
        needComma = true;
        return this;
    }

    Json beginArray() {
        valueStart();
        out.append('[');
        needComma = false;
        return this;
    }

    Json endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    /** The name of the next field; its value follows. */
    Json name(String name) {
        valueStart();
        string(name);
        out.append(':');
        needComma = false;
        return this;
    }

    Json value(String s) {
        valueStart();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        needComma = true;
        return this;
    }

    Json value(long n) {
        valueStart();
        out.append(n);
        needComma = true;
        return this;
    }

    /** A number; NaN and infinities (no JSON form) become null. */
    Json value(double d) {
        valueStart();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(d);
        }
        needComma = true;
        return this;
    }

    Json value(boolean b) {
        valueStart();
        out.append(b);
        needComma = true;
        return this;
    }

    Json field(String name, String s) {
        return name(name).value(s);
    }

    Json field(String name, long n) {
        return name(name).value(n);
    }

    Json field(String name, double d) {
        return name(name).value(d);
    }

    Json field(String name, boolean b) {
        return name(name).value(b);
    }

    private void valueStart() {
        if (needComma) {
            out.append(',');
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
