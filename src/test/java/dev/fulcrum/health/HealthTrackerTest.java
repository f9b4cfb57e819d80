package dev.fulcrum.health;

import dev.fulcrum.balancer.HealthState;
import org.junit.jupiter.api.Test;

import static dev.fulcrum.balancer.HealthState.HEALTHY;
import static dev.fulcrum.balancer.HealthState.UNHEALTHY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class HealthTrackerTest {

    private final HealthTracker tracker = new HealthTracker(HealthState.UNKNOWN);

    private HealthState probe(boolean success) {
        return tracker.probed(success, 2, 3);
    }

    @Test
    void firstSuccessMakesAnUnknownBackendHealthyAtOnce() {
        assertEquals(HEALTHY, probe(true));
    }

    @Test
    void firstFailureMarksAnUnknownBackendUnhealthy() {
        assertEquals(UNHEALTHY, probe(false));
    }

    @Test
    void healthyBackendFallsAfterUnhealthyThresholdFailuresInARow() {
        probe(true);
        assertNull(probe(false));
        assertNull(probe(false));
        assertNull(probe(true));
        assertNull(probe(false));
        assertNull(probe(false));
        assertEquals(UNHEALTHY, probe(false));
    }

    @Test
    void unhealthyBackendRisesAfterHealthyThresholdSuccessesInARow() {
        probe(false);
        assertNull(probe(true));
        assertNull(probe(false));
        assertNull(probe(true));
        assertEquals(HEALTHY, probe(true));
    }

    @Test
    void ejectionTakesAHealthyBackendOutAndOnlyTheThresholdBringsItBack() {
        probe(true);
        assertEquals(UNHEALTHY, tracker.ejected());
        assertNull(tracker.ejected());
        assertNull(probe(true));
        assertEquals(HEALTHY, probe(true));
    }

    @Test
    void ejectionResetsSuccessesCountedSoFar() {
        probe(false);
        assertNull(probe(true));
        assertNull(tracker.ejected());
        assertNull(probe(true));
        assertEquals(HEALTHY, probe(true));
    }
}
