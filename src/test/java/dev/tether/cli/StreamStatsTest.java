package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamStatsTest {

    static ByteBuffer numbered(long seq, int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq);
    }

    static StreamStats of(long... seqs) {
        StreamStats s = new StreamStats();
        for (long seq : seqs) {
            s.record(numbered(seq, 16));
        }
        return s;
    }

    @Test
    void aCleanStreamCountsEveryFrameOnce() {
        StreamStats.Snapshot s = of(0, 1, 2, 3).snapshot(4);
        assertEquals(4, s.frames());
        assertEquals(4, s.distinct());
        assertEquals(64, s.bytes());
        assertEquals(3, s.highest());
        assertTrue(s.clean());
    }

    @Test
    void repeatsAreDuplicatesAndNotReordering() {
        StreamStats.Snapshot s = of(0, 1, 2, 1, 2, 3).snapshot(0);
        assertEquals(6, s.frames());
        assertEquals(4, s.distinct());
        assertEquals(2, s.duplicates());
        assertEquals(0, s.outOfOrder());
        assertEquals(0, s.missing());
        assertFalse(s.clean());
    }

    @Test
    void aNewNumberBelowTheHighestIsOutOfOrder() {
        StreamStats.Snapshot s = of(0, 2, 1, 3).snapshot(0);
        assertEquals(1, s.outOfOrder());
        assertEquals(0, s.duplicates());
        assertEquals(0, s.missing());
    }

    @Test
    void missingCountsGapsBelowTheHighestOrAgainstTheExpectedCount() {
        StreamStats s = of(0, 1, 5, 6); // 2, 3, 4 lost
        assertEquals(3, s.snapshot(0).missing());
        assertEquals(3 + 3, s.snapshot(10).missing(), "7, 8 and 9 never came either");
        assertEquals(3, s.snapshot(7).missing());
        assertEquals(0, of().snapshot(0).missing());
        assertEquals(5, of().snapshot(5).missing());
    }

    @Test
    void numbersBeyondTheExpectedCountDoNotHideMissingOnes() {
        StreamStats s = of(0, 1, 2, 100, 101);
        assertEquals(1, s.snapshot(4).missing(), "3 is missing; 100 and 101 do not make up for it");
    }

    @Test
    void shortAndImplausiblyNumberedFramesAreCountedApart() {
        StreamStats s = new StreamStats();
        s.record(ByteBuffer.wrap("HELLO".getBytes(StandardCharsets.US_ASCII)));
        s.record(ByteBuffer.wrap("hello from blast".getBytes(StandardCharsets.US_ASCII))); // prefix far above 2^48
        s.record(numbered(-1, 8));
        s.record(numbered(0, 8));
        StreamStats.Snapshot snap = s.snapshot(1);
        assertEquals(1, snap.shortFrames());
        assertEquals(2, snap.unnumbered());
        assertEquals(1, snap.frames());
        assertEquals(5 + 16 + 8 + 8, snap.bytes());
        assertTrue(snap.clean());
    }

    @Test
    void theSequenceNumberIsLittleEndianWhateverTheBufferOrder() {
        StreamStats s = new StreamStats();
        ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
        big.put(0, (byte) 7); // little-endian 7
        s.record(big);
        assertEquals(7, s.snapshot(0).highest());
    }

    @Test
    void onlyTheBytesBetweenPositionAndLimitCount() {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(4, 9);
        b.position(4).limit(20);
        StreamStats s = new StreamStats();
        s.record(b);
        assertEquals(9, s.snapshot(0).highest());
        assertEquals(16, s.snapshot(0).bytes());
        assertEquals(4, b.position(), "the buffer is not consumed");
    }

    @Test
    void largeNumbersSpanManyPages() {
        SeqSet set = new SeqSet();
        assertTrue(set.add(0));
        assertTrue(set.add(65_535));
        assertTrue(set.add(65_536));
        assertTrue(set.add(3_000_000_000L));
        assertTrue(set.add(SeqSet.LIMIT - 1));
        assertFalse(set.add(65_536));
        assertEquals(2, set.countBelow(65_536));
        assertEquals(3, set.countBelow(65_537));
        assertEquals(4, set.countBelow(3_000_000_001L));
        assertEquals(5, set.countBelow(SeqSet.LIMIT));
        assertEquals(0, set.countBelow(0));
    }

    @Test
    void countBelowMatchesABruteForceCount() {
        SeqSet set = new SeqSet();
        java.util.BitSet reference = new java.util.BitSet();
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 20_000; i++) {
            int n = random.nextInt(300_000);
            assertEquals(!reference.get(n), set.add(n));
            reference.set(n);
        }
        for (int end : new int[] {1, 63, 64, 65, 1000, 65_535, 65_536, 65_600, 131_072, 200_001, 300_000}) {
            assertEquals(reference.get(0, end).cardinality(), set.countBelow(end), "below " + end);
        }
    }
}
