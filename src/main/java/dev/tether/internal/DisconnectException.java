package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.IOException;

/** Ends a connection with a known reason: a bad frame, a failed handshake, a refusal by the peer. */
final class DisconnectException extends IOException {
    private final DisconnectReason reason;
    private final boolean refused;

    DisconnectException(DisconnectReason reason, String detail) {
        this(reason, detail, null, false);
    }

    DisconnectException(DisconnectReason reason, String detail, Throwable cause) {
        this(reason, detail, cause, false);
    }

    private DisconnectException(DisconnectReason reason, String detail, Throwable cause, boolean refused) {
        super(detail, cause);
        this.reason = reason;
        this.refused = refused;
    }

    /** The peer refused the connection before taking any data (see {@link Failure#refused()}). */
    static DisconnectException refusal(DisconnectReason reason, String detail) {
        return new DisconnectException(reason, "refused by the peer: " + detail, null, true);
    }

    DisconnectReason reason() {
        return reason;
    }

    boolean refused() {
        return refused;
    }
}
