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
public record Failure(DisconnectReason reason, String detail, boolean refused) {

    static final Failure PEER_CLOSED = new Failure(DisconnectReason.PEER_CLOSED, "peer closed the connection");
    static final Failure FLUSHED = new Failure(DisconnectReason.LOCAL_CLOSE, "closed by this node after flushing");

    public Failure(DisconnectReason reason, String detail) {
        this(reason, detail, false);
    }

    /** A refusal the peer expressed, with what it said. */
    static Failure refusal(DisconnectReason reason, String detail) {
        return new Failure(reason, "refused by the peer: " + detail, true);
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
    public static Failure of(Throwable e) {
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
    public static Failure ofConnect(Throwable e, String target) {
        if (e instanceof DisconnectException d) {
            return new Failure(d.reason(), d.getMessage(), d.refused());
        }
        if (e instanceof SSLException) {
            return new Failure(DisconnectReason.HANDSHAKE_FAILED, "TLS handshake with " + target + " failed: " + tlsText(e));
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

    /** What went wrong in a TLS handshake, said so that a person knows what to change. */
    static String tlsText(Throwable e) {
        String all = chain(e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateExpiredException) {
                return "the certificate has expired (" + t.getMessage() + "): renew it";
            }
            if (t instanceof java.security.cert.CertificateNotYetValidException) {
                return "the certificate is not valid yet (" + t.getMessage() + "): check its dates and the clocks";
            }
            if (t instanceof java.security.cert.CertPathBuilderException) {
                return "the peer's certificate is not trusted: no chain to a CA in the trust store; add the CA that "
                        + "signed it to the trust store (" + t.getMessage() + ")";
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("No subject alternative") || m.contains("No name matching")) {
                return "the server's certificate does not name the host we connected to (" + m + "): connect with a "
                        + "name the certificate lists, or issue a certificate for this name";
            }
        }
        if (all.contains("validity check failed")) {
            return "the certificate is outside its validity period (" + all + "): renew it";
        }
        if (all.contains("Unsupported or unrecognized SSL message") || all.contains("plaintext connection")) {
            return "the peer is not speaking TLS (a plain client on this TLS listener?): " + all;
        }
        if (all.contains("Empty client certificate chain") || all.contains("null cert chain")) {
            return "the client sent no certificate and this listener requires one (mutual TLS): give the client a "
                    + "key store (" + all + ")";
        }
        if (all.contains("Received fatal alert: certificate_required")) {
            return "the listener requires a client certificate (mutual TLS) and we sent none: give this node a key store ("
                    + all + ")";
        }
        if (all.contains("Received fatal alert: certificate_unknown") || all.contains("Received fatal alert: bad_certificate")
                || all.contains("Received fatal alert: unknown_ca")) {
            return "the peer rejected our certificate: make sure it trusts the CA that signed ours (" + all + ")";
        }
        if (all.contains("Remote host terminated the handshake") || all.contains("closed during handshake")) {
            return "the peer closed the connection during the TLS handshake: is it a plain (non-TLS) listener, or did it "
                    + "reject us? (" + all + ")";
        }
        return all;
    }

    private static String chain(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != e; cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }
}
