package dev.fulcrum.metrics;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One backend's meters read at one moment: totals since they were created, the numbers {@code /metrics} shows
 * as {@code fulcrum_requests_total} and {@code fulcrum_request_duration_seconds_bucket}. Rates are differences
 * between two readings, as PromQL's {@code rate()} takes them.
 *
 * @param responses     responses sent, every status code
 * @param serverErrors  responses with a 5xx status
 * @param durationCount durations recorded: the {@code le="+Inf"} bucket
 * @param buckets       durations at most each of {@link #bucketBoundsSeconds()}, cumulative like {@code le}
 */
public record MeterReading(long responses, long serverErrors, long durationCount, long[] buckets) {

    private static final double[] BOUNDS_SECONDS = Arrays.stream(BackendMeters.DURATION_BUCKETS)
            .mapToDouble(bound -> bound.toNanos() / 1e9).toArray();

    /** The upper bounds of the duration histogram's finite buckets, in seconds, ascending. */
    public static double[] bucketBoundsSeconds() {
        return BOUNDS_SECONDS.clone();
    }

    /** Nothing counted yet. */
    public static MeterReading zero() {
        return new MeterReading(0, 0, 0, new long[BOUNDS_SECONDS.length]);
    }

    static MeterReading of(long responses, long serverErrors, HistogramSnapshot durations) {
        long[] buckets = new long[BOUNDS_SECONDS.length];
        // A registry that keeps no histogram (Metrics.nowhere) has no buckets: they stay 0.
        for (CountAtBucket bucket : durations.histogramCounts()) {
            int index = Arrays.binarySearch(BOUNDS_SECONDS, bucket.bucket(TimeUnit.SECONDS));
            if (index >= 0) {
                buckets[index] = (long) bucket.count();
            }
        }
        return new MeterReading(responses, serverErrors, durations.count(), buckets);
    }
}
