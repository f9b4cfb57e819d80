package dev.fulcrum.proxy;

import io.vertx.core.Vertx;

import java.util.function.LongSupplier;

/**
 * Runs a sweep over per-event-loop deadlines again and again, each time after the period the current config
 * asks for, until stopped. One timer per event loop instead of one per request or connection.
 */
final class Sweeper {

    private final Vertx vertx;
    private final LongSupplier periodMillis;
    private final Runnable sweep;
    private boolean stopped;

    private Sweeper(Vertx vertx, LongSupplier periodMillis, Runnable sweep) {
        this.vertx = vertx;
        this.periodMillis = periodMillis;
        this.sweep = sweep;
    }

    /** Starts sweeping every {@code fraction} of {@code timeoutMillis}, kept within {@code min}..{@code max} ms. */
    static Sweeper start(Vertx vertx, LongSupplier timeoutMillis, int fraction, long min, long max, Runnable sweep) {
        Sweeper sweeper = new Sweeper(vertx, () -> Math.max(min, Math.min(max, timeoutMillis.getAsLong() / fraction)), sweep);
        sweeper.schedule();
        return sweeper;
    }

    void stop() {
        stopped = true;
    }

    private void schedule() {
        vertx.setTimer(periodMillis.getAsLong(), id -> {
            if (!stopped) {
                try {
                    sweep.run();
                } finally {
                    schedule();
                }
            }
        });
    }
}
