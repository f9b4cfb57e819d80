package dev.fulcrum.admin;

import java.util.OptionalDouble;

/**
 * A quantile from classic histogram buckets, estimated as PromQL's {@code histogram_quantile} does
 * (promql/quantile.go, {@code bucketQuantile}), so that the status page and a Prometheus dashboard agree: find
 * the bucket the rank falls in and interpolate linearly within it, from 0 for the first bucket; a rank beyond
 * the last finite bucket is that bucket's upper bound.
 */
final class HistogramQuantile {

    private HistogramQuantile() {
    }

    /**
     * The {@code q}-quantile (0 to 1) of {@code total} observations, {@code cumulative[i]} of them at most
     * {@code upperBounds[i]} (ascending); empty when there is none.
     */
    static OptionalDouble of(double q, double[] upperBounds, double[] cumulative, double total) {
        if (!(total > 0)) {
            return OptionalDouble.empty();
        }
        double rank = q * total;
        int bucket = 0;
        while (bucket < upperBounds.length && cumulative[bucket] < rank) {
            bucket++;
        }
        if (bucket == upperBounds.length) {
            return OptionalDouble.of(upperBounds[upperBounds.length - 1]);
        }
        double start = bucket == 0 ? 0 : upperBounds[bucket - 1];
        double below = bucket == 0 ? 0 : cumulative[bucket - 1];
        double within = cumulative[bucket] - below;
        return OptionalDouble.of(start + (upperBounds[bucket] - start) * ((rank - below) / within));
    }
}
