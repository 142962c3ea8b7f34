package dev.tether.testing;

import dev.tether.TlsConfig;
import java.io.InputStream;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** SSL contexts from the key stores in src/test/resources/tls (made by make-certs.sh there). */
public final class TlsFixtures {
    private static final char[] PASSWORD = "changeit".toCharArray();

    private TlsFixtures() {
    }

    /** A context presenting {@code keyStore} (null for none) and trusting the test CA. */
    public static SSLContext context(String keyStore) {
        try {
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore), PASSWORD);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load("truststore"));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load test key store " + keyStore, e);
        }
    }

    /** The server's TLS settings: its certificate, trusting the test CA. */
    public static TlsConfig server() {
        return TlsConfig.of(context("server"));
    }

    /** A client that trusts the test CA and has no certificate of its own. */
    public static TlsConfig client() {
        return TlsConfig.of(context(null));
    }

    private static KeyStore load(String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = TlsFixtures.class.getResourceAsStream("/tls/" + name + ".p12")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /tls/" + name + ".p12");
            }
            ks.load(in, PASSWORD);
        }
        return ks;
    }
}
