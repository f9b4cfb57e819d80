package dev.fulcrum.metrics;

import dev.fulcrum.config.ReloadStatus;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class MeterReadingTest {

    @Test
    void aReadingHasTheCountsAndCumulativeBucketsThatMetricsExposes() {
        try (Metrics metrics = Metrics.prometheus("test", () -> ReloadStatus.initial("{}"), () -> 0)) {
            BackendMeters meters = metrics.backend("default", "http://a:1", () -> 0, () -> true);
            meters.responded(200, TimeUnit.MICROSECONDS.toNanos(300));
            meters.responded(200, TimeUnit.MILLISECONDS.toNanos(1));
            meters.responded(404, TimeUnit.MILLISECONDS.toNanos(7));
            meters.responded(502, TimeUnit.MILLISECONDS.toNanos(700));
            meters.responded(503, TimeUnit.SECONDS.toNanos(90));

            MeterReading reading = meters.read();

            assertEquals(5, reading.responses());
            assertEquals(2, reading.serverErrors());
            assertEquals(5, reading.durationCount());
            // le: 0.5ms 1ms 2.5ms 5ms 10ms 25ms 50ms 100ms 250ms 500ms 1s 2.5s 5s 10s 30s 60s; 90 s is only in +Inf.
            assertArrayEquals(new long[] {1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4}, reading.buckets());
            assertEquals(0.0005, MeterReading.bucketBoundsSeconds()[0]);
            assertEquals(60, MeterReading.bucketBoundsSeconds()[15]);
        }
    }

    @Test
    void metersThatCountIntoNothingReadAsZeroBuckets() {
        BackendMeters meters = Metrics.nowhere().backend("default", "http://a:1", () -> 0, () -> true);
        meters.responded(200, 1_000);

        assertArrayEquals(new long[MeterReading.bucketBoundsSeconds().length], meters.read().buckets());
    }
}
