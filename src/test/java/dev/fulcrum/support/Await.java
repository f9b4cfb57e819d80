package dev.fulcrum.support;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waits for a state by polling it with a deadline, instead of sleeping for a guessed time. */
public final class Await {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, POLL_NANOS, condition);
    }

    private static void until(String what, Duration timeout, long pollNanos, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            LockSupport.parkNanos(pollNanos);
        }
    }

    /** Polls {@code value} until it is accepted, and returns the accepted value. */
    public static <T> T value(String what, Duration timeout, Supplier<T> value, Predicate<T> accept) {
        return value(what, timeout, Duration.ofNanos(POLL_NANOS), value, accept);
    }

    /**
     * As {@link #value(String, Duration, Supplier, Predicate)}, polling every {@code pollEvery}: for a value that
     * costs a round trip to another process (a browser), which a 2 ms loop would keep busy. The timeout's
     * message ends with the last value seen.
     */
    public static <T> T value(String what, Duration timeout, Duration pollEvery, Supplier<T> value, Predicate<T> accept) {
        Object[] last = new Object[1];
        try {
            until(what, timeout, pollEvery.toNanos(), () -> {
                T current = value.get();
                last[0] = current;
                return accept.test(current);
            });
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + "; last seen: " + last[0]);
        }
        @SuppressWarnings("unchecked")
        T accepted = (T) last[0];
        return accepted;
    }
}
