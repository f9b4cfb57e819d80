package dev.fulcrum.health;

import dev.fulcrum.balancer.HealthState;

/**
 * The rise/fall rule for one backend, as HAProxy's checks apply it: a first success after startup makes an
 * unknown backend healthy at once; after that, {@code healthyThreshold} successes in a row bring an unhealthy
 * backend back and {@code unhealthyThreshold} failures in a row take a healthy one out. Pure: no I/O, no time.
 */
final class HealthTracker {

    private HealthState state;
    private int successes;
    private int failures;

    HealthTracker(HealthState initial) {
        this.state = initial;
    }

    HealthState state() {
        return state;
    }

    /** Applies one probe result; returns the new state if it changed, or null. */
    HealthState probed(boolean success, int healthyThreshold, int unhealthyThreshold) {
        if (success) {
            failures = 0;
            successes++;
            if (state == HealthState.UNKNOWN || (state == HealthState.UNHEALTHY && successes >= healthyThreshold)) {
                return moveTo(HealthState.HEALTHY);
            }
        } else {
            successes = 0;
            failures++;
            if (state == HealthState.UNKNOWN || (state == HealthState.HEALTHY && failures >= unhealthyThreshold)) {
                return moveTo(HealthState.UNHEALTHY);
            }
        }
        return null;
    }

    /** The proxy saw the backend fail: out at once, back only through the healthy threshold. */
    HealthState ejected() {
        successes = 0;
        return state == HealthState.UNHEALTHY ? null : moveTo(HealthState.UNHEALTHY);
    }

    private HealthState moveTo(HealthState next) {
        state = next;
        successes = 0;
        failures = 0;
        return next;
    }
}
