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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link DesignSketch} with frames encoded once into shared direct slabs and written by every writer with
 * gathering writes straight from them: no copy per peer. Slabs are recycled once every writer has written
 * every frame in them (a count per slab). A reference, not a library: one producer thread only (the slab
 * being filled is a plain field), no bound, no promises.
 */
final class DirectSketch implements AutoCloseable {
    private static final int HEADER = 12;
    private static final int SLAB = 1 << 20;
    private static final long MARK = 1 << 20;
    private static final int IOV = 1024;

    private final List<Lane> lanes = new ArrayList<>();
    private final long clockOffset = Receiver.epochNanos() - System.nanoTime();
    private final ConcurrentLinkedQueue<Slab> free = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private Slab slab;

    record Ref(Slab slab, int offset, int length) {
    }

    final class Slab {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(SLAB).order(ByteOrder.LITTLE_ENDIAN);
        final AtomicLong refs = new AtomicLong();
        int used;

        void release(long n) {
            if (refs.addAndGet(-n) == 0) {
                used = 0;
                free.add(this);
            }
        }
    }

    DirectSketch(List<InetSocketAddress> ports) throws IOException {
        for (InetSocketAddress port : ports) {
            SocketChannel c = SocketChannel.open();
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.connect(port);
            Lane lane = new Lane(c);
            lanes.add(lane);
            lane.writer = Thread.ofVirtual().name("sketch-writer").start(lane::writeLoop);
        }
        slab = newSlab();
    }

    private Slab newSlab() {
        Slab s = free.poll();
        if (s == null) {
            s = new Slab();
        }
        s.refs.set(1); // the producer's own hold until it moves on
        return s;
    }

    int broadcast(byte[] payload) throws InterruptedException {
        int len = HEADER + payload.length;
        if (slab.used + len > SLAB) {
            Slab old = slab;
            slab = newSlab();
            old.release(1);
        }
        Slab s = slab;
        int at = s.used;
        s.bytes.putInt(at, payload.length).putLong(at + 4, System.nanoTime() + clockOffset).put(at + HEADER, payload);
        s.used = at + len;
        s.refs.addAndGet(lanes.size());
        Ref ref = new Ref(s, at, len);
        for (Lane lane : lanes) {
            lane.offer(ref);
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

    private final class Lane {
        final SocketChannel channel;
        final ReentrantLock lock = new ReentrantLock();
        final Condition work = lock.newCondition();
        final Condition space = lock.newCondition();
        ArrayDeque<Ref> pending = new ArrayDeque<>();
        long unwritten;
        boolean writerParked;
        int producersWaiting;
        Thread writer;

        Lane(SocketChannel channel) {
            this.channel = channel;
        }

        void offer(Ref frame) throws InterruptedException {
            lock.lock();
            try {
                while (unwritten > 0 && unwritten + frame.length() > MARK) {
                    producersWaiting++;
                    try {
                        space.await();
                    } finally {
                        producersWaiting--;
                    }
                }
                boolean wasEmpty = pending.isEmpty();
                pending.addLast(frame);
                unwritten += frame.length();
                if (wasEmpty && writerParked) {
                    work.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        void writeLoop() {
            ArrayDeque<Ref> spare = new ArrayDeque<>();
            ByteBuffer[] iov = new ByteBuffer[IOV];
            Slab[] runSlab = new Slab[IOV];
            long[] runFrames = new long[IOV];
            try {
                while (running) {
                    ArrayDeque<Ref> batch;
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
                    int n = 0;
                    long bytes = 0;
                    Slab cur = null;
                    int start = 0;
                    int end = 0;
                    long frames = 0;
                    for (Ref f; (f = batch.pollFirst()) != null; ) {
                        if (f.slab() == cur && f.offset() == end) {
                            end += f.length();
                            frames++;
                            continue;
                        }
                        if (cur != null) {
                            runSlab[n] = cur;
                            runFrames[n] = frames;
                            iov[n++] = cur.bytes.slice(start, end - start);
                            bytes += end - start;
                            if (n == IOV) {
                                bytes = flush(iov, runSlab, runFrames, n, bytes);
                                n = 0;
                            }
                        }
                        cur = f.slab();
                        start = f.offset();
                        end = start + f.length();
                        frames = 1;
                    }
                    if (cur != null) {
                        runSlab[n] = cur;
                        runFrames[n] = frames;
                        iov[n++] = cur.bytes.slice(start, end - start);
                        bytes += end - start;
                    }
                    flush(iov, runSlab, runFrames, n, bytes);
                    spare = batch;
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        }

        private long flush(ByteBuffer[] iov, Slab[] runSlab, long[] runFrames, int n, long bytes) throws IOException {
            int from = 0;
            while (from < n) {
                channel.write(iov, from, n - from);
                while (from < n && !iov[from].hasRemaining()) {
                    from++;
                }
            }
            for (int i = 0; i < n; i++) {
                runSlab[i].release(runFrames[i]);
                iov[i] = null;
                runSlab[i] = null;
            }
            lock.lock();
            try {
                unwritten -= bytes;
                if (producersWaiting > 0 && unwritten <= MARK / 2) {
                    space.signalAll();
                }
            } finally {
                lock.unlock();
            }
            return 0;
        }
    }
}
