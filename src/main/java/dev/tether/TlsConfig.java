package dev.tether;

import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * TLS for every connection of a node, from an {@link SSLContext} you build (key store for this node's
 * certificate, trust store for the peers').
 *
 * <p>Outbound connections verify the server's certificate chain and its host name by default. Listeners
 * can request or require client certificates for mutual TLS. Protocols and cipher suites default to the
 * JDK's (TLS 1.3 and 1.2).
 *
 * @param context supplies keys, trust and the TLS implementation
 * @param clientAuth whether listeners ask connecting peers for a certificate
 * @param verifyHostname whether outbound connections check that the server's certificate names the host
 *     they connected to (endpoint identification "HTTPS")
 * @param protocols enabled protocols, empty for the JDK's defaults
 * @param cipherSuites enabled cipher suites, empty for the JDK's defaults
 */
public record TlsConfig(SSLContext context, ClientAuth clientAuth, boolean verifyHostname,
                        List<String> protocols, List<String> cipherSuites) {

    /** Whether a listener asks the connecting peer for a certificate. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A client certificate is asked for; a client without one is still accepted. */
        REQUEST,
        /** A trusted client certificate is required (mutual TLS). */
        REQUIRE
    }

    /** Checks and copies the lists. */
    public TlsConfig {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(clientAuth, "clientAuth");
        protocols = List.copyOf(protocols);
        cipherSuites = List.copyOf(cipherSuites);
    }

    /**
     * Server certificate and host name verified, no client certificates, the JDK's protocols and suites.
     *
     * @param context the SSL context with this node's key store (listeners, mutual TLS) and trust store
     * @return the settings
     */
    public static TlsConfig of(SSLContext context) {
        return new TlsConfig(context, ClientAuth.NONE, true, List.of(), List.of());
    }

    /**
     * A copy with listeners asking for client certificates as given.
     *
     * @param auth none, request, or require
     * @return the new settings
     */
    public TlsConfig withClientAuth(ClientAuth auth) {
        return new TlsConfig(context, auth, verifyHostname, protocols, cipherSuites);
    }

    /**
     * A copy that does (or, only for testing and closed networks, does not) check the server's host name.
     * The certificate chain is still verified against the trust store.
     *
     * @param verify false to skip the host name check
     * @return the new settings
     */
    public TlsConfig withHostnameVerification(boolean verify) {
        return new TlsConfig(context, clientAuth, verify, protocols, cipherSuites);
    }

    /**
     * A copy with only these protocols enabled.
     *
     * @param protocols for example {@code "TLSv1.3"}
     * @return the new settings
     */
    public TlsConfig withProtocols(String... protocols) {
        return new TlsConfig(context, clientAuth, verifyHostname, List.of(protocols), cipherSuites);
    }

    /**
     * A copy with only these cipher suites enabled.
     *
     * @param suites JSSE cipher suite names
     * @return the new settings
     */
    public TlsConfig withCipherSuites(String... suites) {
        return new TlsConfig(context, clientAuth, verifyHostname, protocols, List.of(suites));
    }
}
