package dev.fulcrum.admin;

import dev.fulcrum.metrics.MeterReading;

import java.util.function.LongSupplier;

/**
 * The last minute of one backend's meters: a {@link MeterReading} a second in a ring of {@value #STEPS} + 1, so
 * that {@value #STEPS} steps remain. Rates divide by the time the clock says passed, not by the step count: a
 * late tick then stretches a step instead of inflating its rate. Used from one thread (the admin event loop).
 */
final class TrafficWindow {

    static final int STEPS = 60;

    /** Monotonic nanoseconds. */
    private final LongSupplier clock;
    private final long[] times = new long[STEPS + 1];
    private final MeterReading[] readings = new MeterReading[STEPS + 1];
    private int size;
    private int next;

    TrafficWindow(LongSupplier clock) {
        this.clock = clock;
    }

    void record(MeterReading reading) {
        times[next] = clock.getAsLong();
        readings[next] = reading;
        next = (next + 1) % readings.length;
        size = Math.min(size + 1, readings.length);
    }

    /** Rates from the oldest reading kept to the newest; none before there are two. */
    TrafficRates lastMinute() {
        return size < 2 ? TrafficRates.NONE : between(size - 1, 0);
    }

    /** Requests per second in each step, oldest first: up to {@value #STEPS} values. */
    double[] requestsPerSecond() {
        double[] perStep = new double[Math.max(0, size - 1)];
        for (int i = 0; i < perStep.length; i++) {
            int age = perStep.length - i;
            perStep[i] = between(age, age - 1).requests();
        }
        return perStep;
    }

    /** {@code age} 0 is the newest reading. */
    private TrafficRates between(int olderAge, int newerAge) {
        int older = slot(olderAge);
        int newer = slot(newerAge);
        double seconds = (times[newer] - times[older]) / 1e9;
        return seconds > 0 ? TrafficRates.between(readings[older], readings[newer], seconds) : TrafficRates.NONE;
    }

    private int slot(int age) {
        return Math.floorMod(next - 1 - age, readings.length);
    }
}
