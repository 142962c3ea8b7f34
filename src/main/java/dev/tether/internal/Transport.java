package dev.tether.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One connected byte stream, plain or TLS. The writer, reader and handshake code see only this, so every
 * guarantee holds over both. Reads and writes may run at once on two threads; {@link #close} and
 * {@link #abort} may be called from any thread and unblock both.
 */
interface Transport {

    /** Reads into {@code dst}; blocks until at least one byte. Returns the count, or -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Writes from {@code src}; blocks until at least one byte is taken. The returned count is exact: those
     * bytes were handed to the kernel (over TLS: as whole records). When it throws, nothing more was taken.
     */
    int write(ByteBuffer src) throws IOException;

    /** Whether {@link #write(ByteBuffer[], int, int)} hands direct buffers to the kernel as they are (plain TCP). */
    default boolean gathers() {
        return false;
    }

    /**
     * Writes from {@code srcs[offset..offset + length)}, in order, in one call, as {@link #write(ByteBuffer)}
     * does from one buffer; only when {@link #gathers()}.
     */
    default long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new UnsupportedOperationException("no gathering writes over " + getClass().getSimpleName());
    }

    /** Sends end-of-stream after everything written so far (TLS: close_notify), keeping the read side open. */
    void shutdownOutput() throws IOException;

    /** Closes at once, idempotent; what the kernel already took is still sent, then end-of-stream. */
    void close();

    /** Closes at once with a reset: what the kernel still holds for the peer is discarded, nothing follows. */
    void abort();
}
