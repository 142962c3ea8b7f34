package dev.tether.testing;

import dev.tether.internal.Internals;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * On every test: fails it if a tether thread outlives the test (every node must be closed and closing
 * must end every thread), if an exception escaped a tether thread, or if tether logged at ERROR. If the
 * test fails, prints the WARN and ERROR lines tether logged during it (otherwise {@link CapturingLogs} keeps
 * them quiet: many tests provoke them on purpose).
 */
public final class TetherTestExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TetherTestExtension.class);
    private static volatile java.lang.reflect.Method running; // the test this extension last began checking
    private static volatile Predicate<CapturingLogs.Line> expectedErrors = line -> false; // reset for every test

    /** ERROR lines the running test provokes on purpose: those matching are not held against it. */
    public static void expectErrors(Predicate<CapturingLogs.Line> which) {
        expectedErrors = which;
    }

    /** The test method whose checks began last: for a test that proves the extension runs without being named. */
    public static java.util.Optional<java.lang.reflect.Method> running() {
        return java.util.Optional.ofNullable(running);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        running = context.getTestMethod().orElse(null);
        expectedErrors = line -> false;
        context.getStore(NS).put("uncaught", Internals.uncaughtInJvm());
        context.getStore(NS).put("errors", CapturingLogs.count(CapturingLogs.Level.ERROR));
        context.getStore(NS).put("warnings", CapturingLogs.warningMark());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            check(context);
        } catch (AssertionError | RuntimeException e) {
            printWarnings(context);
            throw e;
        }
        if (context.getExecutionException().isPresent()) {
            printWarnings(context);
        }
    }

    private static void printWarnings(ExtensionContext context) {
        List<CapturingLogs.Line> lines = CapturingLogs.warningsSince(context.getStore(NS).get("warnings", Long.class));
        if (!lines.isEmpty()) {
            System.err.println("--- " + lines.size() + " WARN/ERROR log lines of the failed test " + context.getDisplayName()
                    + " (" + context.getRequiredTestClass().getSimpleName() + "):");
            lines.forEach(line -> CapturingLogs.print(line, System.err));
            System.err.println("--- end of the log lines of " + context.getDisplayName());
        }
    }

    private static void check(ExtensionContext context) {
        Await.until(Duration.ofSeconds(10), () -> Internals.liveThreadsInJvm() == 0,
                () -> Internals.liveThreadsInJvm() + " tether threads still alive after the test: a node was not closed, or close left threads behind");
        long uncaught = Internals.uncaughtInJvm() - context.getStore(NS).get("uncaught", Long.class);
        if (uncaught != 0) {
            throw new AssertionError(uncaught + " exceptions escaped tether threads during the test");
        }
        Predicate<CapturingLogs.Line> expected = expectedErrors;
        long provoked = CapturingLogs.warningsSince(context.getStore(NS).get("warnings", Long.class)).stream()
                .filter(line -> line.level() == CapturingLogs.Level.ERROR && expected.test(line)).count();
        long errors = CapturingLogs.count(CapturingLogs.Level.ERROR) - context.getStore(NS).get("errors", Long.class) - provoked;
        if (errors != 0) {
            throw new AssertionError(errors + " ERROR log lines during the test: " + CapturingLogs.last(CapturingLogs.Level.ERROR));
        }
    }
}
