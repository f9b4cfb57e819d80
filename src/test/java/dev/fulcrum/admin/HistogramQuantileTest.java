package dev.fulcrum.admin;

import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HistogramQuantileTest {

    private static final double[] BOUNDS = {0.1, 0.2, 0.5};
    /** 10 at most 0.1, 20 more up to 0.2, 10 more up to 0.5, 10 beyond (the +Inf bucket). */
    private static final double[] CUMULATIVE = {10, 30, 40};
    private static final double TOTAL = 50;

    @Test
    void interpolatesLinearlyWithinTheBucketTheRankFallsIn() {
        // rank 25: 15 into the 20 between 0.1 and 0.2.
        assertEquals(0.175, HistogramQuantile.of(0.5, BOUNDS, CUMULATIVE, TOTAL).getAsDouble(), 1e-12);
    }

    @Test
    void theFirstBucketStartsAtZero() {
        // rank 5: half of the 10 between 0 and 0.1.
        assertEquals(0.05, HistogramQuantile.of(0.1, BOUNDS, CUMULATIVE, TOTAL).getAsDouble(), 1e-12);
    }

    @Test
    void aRankInTheInfiniteBucketIsTheLargestFiniteBound() {
        assertEquals(0.5, HistogramQuantile.of(0.99, BOUNDS, CUMULATIVE, TOTAL).getAsDouble());
    }

    @Test
    void aRankOnABucketBoundaryIsThatBound() {
        // rank 30 is exactly the count up to 0.2.
        assertEquals(0.2, HistogramQuantile.of(0.6, BOUNDS, CUMULATIVE, TOTAL).getAsDouble(), 1e-12);
    }

    @Test
    void noObservationsHaveNoQuantile() {
        assertEquals(OptionalDouble.empty(), HistogramQuantile.of(0.5, BOUNDS, new double[3], 0));
    }
}
