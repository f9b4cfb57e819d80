package dev.fulcrum.config;

import dev.fulcrum.routing.Route;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One validated, immutable configuration snapshot ({@code accessLog} and {@code stickyCookie} are null when there is
 * none, {@code tls} when there is no HTTPS listener, and {@code requestIdHeader} empty when request IDs are off;
 * {@code hash} is used by the hashing algorithms only). {@code warnings} are what the file asks for that is valid but most likely a mistake (a pool no request can
 * reach), logged when it is loaded and printed by {@code fulcrum check}. Only {@link ConfigParser} builds it; a
 * reload builds a whole new one and swaps the reference.
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
        HashSettings hash,
        StickyCookie stickyCookie,
        Duration slowStart,
        List<Cidr> trustedProxies,
        List<ServerSpec> servers,
        Map<String, PoolSettings> pools,
        List<Route<RouteAction>> routes,
        TlsSettings tls,
        boolean h2c,
        List<String> warnings) {

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
        trustedProxies = List.copyOf(trustedProxies);
        servers = List.copyOf(servers);
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        routes = List.copyOf(routes);
        warnings = List.copyOf(warnings);
    }

    /** The pool {@code name}, or null if there is none. */
    public PoolSettings pool(String name) {
        return pools.get(name);
    }

    /** The longest a health probe of any pool may take. */
    public Duration longestProbeTimeout() {
        return pools.values().stream().map(pool -> pool.healthCheck().timeout()).max(Duration::compareTo)
                .orElse(healthCheck.timeout());
    }

    /**
     * The files read besides the config itself, whose content is part of this snapshot: a change to one is an
     * edit too (a renewed certificate, a new CA bundle).
     */
    public List<String> filesRead() {
        List<String> files = new ArrayList<>();
        if (tls != null) {
            tls.certificates().forEach(certificate -> {
                files.add(certificate.certFile());
                files.add(certificate.keyFile());
            });
        }
        pools.values().stream().map(pool -> pool.backendTls().caFile()).filter(Objects::nonNull).forEach(files::add);
        return files.stream().distinct().toList();
    }

    /** Every pool's servers, pool by pool. */
    public int serverCount() {
        return pools.values().stream().mapToInt(pool -> pool.servers().size()).sum();
    }
}
