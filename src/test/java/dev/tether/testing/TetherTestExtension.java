package dev.tether.testing;

import dev.tether.internal.Internals;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * On every test: fails it if a tether thread outlives the test (every node must be closed and closing
 * must end every thread), if an exception escaped a tether thread, or if tether logged at ERROR.
 */
public final class TetherTestExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TetherTestExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("uncaught", Internals.uncaughtInJvm());
        context.getStore(NS).put("errors", CapturingLogs.count(CapturingLogs.Level.ERROR));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Await.until(Duration.ofSeconds(10), () -> Internals.liveThreadsInJvm() == 0,
                () -> Internals.liveThreadsInJvm() + " tether threads still alive after the test: a node was not closed, or close left threads behind");
        long uncaught = Internals.uncaughtInJvm() - context.getStore(NS).get("uncaught", Long.class);
        if (uncaught != 0) {
            throw new AssertionError(uncaught + " exceptions escaped tether threads during the test");
        }
        long errors = CapturingLogs.count(CapturingLogs.Level.ERROR) - context.getStore(NS).get("errors", Long.class);
        if (errors != 0) {
            throw new AssertionError(errors + " ERROR log lines during the test: " + CapturingLogs.last(CapturingLogs.Level.ERROR));
        }
    }
}
