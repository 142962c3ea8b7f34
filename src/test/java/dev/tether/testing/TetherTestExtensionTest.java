package dev.tether.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * The build's console stays free of the warnings tests provoke on purpose: they are kept, and printed only
 * for a test that failed.
 */
class TetherTestExtensionTest {

    @Test
    void warningsOfAPassingTestStayQuietAndThoseOfAFailingTestArePrintedWithTheirStackTrace() {
        assertEquals("", stderrOf(false), "a passing test prints nothing, though it logged a WARN with a stack trace");
        String failed = stderrOf(true);
        assertTrue(failed.contains("WARN/ERROR log lines of the failed test provoking()"), failed);
        assertTrue(failed.contains("[WARN] ") && failed.contains("dev.tether.testing.provoked: a warning on purpose"), failed);
        assertTrue(failed.contains("java.lang.IllegalStateException: on purpose"), "with its stack trace: " + failed);
    }

    /** What a test that logs one WARN prints on stderr, when it passes or fails, as the extension runs around it. */
    private static String stderrOf(boolean fails) {
        ExtensionContext context = context(fails);
        TetherTestExtension extension = new TetherTestExtension();
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            extension.beforeEach(context);
            LoggerFactory.getLogger("dev.tether.testing.provoked").warn("a warning on purpose", new IllegalStateException("on purpose"));
            extension.afterEach(context);
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static ExtensionContext context(boolean failed) {
        Map<Object, Object> values = new HashMap<>();
        ExtensionContext.Store store = mock(ExtensionContext.Store.class);
        when(store.get(any(), any())).thenAnswer(call -> values.get(call.getArgument(0)));
        org.mockito.Mockito.doAnswer(call -> values.put(call.getArgument(0), call.getArgument(1))).when(store).put(any(), any());
        ExtensionContext context = mock(ExtensionContext.class);
        when(context.getStore(any())).thenReturn(store);
        when(context.getExecutionException()).thenReturn(failed ? Optional.of(new AssertionError("failed")) : Optional.empty());
        when(context.getDisplayName()).thenReturn("provoking()");
        when(context.getRequiredTestClass()).thenAnswer(call -> TetherTestExtensionTest.class);
        return context;
    }
}
