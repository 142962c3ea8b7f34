package dev.tether.cli;

/**
 * A bad command line: unknown or missing option, a value of the wrong kind, an address that cannot be
 * bound. The message is one line that names the option; {@link Main} prints it as {@code error: <message>}
 * and exits with {@link Main#EXIT_USAGE}.
 */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
