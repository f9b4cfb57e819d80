package dev.fulcrum.balancer;

import java.time.Duration;
import java.util.function.LongSupplier;

/** A System.nanoTime that moves only when told, from an arbitrary origin (nanoTime's origin is arbitrary too). */
final class FakeClock implements LongSupplier {

    private long now = 1_234_567_890L;

    @Override
    public long getAsLong() {
        return now;
    }

    FakeClock advance(Duration by) {
        now += by.toNanos();
        return this;
    }

    FakeClock advanceMillis(long millis) {
        return advance(Duration.ofMillis(millis));
    }
}
