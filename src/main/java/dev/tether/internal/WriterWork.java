package dev.tether.internal;

import java.util.ArrayDeque;

/** What {@link Backlog#awaitWork} hands the writer: one of four things, each a value. */
sealed interface WriterWork {

    /** Every pending frame, taken at once; {@code ack} rides in front of them if it is not negative. */
    record Frames(ArrayDeque<Frame> frames, long ack, long epoch) implements WriterWork { }

    /** Nothing to write but an acknowledgement that fell due. */
    record AckOnly(long ack) implements WriterWork { }

    /** The connection ended: the writer returns. */
    record ConnectionOver() implements WriterWork { }

    /** The node is closing and everything is written (and acknowledged): send end-of-stream, then return. */
    record ShutDownOutput() implements WriterWork { }

    ConnectionOver CONNECTION_OVER = new ConnectionOver();
    ShutDownOutput SHUT_DOWN_OUTPUT = new ShutDownOutput();
}
