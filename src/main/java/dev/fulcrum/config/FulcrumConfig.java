package dev.fulcrum.config;

import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable configuration snapshot. Only {@link ConfigParser} builds it; a reload builds a
 * whole new one and swaps the reference.
 */
public record FulcrumConfig(
        ListenAddress listen,
        ListenAddress admin,
        Duration configScanPeriod,
        String algorithm,
        Duration healthCheckInterval,
        HealthCheckSettings healthCheck,
        int consecutiveFailures,
        Duration connectTimeout,
        Duration requestTimeout,
        List<ServerSpec> servers) {

    public FulcrumConfig {
        servers = List.copyOf(servers);
    }
}
