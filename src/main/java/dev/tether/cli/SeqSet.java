package dev.tether.cli;

import java.util.HashMap;
import java.util.Map;

/**
 * A set of sequence numbers from 0 to 2^48: bits in pages of 65,536, made as numbers arrive. A stream
 * counted from 0 costs one bit per number, like a {@link java.util.BitSet}, without BitSet's int index
 * limit. Not thread-safe.
 */
final class SeqSet {
    static final long LIMIT = 1L << 48;
    private static final int PAGE_BITS = 16;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;

    private static final class Page {
        final long[] words = new long[PAGE_SIZE / 64];
        int count;
    }

    private final Map<Long, Page> pages = new HashMap<>();
    private long lastIndex = -1;
    private Page last;

    /** Adds {@code seq} (0 to 2^48 - 1); true if it was not there yet. */
    boolean add(long seq) {
        if (seq < 0 || seq >= LIMIT) {
            throw new IllegalArgumentException("sequence number out of range: " + seq);
        }
        long index = seq >>> PAGE_BITS;
        Page page = last;
        if (index != lastIndex) {
            page = pages.computeIfAbsent(index, i -> new Page());
            last = page;
            lastIndex = index;
        }
        int bit = (int) (seq & (PAGE_SIZE - 1));
        long mask = 1L << (bit & 63);
        long word = page.words[bit >>> 6];
        if ((word & mask) != 0) {
            return false;
        }
        page.words[bit >>> 6] = word | mask;
        page.count++;
        return true;
    }

    /** How many numbers in {@code [0, end)} are in the set. */
    long countBelow(long end) {
        long total = 0;
        for (Map.Entry<Long, Page> e : pages.entrySet()) {
            long first = e.getKey() << PAGE_BITS;
            if (first >= end) {
                continue;
            }
            Page page = e.getValue();
            if (first + PAGE_SIZE <= end) {
                total += page.count;
                continue;
            }
            int bits = (int) (end - first);
            for (int w = 0; w < bits >>> 6; w++) {
                total += Long.bitCount(page.words[w]);
            }
            if ((bits & 63) != 0) {
                total += Long.bitCount(page.words[bits >>> 6] & ((1L << (bits & 63)) - 1));
            }
        }
        return total;
    }
}
