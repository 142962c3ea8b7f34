package dev.tether.cli;

import dev.tether.TlsConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS options {@code blast} and {@code sink} share: key store, trust store, their password and type,
 * and (for a sink) whether clients must present a certificate. Turns them into a {@link TlsConfig}, or
 * none when no store is given.
 */
final class TlsOptions {
    static final String HELP = """
              --key-store PATH           TLS: this end's private key and certificate (PKCS12 by default; a
                                         store without a private key, such as a trust store, is refused);
                                         a sink needs one to speak TLS, a blaster only for mutual TLS
              --trust-store PATH         TLS: the CA certificates to trust (default: the JDK's)
              --store-password TEXT      password of the key and trust stores (required with either)
              --store-type TYPE          key store type (default PKCS12)
            """;
    static final String CLIENT_AUTH_HELP = """
              --client-auth MODE         TLS: none (default), request or require a client certificate
            """;

    private TlsOptions() {
    }

    static Options.Spec add(Options.Spec spec, boolean server) {
        spec.value("--key-store", "a key store file")
                .value("--trust-store", "a trust store file")
                .value("--store-password", "the stores' password")
                .value("--store-type", "a key store type such as PKCS12 or JKS");
        if (server) {
            spec.value("--client-auth", "none, request or require");
        }
        return spec;
    }

    /** The TLS settings, or null for plain TCP. A blaster speaks TLS if any store is given, a sink if it has a key store. */
    static TlsConfig parse(Options o, boolean server) throws UsageException {
        boolean keyStore = o.has("--key-store");
        boolean trustStore = o.has("--trust-store");
        if (server && o.has("--client-auth") && !keyStore) {
            throw new UsageException("--client-auth needs --key-store (a TLS listener needs its own certificate)");
        }
        if (server ? !keyStore : !(keyStore || trustStore)) {
            if (server && trustStore) {
                throw new UsageException("--trust-store needs --key-store (a TLS listener needs its own certificate)");
            }
            return null;
        }
        if (!o.has("--store-password")) {
            throw new UsageException("--store-password is required with --key-store or --trust-store");
        }
        char[] password = o.required("--store-password").toCharArray();
        String type = o.value("--store-type").orElse("PKCS12");
        try {
            KeyManagerFactory kmf = null;
            if (keyStore) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(requirePrivateKey(o, load(o, "--key-store", type, password)), password);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore ? load(o, "--trust-store", type, password) : null);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            TlsConfig tls = TlsConfig.of(context);
            if (server) {
                tls = tls.withClientAuth(clientAuth(o.value("--client-auth").orElse("none")));
            }
            return tls;
        } catch (UsageException e) {
            throw e;
        } catch (Exception e) {
            throw new UsageException("cannot set up TLS: " + e.getMessage());
        }
    }

    /** A key store is this end's key and certificate: one without a private key (a trust store, say) is a mistake. */
    private static KeyStore requirePrivateKey(Options o, KeyStore ks) throws UsageException {
        try {
            for (String alias : java.util.Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    return ks;
                }
            }
        } catch (java.security.KeyStoreException e) {
            throw new UsageException("--key-store " + o.required("--key-store") + ": cannot list its entries (" + e.getMessage() + ")");
        }
        throw new UsageException("--key-store " + o.required("--key-store") + ": holds no private key (only "
                + "certificates, as a trust store does): give a key store with this end's own key and certificate "
                + "(keytool -genkeypair), and pass the CA certificates with --trust-store");
    }

    private static TlsConfig.ClientAuth clientAuth(String v) throws UsageException {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "none" -> TlsConfig.ClientAuth.NONE;
            case "request" -> TlsConfig.ClientAuth.REQUEST;
            case "require" -> TlsConfig.ClientAuth.REQUIRE;
            default -> throw new UsageException("--client-auth expects none, request or require, got '" + v + "'");
        };
    }

    private static KeyStore load(Options o, String option, String type, char[] password) throws UsageException {
        Path path = Path.of(o.required(option));
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, password);
            return ks;
        } catch (NoSuchFileException e) {
            throw new UsageException(option + " " + path + ": no such file");
        } catch (Exception e) {
            String why = e.getMessage() != null && e.getMessage().contains("password") ? "wrong --store-password? " : "";
            throw new UsageException(option + " " + path + ": cannot read it as a " + type + " key store (" + why + e.getMessage() + ")");
        }
    }
}
