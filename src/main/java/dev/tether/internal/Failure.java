package dev.tether.internal;

import dev.tether.DisconnectReason;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/**
 * Why a connection ended, as recorded once by the first thread that saw it end.
 *
 * @param reason the kind of failure
 * @param detail what happened, for a person, with what to change where we know it
 * @param refused the peer itself refused the connection before taking any data (a mode mismatch, a TLS alert,
 *     a listener that is full): what was written on it went nowhere and is written again on the next one
 */
record Failure(DisconnectReason reason, String detail, boolean refused) {

    static final Failure PEER_CLOSED = new Failure(DisconnectReason.PEER_CLOSED, "peer closed the connection");
    static final Failure FLUSHED = new Failure(DisconnectReason.LOCAL_CLOSE, "closed by this node after flushing");

    Failure(DisconnectReason reason, String detail) {
        this(reason, detail, false);
    }

    /** A refusal the peer expressed, with what it said. */
    static Failure refusal(DisconnectReason reason, String detail) {
        return new Failure(reason, "refused by the peer: " + detail, true);
    }

    /** The same failure, counted as the peer's refusal (a TLS alert or TLS record before the listener answered). */
    Failure asRefusal() {
        return new Failure(reason, detail, true);
    }

    /**
     * Whether the connection may end gracefully (what the kernel holds is still delivered): only when the peer
     * ended it, or after a flush. Every end tether itself decides on a failure is a reset, so the old
     * connection can never deliver after the one that replaces it has started.
     */
    boolean graceful() {
        return this == FLUSHED || reason == DisconnectReason.PEER_CLOSED;
    }

    /** Names an exception a socket threw as a reason and a text a person can act on. */
    static Failure of(Throwable e) {
        if (e instanceof DisconnectException d) {
            return new Failure(d.reason(), d.getMessage(), d.refused());
        }
        String text = String.valueOf(e.getMessage());
        if (e instanceof EOFException) {
            return PEER_CLOSED;
        }
        if (e instanceof SSLException) {
            return new Failure(DisconnectReason.HANDSHAKE_FAILED, "TLS handshake failed: " + tlsText(e));
        }
        if (e instanceof ClosedChannelException) {
            return new Failure(DisconnectReason.LOCAL_CLOSE, "socket closed locally");
        }
        if (text.contains("Connection reset")) {
            return new Failure(DisconnectReason.RESET, "connection reset by peer");
        }
        if (text.contains("Broken pipe")) {
            return new Failure(DisconnectReason.PEER_CLOSED, "peer closed the connection (broken pipe on write)");
        }
        return new Failure(DisconnectReason.IO_ERROR, describe(e));
    }

    /** The same for a failed connect attempt: refused, timed out, unknown host, TLS. */
    static Failure ofConnect(Throwable e, String target) {
        if (e instanceof DisconnectException d) {
            return new Failure(d.reason(), d.getMessage(), d.refused());
        }
        if (e instanceof SSLException) {
            return new Failure(DisconnectReason.HANDSHAKE_FAILED, "TLS handshake with " + target + " failed: "
                    + TlsFailureText.of(e, TlsFailureText.Side.CLIENT));
        }
        if (e instanceof ConnectException) {
            return new Failure(DisconnectReason.CONNECT_FAILED, target + ": connection refused (is anything listening there?)");
        }
        if (e instanceof SocketTimeoutException) {
            return new Failure(DisconnectReason.CONNECT_FAILED, target + ": connect timed out");
        }
        if (e instanceof UnknownHostException || e instanceof UnresolvedAddressException) {
            return new Failure(DisconnectReason.CONNECT_FAILED, target + ": unknown host");
        }
        if (e instanceof NoRouteToHostException) {
            return new Failure(DisconnectReason.CONNECT_FAILED, target + ": no route to host");
        }
        Failure f = of(e);
        return f.reason() == DisconnectReason.IO_ERROR
                ? new Failure(DisconnectReason.CONNECT_FAILED, target + ": " + f.detail())
                : f;
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    /** What went wrong in a TLS handshake, when this node's end of it is not known. */
    static String tlsText(Throwable e) {
        return TlsFailureText.of(e, TlsFailureText.Side.UNKNOWN);
    }
}
