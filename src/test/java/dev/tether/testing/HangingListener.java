package dev.tether.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A listening port on 127.0.0.1 where a TCP connect hangs: its accept queue (backlog 1) is filled by
 * connections nobody accepts, so the kernel drops every further SYN and the connecting side waits until
 * its own timeout. Loopback answers a SYN to a listening port at once otherwise, and a refused port fails
 * at once, so this is how a test gets "the remote host does not answer" without leaving the machine.
 */
public final class HangingListener implements AutoCloseable {
    private static final int MAX_FILLERS = 16;

    private final ServerSocket server;
    private final List<Socket> fillers = new ArrayList<>();

    public HangingListener() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        try {
            for (int i = 0; i < MAX_FILLERS; i++) {
                Socket s = new Socket();
                try {
                    s.connect(server.getLocalSocketAddress(), 200);
                    fillers.add(s);
                } catch (SocketTimeoutException full) {
                    s.close();
                    return; // the queue is full: the next connect hangs too
                }
            }
            throw new IOException("the accept queue of " + address() + " never filled after " + MAX_FILLERS + " connections");
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Closes the listener and the fillers; the port is free again. */
    @Override
    public void close() {
        for (Socket s : fillers) {
            try {
                s.close();
            } catch (IOException ignored) {
                // best effort
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
