package dev.tether.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    @Test
    void aDataFrameIsLittleEndianLengthThenLittleEndianTimestampThenPayload() {
        Frame frame = FrameCodec.encode(new byte[] {'a', 'b', 'c'}, 0, 3, 0x0102030405060708L);
        assertEquals("03000000" + "0807060504030201" + "616263", HexFormat.of().formatHex(frame.bytes()));
        assertEquals(3 + 12, frame.size());
    }

    @Test
    void encodingFromAByteBufferUsesItsRemainingBytesAndLeavesItsPosition() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {9, 1, 2, 9});
        b.position(1).limit(3);
        Frame frame = FrameCodec.encode(b, 5);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2}, frame.bytes());
        assertEquals(1, b.position());
    }

    @Test
    void controlFramesHaveTheTopBitOfTheLengthWordSet() {
        ByteBuffer out = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        FrameCodec.putControl(out, FrameCodec.ACK, 258);
        assertEquals("03000080" + "0201000000000000", HexFormat.of().formatHex(out.array()));
    }
}
