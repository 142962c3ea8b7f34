package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DemoTest {

    @Test
    void aShortDemoStopsAndRestartsSinkTwoAndPrintsItsTable() {
        Cli r = Cli.run("demo", "--frames", "30000", "--outage", "0.3");
        assertEquals(0, r.code(), r::toString);
        // what it announces is what it does: 30,000 / 3 is no multiple of the 256 frames it checks its schedule every
        assertTrue(r.err().contains("; sink #2 stops at frame 10,000 for 0.3 s"), r::toString);
        assertTrue(r.err().contains("demo: stopping sink #2 at frame 10,000 "), r::toString);
        assertTrue(r.out().contains("sink #2 stopped at frame 10,000 and started again"), r::toString);
        assertTrue(r.out().matches("(?s).*sink +address +received +duplicates +out-of-order +missing +dropped +replayed\\R"
                + " +#1 +127\\.0\\.0\\.1:\\d+ +30,000 +0 +0 +0 +0 +0\\R"
                + " +#2 +127\\.0\\.0\\.1:\\d+ +[\\d,]+ +0 +0 +[\\d,]+ +0 +[\\d,]+\\R"
                + " +#3 +127\\.0\\.0\\.1:\\d+ +30,000 +0 +0 +0 +0 +0\\R.*"), r::toString);
        assertTrue(r.out().contains("result: OK: no duplicate and no reordering at any sink"), r::toString);
        assertTrue(r.err().contains("demo: sink #2 started again on 127.0.0.1:"), r::toString);
        assertTrue(r.err().contains("demo: sink #2 reconnected"), r::toString);
    }
}
