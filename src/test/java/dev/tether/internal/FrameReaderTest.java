package dev.tether.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.DisconnectReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The frame reader over a real loopback connection, fed by a raw socket. */
class FrameReaderTest {
    private ServerSocketChannel server;
    private Socket writer;
    private SocketChannel readerSide;
    private FrameReader reader;
    private final InboundBudget budget = new InboundBudget(4L << 20);
    private final List<byte[]> frames = new ArrayList<>();
    private final List<Long> stamps = new ArrayList<>();

    private final FrameReader.Visitor collect = new FrameReader.Visitor() {
        @Override
        public void onData(ByteBuffer payload, long sentAtEpochNanos) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            frames.add(b);
            stamps.add(sentAtEpochNanos);
        }

        @Override
        public void onControl(int type, long value, ByteBuffer body) {
            frames.add(new byte[] {(byte) -type});
        }
    };

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        writer = new Socket();
        writer.setTcpNoDelay(true);
        writer.connect(server.getLocalAddress());
        readerSide = server.accept();
        reader = new FrameReader(new PlainTransport(readerSide), 1 << 20, budget);
    }

    @AfterEach
    void close() throws IOException {
        writer.close();
        readerSide.close();
        server.close();
    }

    private void readFrames(int count) throws IOException {
        while (frames.size() < count) {
            reader.parse(collect, Integer.MAX_VALUE);
            if (frames.size() >= count) {
                return;
            }
            if (reader.read() < 0) {
                throw new IOException("end of stream after " + frames.size() + " frames");
            }
        }
    }

    private static byte[] frame(byte[] payload, long ts) {
        return FrameCodec.encode(payload, 0, payload.length, ts).bytes();
    }

    @Test
    void aHeaderSplitByteByByteStillMakesOneFrame() throws IOException {
        OutputStream out = writer.getOutputStream();
        byte[] f = frame(new byte[] {7, 8, 9}, 42);
        for (byte b : f) {
            out.write(b);
            out.flush();
            reader.read(); // one byte per read, as a slow sender makes it
            reader.parse(collect, Integer.MAX_VALUE);
        }
        assertEquals(1, frames.size());
        assertArrayEquals(new byte[] {7, 8, 9}, frames.get(0));
        assertEquals(42L, stamps.get(0));
    }

    @Test
    void zeroLengthFramesAreSkipped() throws IOException {
        OutputStream out = writer.getOutputStream();
        out.write(frame(new byte[0], 1));
        out.write(frame(new byte[] {1}, 2));
        out.write(frame(new byte[0], 3));
        out.write(frame(new byte[] {2}, 4));
        readFrames(2);
        assertEquals(2, frames.size());
        assertEquals(List.of(2L, 4L), stamps);
    }

    @Test
    void framesLargerThanTheBufferGrowItOnlyAsBytesArrive() throws IOException {
        byte[] big = new byte[300_000];
        big[299_999] = 5;
        writer.getOutputStream().write(frame(big, 9));
        readFrames(1);
        assertArrayEquals(big, frames.get(0));
    }

    @Test
    void aDeclaredLengthAboveTheMaximumIsRefusedBeforeAnythingIsAllocated() throws IOException {
        byte[] header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7FFF_FFFF).putLong(0).array();
        writer.getOutputStream().write(header);
        DisconnectException e = assertThrows(DisconnectException.class, () -> readFrames(1));
        assertEquals(DisconnectReason.FRAME_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    }

    @Test
    void aStreamOfManyFramesInOneWriteIsCutCorrectly() throws IOException {
        ByteBuffer all = ByteBuffer.allocate(1 << 20);
        for (int i = 0; i < 1000; i++) {
            all.put(frame(new byte[1 + i % 50], i));
        }
        writer.getOutputStream().write(all.array(), 0, all.position());
        readFrames(1000);
        for (int i = 0; i < 1000; i++) {
            assertEquals(1 + i % 50, frames.get(i).length);
            assertEquals(i, stamps.get(i));
        }
    }

    @Test
    void growthIsReservedFromTheBudgetAndGivenBackWhenTheBufferShrinksAndWhenTheReaderIsReleased() throws IOException {
        byte[] big = new byte[300_000];
        writer.getOutputStream().write(frame(big, 1));
        readFrames(1);
        assertEquals(budget.inUse(), reader.reserved());
        assertTrue(reader.reserved() >= 300_012 - FrameReader.INITIAL_CAPACITY,
                "the buffer that held the frame was paid for: " + reader.reserved());
        assertTrue(reader.reserved() <= 300_012 - FrameReader.INITIAL_CAPACITY + FrameReader.BUSY_CAPACITY,
                "never grown past the frame: " + reader.reserved());

        reader.shrinkIfIdle();
        assertEquals(FrameReader.BUSY_CAPACITY - FrameReader.INITIAL_CAPACITY, budget.inUse(), "shrunk to the busy size");

        byte[] half = new byte[100_000];
        writer.getOutputStream().write(frame(new byte[200_000], 2), 0, 12 + half.length); // a frame cut off halfway
        while (budget.inUse() < 100_000) {
            reader.parse(collect, Integer.MAX_VALUE);
            reader.read();
        }
        reader.release();
        assertEquals(0, budget.inUse(), "a released reader holds nothing, partial frame or not");
        assertEquals(0, reader.reserved());
    }

    @Test
    void aPartialFrameTheBudgetCannotPayForEndsTheConnectionWithTheSizesInTheReason() throws IOException {
        assertTrue(budget.tryReserve(budget.limit() - 100_000), "another connection holds most of the budget");
        OutputStream out = writer.getOutputStream();
        out.write(frame(new byte[1], 7)); // small frames need nothing from the budget
        byte[] big = frame(new byte[1 << 20], 8);
        DisconnectException e = assertThrows(DisconnectException.class, () -> {
            out.write(big, 0, 80_000); // past the 64 KiB the remaining 100,000 bytes of budget can pay for
            readFrames(2);
        });
        assertEquals(1, frames.size(), "the frame before was delivered");
        assertEquals(DisconnectReason.MEMORY_BUDGET, e.reason());
        assertTrue(e.getMessage().contains("peer declared a frame of 1048576 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("inbound memory budget of 4194304 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("raise NodeConfig.inboundMemoryBudget or lower maxFrameSize"), e.getMessage());
        assertTrue(budget.inUse() <= budget.limit());
        reader.release();
        assertEquals(budget.limit() - 100_000, budget.inUse(), "the reader gave back all it took");
    }

    @Test
    void aBusyStreamDoesNotGrowItsBufferWhenTheBudgetIsShortAndStillGetsEveryFrame() throws IOException {
        assertTrue(budget.tryReserve(budget.limit()), "the budget is all taken");
        ByteBuffer all = ByteBuffer.allocate(1 << 20);
        for (int i = 0; i < 10_000; i++) {
            all.put(frame(new byte[1 + i % 50], i));
        }
        writer.getOutputStream().write(all.array(), 0, all.position());
        readFrames(10_000);
        assertEquals(0, reader.reserved(), "read through the initial buffer only");
        for (int i = 0; i < 10_000; i++) {
            assertEquals(i, stamps.get(i));
        }
    }
}
