package dev.fulcrum.config;

import java.time.Duration;
import java.util.List;

/**
 * One named pool of backends and the settings its backends are balanced, checked and reached with. The top-level
 * fields of the file are the pool named {@value #DEFAULT} and every other pool's defaults.
 */
public record PoolSettings(
        String name,
        String algorithm,
        HashSettings hash,
        StickyCookie stickyCookie,
        Duration slowStart,
        Duration healthCheckInterval,
        HealthCheckSettings healthCheck,
        int consecutiveFailures,
        Duration connectTimeout,
        Duration requestTimeout,
        BackendTls backendTls,
        BackendProtocol backendProtocol,
        boolean preserveHost,
        List<ServerSpec> servers) {

    public static final String DEFAULT = "default";

    public PoolSettings {
        servers = List.copyOf(servers);
    }

    /** Whether its policy hashes a key of the request onto a Maglev table (maglev, ip-hash, uri-hash). */
    public boolean hashing() {
        return PoolParser.HASHING.contains(algorithm);
    }
}
