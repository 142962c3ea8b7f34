package dev.tether.internal;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What went wrong in a TLS handshake, said so that a person knows what to change, and where. What this
 * node found itself (the peer's certificate is expired, names another host, comes from an unknown CA) it
 * says as a fact; what it only learned from the peer's alert, or from the peer hanging up, it says as the
 * causes that can mean, pointing to the peer's log for the exact one.
 */
final class TlsFailureText {

    /** Which end of the handshake this node was, if known. */
    enum Side {
        /** This node connected: the peer is a listener. */
        CLIENT("the listener"),
        /** This node accepted: the peer is a client. */
        SERVER("the client"),
        /** Either. */
        UNKNOWN("the peer");

        final String peer;

        Side(String peer) {
            this.peer = peer;
        }
    }

    private static final Pattern ALERT = Pattern.compile("Received fatal alert: (\\w+)");

    private TlsFailureText() {
    }

    /** The hint for a failed handshake, ending with the TLS implementation's own words in parentheses. */
    static String of(Throwable e, Side side) {
        String raw = chain(e);
        String hint = hint(e, raw, side);
        return hint == null ? raw : hint + " (" + raw + ")";
    }

    /** Whether a TLS error after the handshake is the peer's alert about it, to be named as a handshake's. */
    static boolean isAlert(Throwable e) {
        return ALERT.matcher(chain(e)).find();
    }

    /** The hint, or null if none fits (the raw text is then all there is to say). */
    private static String hint(Throwable e, String raw, Side side) {
        String peer = side.peer;
        String theirs = peer + "'s certificate";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return theirs + " has expired: " + peer + " needs a renewed certificate (or, if it should still be "
                        + "valid, this machine's clock is wrong)";
            }
            if (t instanceof CertificateNotYetValidException) {
                return theirs + " is not valid yet: check the clocks of both machines and the certificate's start date";
            }
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
                    && String.valueOf(t.getMessage()).contains("trust anchor")) {
                return theirs + " is not trusted: no chain to a CA in this node's trust store: add the CA that signed it "
                        + "to this node's trust store, or give " + peer + " a certificate from a CA this node trusts";
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("No subject alternative") || m.contains("No name matching")) {
                return "the listener's certificate does not name the host this node connected to: connect with a host "
                        + "name or IP address the certificate lists, or issue the listener a certificate whose subject "
                        + "alternative names include this one (keytool -ext SAN=dns:NAME,ip:ADDRESS)";
            }
        }
        if (raw.contains("validity check failed")) {
            return theirs + " is outside its validity period: " + peer + " needs a renewed certificate (or one of "
                    + "the clocks is wrong)";
        }
        Matcher alert = ALERT.matcher(raw);
        if (alert.find()) {
            return alert(alert.group(1), side);
        }
        if (raw.contains("Unsupported or unrecognized SSL message") || raw.contains("plaintext connection")) {
            return side == Side.SERVER
                    ? "the client is not speaking TLS (a plain client on this TLS listener?): connect with TLS (give the "
                            + "client a TLS configuration; blast: --trust-store), or listen without TLS"
                    : "the listener is not speaking TLS (a plain (non-TLS) listener; its log names the client that spoke TLS "
                            + "to it): give the listener TLS too, or connect without TLS";
        }
        if (raw.contains("Empty client certificate chain") || raw.contains("null cert chain")) {
            return "the client sent no certificate and this listener requires one (mutual TLS): give the client a key "
                    + "store with a certificate signed by a CA this listener trusts (a client whose certificate comes "
                    + "from another CA sends none)";
        }
        if (raw.contains("No available authentication scheme")) {
            return "this node has no certificate to offer: its TLS context holds no private key and certificate "
                    + "(give it a key store with its own key and certificate)";
        }
        if (raw.contains("no cipher suites in common") || raw.contains("No appropriate protocol")
                || raw.contains("protocol is disabled")) {
            return "no TLS protocol version or cipher suite in common with " + peer + " (or none this node's key "
                    + "can be used with): compare the protocols and cipher suites enabled on both ends";
        }
        if (side != Side.UNKNOWN && hungUp(raw)) { // UNKNOWN: maybe mid-stream, where a reset is no handshake matter
            return hungUp(side);
        }
        return null;
    }

    /** The texts for an alert received from the peer: what it can mean, and where the exact cause is. */
    private static String alert(String name, Side side) {
        String peer = side.peer;
        String said = " (alert " + name + ")";
        String log = "; " + peer + "'s log names the exact cause";
        return switch (name) {
            case "certificate_required" -> "the listener requires a client certificate (mutual TLS) and this node sent "
                    + "none: give this node a key store with a certificate signed by a CA the listener trusts (with a "
                    + "certificate from another CA, this node sends none)";
            case "certificate_expired" -> peer + " refused this node's certificate as outside its validity period" + said
                    + ". That can mean: the certificate has expired or is not valid yet (renew it), or the clock of one of "
                    + "the two machines is wrong" + log;
            case "unknown_ca" -> peer + " refused this node's certificate" + said + ". That can mean: " + peer
                    + " does not trust the CA that signed it (add that CA to " + peer + "'s trust store), or this node "
                    + "sends an incomplete chain (put the intermediate CAs in its key store)" + log;
            case "certificate_unknown", "bad_certificate", "unsupported_certificate", "certificate_revoked" ->
                    peer + " refused this node's certificate" + said + ". That can mean: " + refusedCauses(side) + log;
            case "handshake_failure", "insufficient_security", "protocol_version" -> peer + " ended the TLS handshake"
                    + said + ". That can mean: no TLS protocol version or cipher suite in common (compare what both ends "
                    + "enable), or " + peer + " has no usable certificate or key" + log;
            default -> peer + " ended the TLS handshake" + said + log;
        };
    }

    /** Why a peer may refuse this node's certificate, by what the peer checks. */
    private static String refusedCauses(Side side) {
        String peer = side.peer;
        String trust = peer + " does not trust the CA that signed it (add that CA to " + peer + "'s trust store)";
        String validity = "it is outside its validity period (renew it)";
        String name = "it does not name the host name or IP address " + peer + " connected to (connect by a name it "
                + "lists, or issue one whose subject alternative names include it)";
        return switch (side) {
            case SERVER -> trust + ", " + name + ", or " + validity;
            case CLIENT -> trust + ", " + validity + ", or it is not meant for client authentication (extended key usage)";
            case UNKNOWN -> trust + ", " + validity + ", or (if this node is the listener) " + name;
        };
    }

    private static boolean hungUp(String raw) {
        return raw.contains("Remote host terminated the handshake") || raw.contains("closed during handshake")
                || raw.contains("Broken pipe") || raw.contains("Connection reset") || raw.contains("EOF");
    }

    /** The peer closed the connection mid-handshake without an alert: what that can mean, from each end. */
    private static String hungUp(Side side) {
        String peer = side.peer;
        String lead = peer + " closed the connection during the TLS handshake without saying why. That can mean: ";
        String log = "; " + peer + "'s log names the exact cause";
        return switch (side) {
            case CLIENT -> lead + "it is a plain (non-TLS) listener (connect without TLS, or give the listener a key "
                    + "store), or it refused this node's certificate or TLS settings (with mutual TLS: a certificate from a "
                    + "CA it does not trust, or outside its validity period)" + log;
            case SERVER -> lead + "it refused this node's certificate (it does not trust the CA that signed it, the "
                    + "certificate does not name the host name or IP address it connected to, or it is outside its "
                    + "validity period), or it found no TLS settings in common" + log;
            case UNKNOWN -> throw new IllegalArgumentException("only a handshake's end knows a hang-up is one");
        };
    }

    /** The messages of an exception and its causes, each once. */
    static String chain(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != e; cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }
}
