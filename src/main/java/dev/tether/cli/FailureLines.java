package dev.tether.cli;

import dev.tether.DisconnectReason;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Says on stderr when a peer (blast) or a listen address (sink) starts failing, with tether's reason and
 * detail, and then at most once per {@link #EVERY} while it keeps failing for the same reason: a peer that
 * cannot connect is retried many times a second, and one line each time would bury everything else.
 */
final class FailureLines {
    static final Duration EVERY = Duration.ofSeconds(10);

    private final PrintStream err;
    private final String command;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, State> states = new HashMap<>(); // guarded by lock

    /** What was last said about one label. */
    private static final class State {
        DisconnectReason reason;
        long printedAt;
        long unprinted;
        long since;
    }

    FailureLines(PrintStream err, String command) {
        this(err, command, System::nanoTime);
    }

    FailureLines(PrintStream err, String command, LongSupplier nanoClock) {
        this.err = err;
        this.command = command;
        this.nanoClock = nanoClock;
    }

    /** One more failure of {@code label}; prints a line if it is a new reason, or the last line is {@link #EVERY} old. */
    void failed(String label, DisconnectReason reason, String detail) {
        lock.lock();
        try {
            long now = nanoClock.getAsLong();
            State s = states.computeIfAbsent(label, l -> new State());
            if (s.reason != reason) {
                err.println(command + ": " + label + ": " + reason.description() + ": " + detail);
                s.reason = reason;
                s.since = now;
            } else if (now - s.printedAt >= EVERY.toNanos()) {
                err.println(command + ": " + label + ": still failing (" + Table.count(s.unprinted + 1) + " more times, for "
                        + Table.decimal((now - s.since) / 1e9) + " s): " + reason.description() + ": " + detail);
            } else {
                s.unprinted++;
                return;
            }
            s.printedAt = now;
            s.unprinted = 0;
        } finally {
            lock.unlock();
        }
    }
}
