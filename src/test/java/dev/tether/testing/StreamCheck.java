package dev.tether.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a received stream of numbered frames: no duplicate, no reordering, and every gap starting
 * exactly where a new connection starts (frames lost with a broken connection, nowhere else).
 */
public final class StreamCheck {
    private StreamCheck() {
    }

    /**
     * Result of checking one stream.
     *
     * @param gapsAtNewConnection runs of missing frames that end where a new connection starts: the loss
     *     plain delivery allows, at most one per broken connection
     * @param longestGap the most frames missing in one run
     */
    public record Result(long frames, long duplicates, long reordered, long gapsMidConnection, long missing, List<String> problems,
                         long gapsAtNewConnection, long longestGap) {
        public boolean clean() {
            return duplicates == 0 && reordered == 0 && gapsMidConnection == 0;
        }
    }

    /**
     * The frames in the order the sender wrote them: connection by connection, each in arrival order. When
     * something between the sender and the sink resets a connection, the sink can still read what its kernel
     * had queued on the old connection while it already reads the new one, so arrival order across two
     * connections says nothing about the sender; within one connection, and from one connection to the
     * next, it must be strictly increasing.
     */
    public static List<FrameSink.Received> inConnectionOrder(List<FrameSink.Received> received) {
        List<FrameSink.Received> sorted = new ArrayList<>(received);
        sorted.sort(java.util.Comparator.comparingInt(FrameSink.Received::connection)); // stable: arrival order within one
        return sorted;
    }

    public static Result check(List<FrameSink.Received> received, long expectedCount) {
        long last = -1;
        int lastConnection = -1;
        long duplicates = 0;
        long reordered = 0;
        long gapsMid = 0;
        long gapsAtNew = 0;
        long longestGap = 0;
        long distinct = 0;
        List<String> problems = new ArrayList<>();
        java.util.BitSet seen = new java.util.BitSet();
        for (FrameSink.Received r : received) {
            long seq = r.seq();
            if (seq < 0 || seq >= Integer.MAX_VALUE) {
                continue; // not a numbered frame (a hello)
            }
            if (seen.get((int) seq)) {
                duplicates++;
                if (problems.size() < 10) {
                    problems.add("duplicate " + seq + " on connection " + r.connection());
                }
            } else {
                seen.set((int) seq);
                distinct++;
            }
            if (seq <= last && !(seen.get((int) seq) && seq == last)) {
                if (seq < last) {
                    reordered++;
                    if (problems.size() < 10) {
                        problems.add(seq + " (connection " + r.connection() + ") after " + last + " (connection " + lastConnection + ")");
                    }
                }
            } else if (seq > last + 1) {
                longestGap = Math.max(longestGap, seq - last - 1);
                if (r.connection() == lastConnection) {
                    gapsMid++;
                    if (problems.size() < 10) {
                        problems.add("gap " + (last + 1) + ".." + (seq - 1) + " inside connection " + r.connection());
                    }
                } else {
                    gapsAtNew++;
                }
            }
            last = Math.max(last, seq);
            lastConnection = r.connection();
        }
        return new Result(distinct, duplicates, reordered, gapsMid, expectedCount - distinct, problems, gapsAtNew, longestGap);
    }
}
