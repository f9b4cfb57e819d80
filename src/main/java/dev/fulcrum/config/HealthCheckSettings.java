package dev.fulcrum.config;

import java.time.Duration;

/** How the active checker probes each backend; see the README's config reference for defaults. */
public record HealthCheckSettings(
        String path,
        Duration timeout,
        int healthyThreshold,
        int unhealthyThreshold,
        StatusRanges expectedStatus) {
}
