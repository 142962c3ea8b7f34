package dev.tether.internal;

import dev.tether.DisconnectReason;
import dev.tether.TlsConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Runs the TLS handshake on a freshly connected channel, as client (outbound: server certificate and host
 * name checked) or server (inbound: client certificate requested or required as configured). The watchdog
 * closes the channel if the handshake outlives the handshake timeout.
 */
final class TlsTransportFactory implements TransportFactory {
    private final TlsConfig tls;
    private final SSLSocketFactory factory;

    TlsTransportFactory(TlsConfig tls) {
        this.tls = tls;
        this.factory = tls.context().getSocketFactory();
    }

    @Override
    public Transport open(SocketChannel channel, boolean client, InetSocketAddress target) throws IOException {
        SSLSocket socket = client
                ? (SSLSocket) factory.createSocket(channel.socket(), target.getHostString(), target.getPort(), true)
                : (SSLSocket) factory.createSocket(channel.socket(), null, true);
        socket.setUseClientMode(client);
        SSLParameters params = socket.getSSLParameters();
        if (!tls.protocols().isEmpty()) {
            params.setProtocols(tls.protocols().toArray(String[]::new));
        }
        if (!tls.cipherSuites().isEmpty()) {
            params.setCipherSuites(tls.cipherSuites().toArray(String[]::new));
        }
        if (client) {
            params.setEndpointIdentificationAlgorithm(tls.verifyHostname() ? "HTTPS" : null);
        } else {
            switch (tls.clientAuth()) {
                case NONE -> params.setNeedClientAuth(false);
                case REQUEST -> params.setWantClientAuth(true);
                case REQUIRE -> params.setNeedClientAuth(true);
            }
        }
        socket.setSSLParameters(params);
        try {
            socket.startHandshake();
        } catch (IOException e) {
            String who = client ? "with " + target.getHostString() + ":" + target.getPort() : "from " + target.getHostString() + ":" + target.getPort();
            throw new DisconnectException(DisconnectReason.HANDSHAKE_FAILED, "TLS handshake " + who + " failed: "
                    + TlsFailureText.of(e, client ? TlsFailureText.Side.CLIENT : TlsFailureText.Side.SERVER), e);
        }
        return new TlsTransport(channel, socket, client ? TlsFailureText.Side.CLIENT : TlsFailureText.Side.SERVER);
    }

    @Override
    public boolean directBuffers() {
        return false;
    }
}
