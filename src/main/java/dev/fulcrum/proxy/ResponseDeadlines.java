package dev.fulcrum.proxy;

import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * {@code requestTimeout} for every exchange of one event loop, without a timer per request: exchanges queue in
 * the order they were sent, which (with one timeout for all) is the order their deadlines fall due, and a
 * sweep a few times per timeout resets those still unanswered. A request costs a queue insertion instead of
 * scheduling and cancelling a timer. (After a reload shortens the timeout, a request may wait behind older
 * ones for up to the old timeout.)
 */
final class ResponseDeadlines {

    private static final long MIN_SWEEP_MILLIS = 5;
    private static final long MAX_SWEEP_MILLIS = 250;

    private final Supplier<Duration> timeout;
    private final ArrayDeque<Exchange> pending = new ArrayDeque<>();
    private final Sweeper sweeper;

    ResponseDeadlines(Vertx vertx, Supplier<Duration> timeout) {
        this.timeout = timeout;
        this.sweeper = Sweeper.start(vertx, () -> timeout.get().toMillis(), 10, MIN_SWEEP_MILLIS, MAX_SWEEP_MILLIS, this::sweep);
    }

    long deadlineFromNow() {
        return System.nanoTime() + timeout.get().toNanos();
    }

    void watch(Exchange exchange) {
        pending.addLast(exchange);
    }

    void stop() {
        sweeper.stop();
    }

    private void sweep() {
        long now = System.nanoTime();
        while (!pending.isEmpty() && pending.peekFirst().expireIfDue(now)) {
            pending.pollFirst();
        }
    }
}
