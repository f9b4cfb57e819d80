package dev.fulcrum.admin;

import dev.fulcrum.metrics.MeterReading;
import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TrafficWindowTest {

    private static final int BUCKETS = MeterReading.bucketBoundsSeconds().length;

    private final TrafficWindow window = new TrafficWindow();

    @Test
    void requestsPerSecondAndErrorShareAreDifferencesOverTheTimeThatPassed() {
        record(0, new MeterReading(1_000, 40, 1_000, filled(1_000)));
        record(2, new MeterReading(1_100, 45, 1_100, filled(1_100)));

        TrafficRates rates = window.lastMinute();

        assertEquals(50, rates.requests());
        assertEquals(5, rates.serverErrorPercent().getAsDouble());
    }

    @Test
    void quantilesInterpolateWithinTheBucketsFilledDuringTheWindow() {
        long[] before = filled(7); // 7 responses of at most 0.5 ms before the window: not in it
        // In the window: 50 in (0.5 ms, 1 ms], 40 in (1 ms, 2.5 ms], 10 in (50 ms, 100 ms].
        long[] after = {7, 57, 97, 97, 97, 97, 97, 107, 107, 107, 107, 107, 107, 107, 107, 107};
        record(0, new MeterReading(7, 0, 7, before));
        record(1, new MeterReading(107, 0, 107, after));

        TrafficRates rates = window.lastMinute();

        // p50: rank 50 is the last of the 50 between 0.5 and 1 ms.
        assertEquals(0.001, rates.quantileSeconds(0.5).getAsDouble(), 1e-12);
        // p99: rank 99 is 9 into the 10 between 50 and 100 ms.
        assertEquals(0.095, rates.quantileSeconds(0.99).getAsDouble(), 1e-12);
    }

    @Test
    void oneReadingHasNoRatesYet() {
        record(0, new MeterReading(10, 1, 10, filled(10)));

        TrafficRates rates = window.lastMinute();

        assertEquals(0, rates.requests());
        assertEquals(OptionalDouble.empty(), rates.serverErrorPercent());
        assertEquals(OptionalDouble.empty(), rates.quantileSeconds(0.99));
        assertArrayEquals(new double[0], window.requestsPerSecond());
    }

    @Test
    void aMinuteOfStepsIsKeptAndOlderReadingsDrop() {
        for (int second = 0; second < 70; second++) {
            long responses = (long) second * second;
            record(second, new MeterReading(responses, 0, responses, filled(responses)));
        }

        // From second 9 (81 responses) to 69 (4761).
        assertEquals((4761 - 81) / 60.0, window.lastMinute().requests(), 1e-12);
        double[] perSecond = window.requestsPerSecond();
        assertEquals(60, perSecond.length);
        assertEquals(2 * 10 - 1, perSecond[0]);
        assertEquals(2 * 69 - 1, perSecond[59]);
    }

    @Test
    void percentilesSpanSixtyToSeventySecondsAndFollowTheNewestReading() {
        // Seconds 0 to 9: 100 responses slower than every bucket; from second 10 on, 10 fast ones a second.
        for (int second = 0; second < 75; second++) {
            long fast = Math.max(0, second - 10) * 10L;
            record(second, new MeterReading(100 + fast, 0, 100 + fast, filled(fast)));
        }

        // From second 10, the oldest duration reading kept (64 s old): only the 640 fast ones.
        assertEquals(0.0005 * 0.99, window.lastMinute().quantileSeconds(0.99).getAsDouble(), 1e-12);

        record(75, new MeterReading(1_750, 0, 1_750, filled(650)));
        assertEquals(60, window.lastMinute().quantileSeconds(0.99).getAsDouble(), "1000 slow ones in the newest second");
    }

    @Test
    void twoReadingsAtOneInstantHaveNoRate() {
        record(5, new MeterReading(0, 0, 0, filled(0)));
        record(5, new MeterReading(10, 0, 10, filled(10)));

        assertEquals(0, window.lastMinute().requests());
        assertArrayEquals(new double[] {0}, window.requestsPerSecond());
    }

    @Test
    void aLateTickStretchesItsStepInsteadOfInflatingItsRate() {
        record(0, new MeterReading(0, 0, 0, filled(0)));
        record(1, new MeterReading(10, 0, 10, filled(10)));
        record(3, new MeterReading(30, 0, 30, filled(30)));

        assertArrayEquals(new double[] {10, 10}, window.requestsPerSecond());
        assertEquals(10, window.lastMinute().requests());
    }

    @Test
    void backendsRatesAddUpAsSumOfRateDoes() {
        TrafficWindow other = new TrafficWindow();
        record(0, new MeterReading(0, 0, 0, filled(0)));
        other.record(0, new MeterReading(0, 0, 0, filled(0)));
        // This backend: 90 fast responses (at most 0.5 ms); the other: 10 errors, all beyond 60 s.
        record(1, new MeterReading(90, 0, 90, filled(90)));
        other.record(TimeUnit.SECONDS.toNanos(1), new MeterReading(10, 10, 10, filled(0)));

        TrafficRates total = window.lastMinute().plus(other.lastMinute());

        assertEquals(100, total.requests());
        assertEquals(10, total.serverErrorPercent().getAsDouble());
        assertEquals(0.0005 * 50 / 90, total.quantileSeconds(0.5).getAsDouble(), 1e-12);
        assertEquals(60, total.quantileSeconds(0.99).getAsDouble());
    }

    private void record(int second, MeterReading reading) {
        window.record(TimeUnit.SECONDS.toNanos(second), reading);
    }

    /** Every bucket holds {@code count}: all of them at most 0.5 ms. */
    private static long[] filled(long count) {
        long[] buckets = new long[BUCKETS];
        java.util.Arrays.fill(buckets, count);
        return buckets;
    }
}
