package dev.tether.internal;

/**
 * One data frame, encoded once: 12-byte header and payload in one array. Immutable by convention: nothing
 * writes to {@code bytes} after {@link FrameCodec#encode}. A broadcast appends the same instance to every
 * peer's backlog.
 */
public record Frame(byte[] bytes) {

    /** Encoded size: header plus payload. */
    public int size() {
        return bytes.length;
    }

    /** Payload length as the header declares it. */
    public int payloadLength() {
        return bytes.length - FrameCodec.HEADER_BYTES;
    }
}
