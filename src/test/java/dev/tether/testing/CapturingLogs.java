package dev.tether.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * ("the valid path logs nothing above DEBUG"), and prints WARN and ERROR lines to stderr.
 */
public final class CapturingLogs implements SLF4JServiceProvider {

    public enum Level { TRACE, DEBUG, INFO, WARN, ERROR }

    /** One log line. */
    public record Line(Level level, String logger, String message, Throwable thrown) { }

    private static final List<Line> LINES = new CopyOnWriteArrayList<>();
    private static final java.util.concurrent.atomic.AtomicLongArray COUNTS = new java.util.concurrent.atomic.AtomicLongArray(Level.values().length);
    private static final java.util.concurrent.atomic.AtomicReferenceArray<Line> LAST = new java.util.concurrent.atomic.AtomicReferenceArray<>(Level.values().length);
    private static final int MAX_LINES = 200_000;
    private static final boolean PRINT_INFO = Boolean.getBoolean("tether.test.logInfo");

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
            Line line = new Line(l, name, message, thrown);
            COUNTS.incrementAndGet(l.ordinal());
            LAST.set(l.ordinal(), line);
            if (LINES.size() < MAX_LINES) {
                LINES.add(line);
            }
            if (l.compareTo(Level.WARN) >= 0 || (PRINT_INFO && l == Level.INFO)) {
                System.err.println("[" + l + "] " + Thread.currentThread().getName() + " " + name + ": " + message);
                if (thrown != null) {
                    thrown.printStackTrace(System.err);
                }
            }
        }
    }
}
