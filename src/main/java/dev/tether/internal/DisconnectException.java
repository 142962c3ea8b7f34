package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;

/** Ends a connection with a known reason: a bad frame, a failed handshake, a slow consumer. */
public final class DisconnectException extends IOException {
    private final DisconnectReason reason;

    public DisconnectException(DisconnectReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public DisconnectException(DisconnectReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public DisconnectReason reason() {
        return reason;
    }
}
