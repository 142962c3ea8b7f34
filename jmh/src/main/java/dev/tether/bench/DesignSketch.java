package dev.tether.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * tether's design and nothing else, as a reference for what the design itself costs on this machine: per
 * peer an {@link ArrayDeque} guarded by a {@link ReentrantLock}, drained by one virtual-thread writer that
 * swaps the deque out and copies the frames into a 256 KiB direct buffer; a broadcast that encodes each
 * frame once (a fresh array, one clock read) and appends it to every peer's deque, waiting while more than
 * a 1 MiB high-water mark is unwritten, until below half of it (tether's default mark is 1 MiB too; it goes
 * on once back under the mark).
 *
 * <p>It keeps none of tether's promises: no bound, no drop counts, no reconnect, no resend of a frame cut
 * off, no acknowledged mode, no statistics, no events. The gap between it and tether is the cost of those;
 * the gap between it and the raw baseline is the cost of the design (a lock, an append and a copy per frame
 * per peer, a hand-off to a writer thread).
 */
final class DesignSketch implements AutoCloseable {
    private static final int HEADER = 12;
    private static final int WRITE_BUFFER = 256 << 10;
    private static final long MARK = 1 << 20;

    private final List<Lane> lanes = new ArrayList<>();
    private final long clockOffset = Receiver.epochNanos() - System.nanoTime();
    private volatile boolean running = true;

    DesignSketch(List<InetSocketAddress> ports) throws IOException {
        for (InetSocketAddress port : ports) {
            SocketChannel c = SocketChannel.open();
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.connect(port);
            Lane lane = new Lane(c);
            lanes.add(lane);
            lane.writer = Thread.ofVirtual().name("sketch-writer").start(lane::writeLoop);
        }
    }

    /** Encodes once, appends the same array to every peer's deque; returns the peers that took it. */
    int broadcast(byte[] payload) throws InterruptedException {
        byte[] frame = new byte[HEADER + payload.length];
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putInt(payload.length).putLong(System.nanoTime() + clockOffset);
        System.arraycopy(payload, 0, frame, HEADER, payload.length);
        for (Lane lane : lanes) {
            lane.offer(frame);
        }
        return lanes.size();
    }

    @Override
    public void close() {
        running = false;
        for (Lane lane : lanes) {
            lane.writer.interrupt();
            try {
                lane.channel.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** One peer: its deque, its lock, its writer. */
    private final class Lane {
        final SocketChannel channel;
        final ReentrantLock lock = new ReentrantLock();
        final Condition work = lock.newCondition();
        final Condition space = lock.newCondition();
        ArrayDeque<byte[]> pending = new ArrayDeque<>();
        long unwritten; // bytes appended and not yet written
        boolean writerParked;
        int producersWaiting;
        Thread writer;

        Lane(SocketChannel channel) {
            this.channel = channel;
        }

        void offer(byte[] frame) throws InterruptedException {
            lock.lock();
            try {
                while (unwritten > 0 && unwritten + frame.length > MARK) {
                    producersWaiting++;
                    try {
                        space.await();
                    } finally {
                        producersWaiting--;
                    }
                }
                boolean wasEmpty = pending.isEmpty();
                pending.addLast(frame);
                unwritten += frame.length;
                if (wasEmpty && writerParked) {
                    work.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        void writeLoop() {
            ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER);
            ArrayDeque<byte[]> spare = new ArrayDeque<>();
            try {
                while (running) {
                    ArrayDeque<byte[]> batch;
                    lock.lock();
                    try {
                        while (pending.isEmpty()) {
                            writerParked = true;
                            try {
                                work.await();
                            } finally {
                                writerParked = false;
                            }
                        }
                        batch = pending;
                        pending = spare;
                    } finally {
                        lock.unlock();
                    }
                    for (byte[] f; (f = batch.pollFirst()) != null; ) {
                        if (out.remaining() < f.length) {
                            flush(out);
                        }
                        out.put(f);
                    }
                    flush(out);
                    spare = batch;
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        }

        private void flush(ByteBuffer out) throws IOException {
            out.flip();
            int bytes = out.remaining();
            while (out.hasRemaining()) {
                channel.write(out);
            }
            out.clear();
            lock.lock();
            try {
                unwritten -= bytes;
                if (producersWaiting > 0 && unwritten <= MARK / 2) {
                    space.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
