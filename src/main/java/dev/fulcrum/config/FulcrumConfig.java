package dev.fulcrum.config;

import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable configuration snapshot ({@code accessLog} is null when there is none, and
 * {@code requestIdHeader} empty when request IDs are off). Only {@link ConfigParser} builds it; a reload builds a
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
        BackendTls backendTls,
        ForwardedHeaders forwardedHeaders,
        boolean preserveHost,
        Duration shutdownDelay,
        Duration shutdownTimeout,
        ClientLimits limits,
        IoTransport transport,
        Duration warmUp,
        AccessLogSettings accessLog,
        String requestIdHeader,
        List<ServerSpec> servers) {

    /** Which forwarding headers the backends see. */
    public enum ForwardedHeaders {
        /** X-Forwarded-For, -Proto, -Host and -Port. */
        X_FORWARDED,
        /** RFC 7239 Forwarded. */
        FORWARDED,
        BOTH,
        NONE;

        public boolean xForwarded() {
            return this == X_FORWARDED || this == BOTH;
        }

        public boolean forwarded() {
            return this == FORWARDED || this == BOTH;
        }
    }

    public FulcrumConfig {
        servers = List.copyOf(servers);
    }
}
