package dev.fulcrum.admin;

import dev.fulcrum.metrics.MeterReading;

import java.util.OptionalDouble;

/**
 * Per-second rates between two readings of a backend's meters, as PromQL's {@code rate()} gives them; the
 * rates of several backends add up, as {@code sum(rate(...))} does, so the totals are computed like a
 * dashboard's.
 *
 * @param buckets per-second rate of each cumulative duration bucket ({@link MeterReading#bucketBoundsSeconds()})
 */
record TrafficRates(double requests, double serverErrors, double durations, double[] buckets) {

    private static final double[] BOUNDS = MeterReading.bucketBoundsSeconds();

    static final TrafficRates NONE = new TrafficRates(0, 0, 0, new double[BOUNDS.length]);

    static TrafficRates between(MeterReading older, MeterReading newer, double seconds) {
        double[] buckets = new double[BOUNDS.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = (newer.buckets()[i] - older.buckets()[i]) / seconds;
        }
        return new TrafficRates((newer.responses() - older.responses()) / seconds,
                (newer.serverErrors() - older.serverErrors()) / seconds,
                (newer.durationCount() - older.durationCount()) / seconds, buckets);
    }

    TrafficRates plus(TrafficRates other) {
        double[] sum = buckets.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other.buckets[i];
        }
        return new TrafficRates(requests + other.requests, serverErrors + other.serverErrors,
                durations + other.durations, sum);
    }

    /** The share of responses that were 5xx, in percent; empty when there was no response. */
    OptionalDouble serverErrorPercent() {
        return requests > 0 ? OptionalDouble.of(100 * serverErrors / requests) : OptionalDouble.empty();
    }

    /** The {@code q}-quantile of the response durations, in seconds; empty when there was no response. */
    OptionalDouble quantileSeconds(double q) {
        return HistogramQuantile.of(q, BOUNDS, buckets, durations);
    }
}
