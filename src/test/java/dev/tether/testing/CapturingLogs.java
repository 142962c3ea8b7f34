package dev.tether.testing;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J backend of the tests: keeps every log line tether writes so tests can assert on levels
 * ("the valid path logs nothing above DEBUG"). Prints nothing by default: many tests provoke warnings on
 * purpose, and {@link TetherTestExtension} prints a test's WARN and ERROR lines if that test fails.
 * {@code -Dtether.test.logWarn=true} prints WARN and ERROR lines as they happen, {@code -Dtether.test.logInfo=true}
 * INFO and above.
 */
public final class CapturingLogs implements SLF4JServiceProvider {

    public enum Level { TRACE, DEBUG, INFO, WARN, ERROR }

    /** One log line. */
    public record Line(Level level, String logger, String message, Throwable thrown, String thread) { }

    private static final List<Line> LINES = new CopyOnWriteArrayList<>();
    private static final java.util.concurrent.atomic.AtomicLongArray COUNTS = new java.util.concurrent.atomic.AtomicLongArray(Level.values().length);
    private static final java.util.concurrent.atomic.AtomicReferenceArray<Line> LAST = new java.util.concurrent.atomic.AtomicReferenceArray<>(Level.values().length);
    private static final int MAX_LINES = 200_000;
    private static final boolean PRINT_INFO = Boolean.getBoolean("tether.test.logInfo");
    private static final boolean PRINT_WARN = PRINT_INFO || Boolean.getBoolean("tether.test.logWarn");
    private static final int MAX_WARNINGS = 20_000; // the newest WARN and ERROR lines, for a failed test's report
    private static final ReentrantLock WARNINGS_LOCK = new ReentrantLock();
    private static final ArrayDeque<Line> WARNINGS = new ArrayDeque<>(); // guarded by WARNINGS_LOCK
    private static long warningsSeen;                                     // guarded by WARNINGS_LOCK

    private final ILoggerFactory factory = CapturingLogger::new;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    public static List<Line> lines() {
        return new ArrayList<>(LINES);
    }

    public static long count(Level level) {
        return COUNTS.get(level.ordinal());
    }

    public static Line last(Level level) {
        return LAST.get(level.ordinal());
    }

    /** A mark to pass to {@link #since}. */
    public static int mark() {
        return LINES.size();
    }

    public static List<Line> since(int mark) {
        List<Line> copy = lines();
        return copy.subList(Math.min(mark, copy.size()), copy.size());
    }

    /** A mark to pass to {@link #warningsSince}: WARN and ERROR lines are kept apart, so a long run never loses the newest. */
    public static long warningMark() {
        WARNINGS_LOCK.lock();
        try {
            return warningsSeen;
        } finally {
            WARNINGS_LOCK.unlock();
        }
    }

    /** The WARN and ERROR lines since the mark (the newest {@value #MAX_WARNINGS} at most). */
    public static List<Line> warningsSince(long mark) {
        WARNINGS_LOCK.lock();
        try {
            List<Line> all = new ArrayList<>(WARNINGS);
            long first = warningsSeen - all.size(); // the number of the oldest line still kept
            return all.subList((int) Math.min(all.size(), Math.max(0, mark - first)), all.size());
        } finally {
            WARNINGS_LOCK.unlock();
        }
    }

    /** One line as it is printed: level, thread, logger, message, then any stack trace. */
    public static void print(Line line, PrintStream out) {
        out.println("[" + line.level() + "] " + line.thread() + " " + line.logger() + ": " + line.message());
        if (line.thrown() != null) {
            line.thrown().printStackTrace(out);
        }
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
    }

    private static final class CapturingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        CapturingLogger(String name) {
            this.name = name;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(org.slf4j.event.Level level, Marker marker, String pattern,
                                                   Object[] args, Throwable thrown) {
            String message = MessageFormatter.basicArrayFormat(pattern, args);
            Level l = Level.valueOf(level.name());
            Line line = new Line(l, name, message, thrown, Thread.currentThread().getName());
            COUNTS.incrementAndGet(l.ordinal());
            LAST.set(l.ordinal(), line);
            if (LINES.size() < MAX_LINES) {
                LINES.add(line);
            }
            if (l.compareTo(Level.WARN) >= 0) {
                WARNINGS_LOCK.lock();
                try {
                    if (WARNINGS.size() == MAX_WARNINGS) {
                        WARNINGS.removeFirst();
                    }
                    WARNINGS.addLast(line);
                    warningsSeen++;
                } finally {
                    WARNINGS_LOCK.unlock();
                }
            }
            if ((PRINT_WARN && l.compareTo(Level.WARN) >= 0) || (PRINT_INFO && l == Level.INFO)) {
                print(line, System.err);
            }
        }
    }
}
