package dev.tether.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The thread, uncaught-exception and ERROR-log checks run on every test without being named: JUnit finds
 * them through src/test/resources/junit-platform.properties and META-INF/services. This class names none.
 */
class ExtensionsAutodetectedTest {

    @Test
    void bothChecksRunOnATestClassThatDoesNotNameThem(TestInfo test) {
        assertFalse(ExtensionsAutodetectedTest.class.isAnnotationPresent(ExtendWith.class), "this class must not name the extensions");
        assertEquals(test.getTestMethod(), TetherTestExtension.running(),
                "TetherTestExtension began checking this very test: it is registered by auto-detection");
        assertSame(NoUncaughtExceptions.HANDLER, Thread.getDefaultUncaughtExceptionHandler(),
                "NoUncaughtExceptions installed its handler for this class: it is registered by auto-detection");
    }
}
