package dev.fulcrum.balancer;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeakEwmaTest {

    private static final long MS = 1_000_000;
    private static final long S = 1_000 * MS;

    private final PeakEwma ewma = new PeakEwma();

    @Test
    void noSampleGivesNoEstimate() {
        assertTrue(Double.isNaN(ewma.at(0)));
    }

    @Test
    void theFirstSampleIsTheEstimate() {
        ewma.record(10 * MS, 0);
        assertEquals(10 * MS, ewma.at(0));
    }

    @Test
    void aSampleAboveTheEstimateReplacesItAtOnce() {
        ewma.record(10 * MS, 0);
        ewma.record(50 * MS, S);
        assertEquals(50 * MS, ewma.at(S));
    }

    @Test
    void aSampleBelowTheEstimatePullsItDownByTheTimeElapsed() {
        ewma.record(50 * MS, 0);
        ewma.record(10 * MS, 5 * S);
        // w = exp(-5 s / 10 s) = 0.6065307: 50 ms × w + 10 ms × (1 - w)
        assertEquals(34.261_226 * MS, ewma.at(5 * S), 1);
    }

    @Test
    void samplesBelowTheEstimateAtTheSameInstantChangeNothing() {
        ewma.record(50 * MS, 0);
        ewma.record(1 * MS, 0);
        assertEquals(50 * MS, ewma.at(0));
    }

    @Test
    void withoutSamplesTheEstimateHalvesInTenSecondsTimesLnTwo() {
        ewma.record(40 * MS, 0);
        assertEquals(20 * MS, ewma.at(Math.round(10 * S * Math.log(2))), 1);
        assertEquals(40 * MS / Math.E, ewma.at(10 * S), 1);
    }

    @Test
    void aSampleFromAFewMicrosecondsBackCountsAsOneOfNow() {
        ewma.record(50 * MS, S);
        ewma.record(10 * MS, S - 5_000);
        assertEquals(50 * MS, ewma.at(S));
    }

    @Test
    void concurrentSamplesNeverLoseAPeak() throws InterruptedException {
        for (int round = 0; round < 20; round++) {
            PeakEwma shared = new PeakEwma();
            shared.record(1 * MS, 0);
            CountDownLatch start = new CountDownLatch(1);
            Thread fast = new Thread(() -> {
                await(start);
                for (int i = 0; i < 20_000; i++) {
                    shared.record(1 * MS, 0);
                }
            });
            Thread peak = new Thread(() -> {
                await(start);
                shared.record(100 * MS, 0);
            });
            fast.start();
            peak.start();
            start.countDown();
            fast.join();
            peak.join();
            // At one instant a lower sample leaves the estimate as it is: only a lost update could undo the peak.
            assertEquals(100 * MS, shared.at(0));
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
