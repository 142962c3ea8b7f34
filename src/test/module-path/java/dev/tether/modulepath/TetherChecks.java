package dev.tether.modulepath;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The module-path test run's stand-in for the test checks (dev.tether.testing.NoUncaughtExceptions and
 * TetherTestExtension), which JUnit finds through META-INF/services on the class path run. On the module
 * path the tests are patched into the named module dev.tether, and ServiceLoader skips every provider
 * listed in META-INF/services whose class is in a named module; this class is compiled apart and put on
 * the class path (see pom.xml), so ServiceLoader takes it, and it runs both checks in the same order.
 */
public final class TetherChecks implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private final Extension uncaught = load("dev.tether.testing.NoUncaughtExceptions");
    private final Extension tether = load("dev.tether.testing.TetherTestExtension");

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        ((BeforeAllCallback) uncaught).beforeAll(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        ((BeforeEachCallback) uncaught).beforeEach(context);
        ((BeforeEachCallback) tether).beforeEach(context);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Throwable failure = null; // both run, as JUnit runs every after-callback, and the first failure is reported
        try {
            ((AfterEachCallback) tether).afterEach(context);
        } catch (Exception | AssertionError e) {
            failure = e;
        }
        try {
            ((AfterEachCallback) uncaught).afterEach(context);
        } catch (Exception | AssertionError e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure instanceof Exception e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        ((AfterAllCallback) uncaught).afterAll(context);
    }

    private static Extension load(String name) {
        try {
            return (Extension) Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load the test check " + name, e);
        }
    }
}
