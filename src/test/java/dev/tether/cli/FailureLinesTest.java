package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.DisconnectReason;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The stderr lines of a peer that keeps failing: one when it starts, then one per 10 s per reason, on a clock the test moves. */
class FailureLinesTest {

    @Test
    void aNewReasonIsSaidAtOnceAndTheSameReasonAtMostOnceEveryTenSeconds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong(1_000);
        FailureLines lines = new FailureLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), "blast", clock::get);
        String refused = "127.0.0.1:7000: connection refused (is anything listening there?)";
        for (int i = 0; i < 20; i++) { // 20 attempts in 9.5 s: one line
            lines.failed("127.0.0.1:7000", DisconnectReason.CONNECT_FAILED, refused);
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        }
        lines.failed("127.0.0.1:7000", DisconnectReason.CONNECT_FAILED, refused); // 10 s after the first line
        lines.failed("127.0.0.1:7001", DisconnectReason.CONNECT_FAILED, "127.0.0.1:7001: connect timed out"); // another peer
        lines.failed("127.0.0.1:7000", DisconnectReason.HANDSHAKE_FAILED, "TLS handshake with 127.0.0.1:7000 failed: ...");
        lines.failed("127.0.0.1:7000", DisconnectReason.CONNECT_FAILED, refused); // the reason changed back: said again
        assertEquals(List.of(
                "blast: 127.0.0.1:7000: connect failed: " + refused,
                "blast: 127.0.0.1:7000: still failing (20 more times, for 10.0 s): connect failed: " + refused,
                "blast: 127.0.0.1:7001: connect failed: 127.0.0.1:7001: connect timed out",
                "blast: 127.0.0.1:7000: handshake failed: TLS handshake with 127.0.0.1:7000 failed: ...",
                "blast: 127.0.0.1:7000: connect failed: " + refused),
                bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }
}
