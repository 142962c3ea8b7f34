package dev.tether.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Installs a default uncaught-exception handler for the test class and fails a test during which any
 * thread (tether's, a test helper's, a carrier's) died of an exception. {@link TetherTestExtension} counts
 * escapes from tether threads only; this catches the rest, such as a proxy or sink thread that broke.
 */
public final class NoUncaughtExceptions implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final List<String> ESCAPED = new CopyOnWriteArrayList<>();
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoUncaughtExceptions.class);
    /** The default handler while a test class runs under this extension. */
    static final Thread.UncaughtExceptionHandler HANDLER = (t, e) -> {
        ESCAPED.add(t + ": " + e);
        System.err.println("uncaught exception in " + t);
        e.printStackTrace(System.err);
    };

    @Override
    public void beforeAll(ExtensionContext context) {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        context.getStore(NS).put("previous", previous == null ? NONE : previous);
        Thread.setDefaultUncaughtExceptionHandler(HANDLER);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Thread.UncaughtExceptionHandler previous = context.getStore(NS).get("previous", Thread.UncaughtExceptionHandler.class);
        Thread.setDefaultUncaughtExceptionHandler(previous == NONE ? null : previous);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("mark", ESCAPED.size());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        int mark = context.getStore(NS).get("mark", Integer.class);
        List<String> escaped = ESCAPED.subList(Math.min(mark, ESCAPED.size()), ESCAPED.size());
        if (!escaped.isEmpty()) {
            throw new AssertionError(escaped.size() + " exceptions escaped a thread during the test: " + escaped);
        }
    }

    /** Thread-safe view of everything caught so far, for a test that wants to look mid-way. */
    public static List<String> escaped() {
        return List.copyOf(ESCAPED);
    }

    private static final Thread.UncaughtExceptionHandler NONE = (t, e) -> { };
}
