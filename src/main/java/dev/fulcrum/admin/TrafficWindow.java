package dev.fulcrum.admin;

import dev.fulcrum.metrics.MeterReading;

/**
 * The last minute of one backend's meters, from a {@link MeterReading} a second. Response counts are kept for
 * each of the last {@value #STEPS} one-second steps (the sparkline); duration buckets, eight times their
 * weight, only from every {@value #BUCKETS_EVERY}th reading, plus the newest, so that a pool of thousands of
 * backends costs about 3 KiB each: percentiles then span 60 to 70 s, and are as fresh as the newest reading.
 * Rates divide by the time that passed, not by a count of steps: a late tick stretches its step instead of
 * inflating its rate. Each reading comes with its time, the same for every backend read in one tick, so that
 * backends' rates cover the same span and add up exactly. Used from one thread (the admin event loop).
 */
final class TrafficWindow {

    static final int STEPS = 60;
    static final int BUCKETS_EVERY = 10;

    /** By reading number modulo their length: STEPS + 1 readings make STEPS steps. */
    private final long[] times = new long[STEPS + 1];
    private final long[] responses = new long[STEPS + 1];
    private final long[] serverErrors = new long[STEPS + 1];
    /** By the number of the bucket reading modulo their length: the oldest is 60 to 70 s old. */
    private final long[] bucketTimes = new long[STEPS / BUCKETS_EVERY + 1];
    private final MeterReading[] bucketReadings = new MeterReading[STEPS / BUCKETS_EVERY + 1];
    private long recorded;
    private MeterReading newest;

    /** {@code nanos}: when it was read, on a monotonic clock. */
    void record(long nanos, MeterReading reading) {
        int slot = (int) (recorded % times.length);
        times[slot] = nanos;
        responses[slot] = reading.responses();
        serverErrors[slot] = reading.serverErrors();
        if (recorded % BUCKETS_EVERY == 0) {
            int bucketSlot = (int) (recorded / BUCKETS_EVERY % bucketTimes.length);
            bucketTimes[bucketSlot] = nanos;
            bucketReadings[bucketSlot] = reading;
        }
        newest = reading;
        recorded++;
    }

    /** Rates from the oldest reading kept to the newest; none before there are two. */
    TrafficRates lastMinute() {
        if (recorded < 2) {
            return TrafficRates.NONE;
        }
        long newestNumber = recorded - 1;
        long oldestNumber = Math.max(0, recorded - times.length);
        double seconds = seconds(oldestNumber, newestNumber);
        if (seconds <= 0) {
            return TrafficRates.NONE;
        }
        int oldest = (int) (oldestNumber % times.length);
        double requests = (newest.responses() - responses[oldest]) / seconds;
        double errors = (newest.serverErrors() - serverErrors[oldest]) / seconds;
        long bucketReadingsTaken = (recorded + BUCKETS_EVERY - 1) / BUCKETS_EVERY;
        int oldestBuckets = (int) (Math.max(0, bucketReadingsTaken - bucketTimes.length) % bucketTimes.length);
        double bucketSeconds = (times[(int) (newestNumber % times.length)] - bucketTimes[oldestBuckets]) / 1e9;
        if (bucketSeconds <= 0) {
            return new TrafficRates(requests, errors, 0, TrafficRates.NONE.buckets());
        }
        TrafficRates durations = TrafficRates.between(bucketReadings[oldestBuckets], newest, bucketSeconds);
        return new TrafficRates(requests, errors, durations.durations(), durations.buckets());
    }

    /** Requests per second in each step, oldest first: up to {@value #STEPS} values. */
    double[] requestsPerSecond() {
        long first = Math.max(1, recorded - STEPS);
        double[] perStep = new double[(int) (recorded - first)];
        for (int i = 0; i < perStep.length; i++) {
            long number = first + i;
            double seconds = seconds(number - 1, number);
            perStep[i] = seconds <= 0 ? 0
                    : (responses[(int) (number % times.length)] - responses[(int) ((number - 1) % times.length)]) / seconds;
        }
        return perStep;
    }

    /** Between two readings still kept, by number. */
    private double seconds(long older, long newer) {
        return (times[(int) (newer % times.length)] - times[(int) (older % times.length)]) / 1e9;
    }
}
