package dev.tether.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The node's own lifecycle, RUNNING -&gt; DRAINING -&gt; STOPPING -&gt; CLOSED: only forward, each step once.
 * Adding a peer or a listener happens under this lock and only while RUNNING, and close() leaves RUNNING
 * under it, so close sees every peer with its thread started, and no peer appears behind its back.
 */
final class NodeState {

    enum State {
        /** Peers and listeners may be added; sends are taken. */
        RUNNING,
        /** close() began: nothing new; writers flush until the drain deadline. */
        DRAINING,
        /** Every socket is being closed and every thread joined. */
        STOPPING,
        /** Done. */
        CLOSED
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile State state = State.RUNNING;

    State get() {
        return state;
    }

    /** True once close() has begun. */
    boolean closing() {
        return state != State.RUNNING;
    }

    /** Runs {@code action} under the lock if the node is still running; false if it is not, or the action said no. */
    boolean whileRunning(BooleanSupplier action) {
        lock.lock();
        try {
            return state == State.RUNNING && action.getAsBoolean();
        } finally {
            lock.unlock();
        }
    }

    /** Moves forward to {@code next} if the node is at {@code from}; true for the one caller that did. */
    boolean advance(State from, State next) {
        lock.lock();
        try {
            if (state != from) {
                return false;
            }
            state = next;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code nanos} for the node to reach {@code atLeast}; true if it has. */
    boolean await(State atLeast, long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (left > 0 && state.compareTo(atLeast) < 0) {
                left = changed.awaitNanos(left);
            }
            return state.compareTo(atLeast) >= 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits, without a limit, until the node is CLOSED (a second close() waits for the first). */
    void awaitClosed() {
        lock.lock();
        try {
            while (state != State.CLOSED) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }
}
