package dev.tether.internal;

import dev.tether.TlsConfig;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * Finds out before a listener binds whether its TLS settings can act as a server at all: a handshake in
 * memory, between two engines of the node's own context, up to the server's first reply. A context with no
 * private key and certificate (built from a trust store only, say) fails there, instead of failing every
 * client's handshake later.
 */
final class TlsServerCheck {
    private static final int MAX_STEPS = 50; // a ClientHello and one server flight take a handful

    private TlsServerCheck() {
    }

    /** Throws {@link IllegalStateException}, saying what to do, if {@code tls} (null: plain TCP) cannot serve a TLS handshake. */
    static void requireServerCapable(TlsConfig tls) {
        String why = tls == null ? null : whyNotServer(tls);
        if (why != null) {
            throw new IllegalStateException("cannot listen with TLS: this node's SSLContext has no private key and "
                    + "certificate to present (" + why + "), or none usable with the enabled protocols and cipher "
                    + "suites: a TLS listener needs one. Build the SSLContext with a KeyManagerFactory over a key store "
                    + "that holds this node's private key and certificate (made with keytool -genkeypair), not a trust "
                    + "store only");
        }
    }

    /** Null if the server answered a ClientHello; otherwise the TLS implementation's reason. */
    static String whyNotServer(TlsConfig tls) {
        SSLEngine client = engine(tls, true);
        SSLEngine server = engine(tls, false);
        try {
            ByteBuffer none = ByteBuffer.allocate(0);
            ByteBuffer toServer = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
            ByteBuffer toClient = ByteBuffer.allocate(server.getSession().getPacketBufferSize());
            ByteBuffer plain = ByteBuffer.allocate(server.getSession().getApplicationBufferSize());
            client.beginHandshake();
            step(client, client.wrap(none, toServer));
            toServer.flip();
            server.beginHandshake();
            for (int i = 0; i < MAX_STEPS; i++) {
                switch (server.getHandshakeStatus()) {
                    case NEED_TASK -> runTasks(server);
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        if (!toServer.hasRemaining()) {
                            return "the server asked for more than a ClientHello before answering";
                        }
                        step(server, server.unwrap(toServer, plain));
                    }
                    case NEED_WRAP -> {
                        step(server, server.wrap(none, toClient));
                        if (toClient.position() > 0) {
                            return null; // it answered: it had a certificate for this client's offer
                        }
                    }
                    default -> {
                        return "the server ended the handshake without answering";
                    }
                }
            }
            return "no answer from the server after " + MAX_STEPS + " steps";
        } catch (SSLException e) {
            return TlsFailureText.chain(e);
        } finally {
            client.closeOutbound();
            server.closeOutbound();
        }
    }

    private static SSLEngine engine(TlsConfig tls, boolean client) {
        SSLEngine engine = client ? tls.context().createSSLEngine("tether-listen-check", 1) : tls.context().createSSLEngine();
        engine.setUseClientMode(client);
        if (!tls.protocols().isEmpty()) {
            engine.setEnabledProtocols(tls.protocols().toArray(String[]::new));
        }
        if (!tls.cipherSuites().isEmpty()) {
            engine.setEnabledCipherSuites(tls.cipherSuites().toArray(String[]::new));
        }
        return engine;
    }

    private static void step(SSLEngine engine, SSLEngineResult result) throws SSLException {
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("engine closed during the check");
        }
        if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks(engine);
        }
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
