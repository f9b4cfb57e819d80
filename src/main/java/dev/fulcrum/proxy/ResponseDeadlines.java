package dev.fulcrum.proxy;

import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code requestTimeout} for every exchange of one event loop, without a timer per request. A wait starts once
 * the client has sent its whole request (a slow upload is no slow backend), and waits queue in the order
 * they started, which (with one timeout for all) is the order they fall due; a sweep a few times per timeout
 * times out the requests still unanswered. A request costs a queue insertion instead of scheduling and
 * cancelling a timer. Answered waits leave the queue from its head as new ones arrive, so under load the queue
 * holds about the requests in flight, and a wait dies before a young collection has to copy it. After a reload
 * shortens the timeout the order no longer holds, and sweeps look at every wait until it does again.
 */
final class ResponseDeadlines {

    private static final long MIN_SWEEP_MILLIS = 5;
    private static final long MAX_SWEEP_MILLIS = 250;
    /** Answered waits behind an unanswered one are dropped once this many have piled up. */
    private static final int COMPACT_ABOVE = 1024;

    /** One request's wait for its response headers. */
    static final class Wait {

        private final long dueNanos;
        private Runnable onTimeout;

        private Wait(long dueNanos, Runnable onTimeout) {
            this.dueNanos = dueNanos;
            this.onTimeout = onTimeout;
        }

        /** The response has arrived, or the request failed: let go of it at once (the queue may keep this). */
        void cancel() {
            onTimeout = null;
        }

        private boolean done() {
            return onTimeout == null;
        }

        private boolean due(long now) {
            return !done() && now - dueNanos >= 0;
        }

        /** Runs the timeout action, unless the response arrived after the sweep took this wait out. */
        private void expire() {
            Runnable timedOut = onTimeout;
            if (timedOut != null) {
                cancel();
                timedOut.run();
            }
        }
    }

    private final Supplier<Duration> timeout;
    private final ArrayDeque<Wait> pending = new ArrayDeque<>();
    private final Sweeper sweeper;
    /** The latest due time queued, and whether a wait queued since falls due before it. */
    private long latestDue;
    private boolean outOfOrder;

    ResponseDeadlines(Vertx vertx, Supplier<Duration> timeout) {
        this.timeout = timeout;
        this.sweeper = Sweeper.start(vertx, () -> timeout.get().toMillis(), 10, MIN_SWEEP_MILLIS, MAX_SWEEP_MILLIS, this::sweep);
    }

    /**
     * Starts a wait that runs {@code onTimeout} on this event loop, during a sweep, unless cancelled within the
     * timeout. The action ends the request, and may start another wait.
     */
    Wait start(Runnable onTimeout) {
        while (!pending.isEmpty() && pending.peekFirst().done()) {
            pending.pollFirst();
        }
        Wait wait = new Wait(System.nanoTime() + timeout.get().toNanos(), onTimeout);
        if (pending.isEmpty() || wait.dueNanos - latestDue >= 0) {
            latestDue = wait.dueNanos;
        } else {
            outOfOrder = true;
        }
        pending.addLast(wait);
        return wait;
    }

    /** For tests: how many waits the queue holds, answered ones not yet dropped included. */
    int queued() {
        return pending.size();
    }

    void stop() {
        sweeper.stop();
    }

    private boolean inDueOrder() {
        Wait previous = null;
        for (Wait wait : pending) {
            if (previous != null && wait.dueNanos - previous.dueNanos < 0) {
                return false;
            }
            previous = wait;
        }
        return true;
    }

    private void sweep() {
        long now = System.nanoTime();
        List<Wait> expired = new ArrayList<>();
        if (outOfOrder) {
            pending.removeIf(wait -> wait.done() || wait.due(now) && expired.add(wait));
            outOfOrder = !inDueOrder();
        } else {
            while (!pending.isEmpty() && (pending.peekFirst().done() || pending.peekFirst().due(now))) {
                Wait head = pending.pollFirst();
                if (!head.done()) {
                    expired.add(head);
                }
            }
            // One long wait at the head (a long poll, a slow report) would otherwise keep every answered wait
            // behind it for up to a whole timeout: thousands per second.
            if (pending.size() > COMPACT_ABOVE) {
                pending.removeIf(Wait::done);
            }
        }
        // Only once the queue is settled: a timeout answers the client at once, and the next request the client
        // pipelined behind it can start its own wait from inside this loop.
        expired.forEach(Wait::expire);
    }
}
