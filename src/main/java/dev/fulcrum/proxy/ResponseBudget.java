package dev.fulcrum.proxy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The one budget of response bytes that all client connections together may hold while their clients do not read
 * ({@code maxBufferedBytes}). Each proxy event loop keeps within an equal share of it on its own (connections are
 * spread evenly over the loops), so that no loop waits for another, and publishes what it holds.
 */
public final class ResponseBudget {

    private final LongSupplier max;
    private final List<AtomicLong> held = new CopyOnWriteArrayList<>();

    /** {@code max} is read at every sweep, so that an edit of {@code maxBufferedBytes} applies at once. */
    public ResponseBudget(LongSupplier max) {
        this.max = max;
    }

    /** A new event loop's own counter of what it holds. */
    AtomicLong addLoop() {
        AtomicLong loop = new AtomicLong();
        held.add(loop);
        return loop;
    }

    /** What one event loop may hold. */
    long share() {
        return max.getAsLong() / Math.max(1, held.size());
    }

    /** Response bytes waiting for clients now, as of each loop's last sweep. */
    public long held() {
        return held.stream().mapToLong(AtomicLong::get).sum();
    }
}
