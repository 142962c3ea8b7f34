package dev.tether.bench;

import dev.tether.TlsConfig;
import java.io.InputStream;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS settings for the benchmarks, from the key stores bundled in the benchmarks jar (see resources/tls). */
final class BenchTls {
    private static final char[] PASSWORD = "changeit".toCharArray();

    private BenchTls() {
    }

    /** The receiving node: the server certificate for 127.0.0.1. */
    static TlsConfig server() {
        return TlsConfig.of(context(true));
    }

    /** The sending node: trusts the test CA, checks the host name (the certificate names 127.0.0.1). */
    static TlsConfig client() {
        return TlsConfig.of(context(false));
    }

    private static SSLContext context(boolean withKey) {
        try {
            KeyManagerFactory kmf = null;
            if (withKey) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load("server"), PASSWORD);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load("truststore"));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the benchmark key stores", e);
        }
    }

    private static KeyStore load(String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = BenchTls.class.getResourceAsStream("/tls/" + name + ".p12")) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }
}
