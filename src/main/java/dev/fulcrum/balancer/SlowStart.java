package dev.fulcrum.balancer;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The weight a policy gives a backend: its configured weight, or, for a backend that has just joined a serving
 * pool ({@link Backend#joinedAt()}: back after being down, or added by a reload), a share that grows linearly from
 * 10 % to 100 % of it over the window, so a cold cache or JIT is not handed its whole share at once.
 * <p>
 * The floor of 10 % is Envoy's {@code min_weight_percent}: a backend at 0 % would get no requests, and its
 * first few would come in a burst at the end. Unlike Envoy, which holds the floor until the linear share passes
 * it, the ramp starts at the floor, so the weight grows from the first instant. HAProxy ramps only servers seen
 * failed, never one a reload added; this ramps both.
 */
public final class SlowStart {

    /** No ramp: every backend has its configured weight, and no clock is read. */
    public static final SlowStart OFF = new SlowStart(Duration.ZERO, () -> 0L);

    static final double FIRST_SHARE = 0.10;

    private final long windowNanos;
    private final LongSupplier nanoTime;

    /** {@code nanoTime} is System.nanoTime but in tests: the clock {@link Backend#joinedAt()} is read on. */
    public SlowStart(Duration window, LongSupplier nanoTime) {
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    public boolean off() {
        return windowNanos == 0;
    }

    /** The time to weigh at, read once per pick; 0, without reading the clock, when slow start is off. */
    long now() {
        return off() ? 0 : nanoTime.getAsLong();
    }

    /** The weight {@code backend} has at {@code now}: its configured weight, or less while it ramps up. */
    double weight(Backend backend, long now) {
        int weight = backend.weight();
        long joinedAt = backend.joinedAt();
        if (off() || joinedAt == Backend.JOINED_AT_START) {
            return weight;
        }
        // A pick may read the clock just before the health checker does: that backend has only just joined.
        long elapsed = Math.max(0, now - joinedAt);
        if (elapsed >= windowNanos) {
            return weight;
        }
        return weight * (FIRST_SHARE + (1 - FIRST_SHARE) * elapsed / windowNanos);
    }
}
