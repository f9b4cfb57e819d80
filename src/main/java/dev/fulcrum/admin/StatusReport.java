package dev.fulcrum.admin;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.ReloadStatus;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.ServerCertificate;
import dev.fulcrum.config.TlsSettings;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.routing.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The JSON of {@code GET /status}, which the status page renders: the header (version, uptime, config, state,
 * totals), one entry per backend, problems first, and the event timeline. Rates and percentiles are those of
 * the last minute, from {@link TrafficSampler}; the totals add up every backend and Fulcrum's own answers (its
 * 503s are errors a user saw). Field names are documented in the README's "Status page".
 */
final class StatusReport {

    /** Problems first: a backend out of rotation, then one not known yet; configuration order within each. */
    private static final Comparator<Backend> PROBLEMS_FIRST = Comparator.comparingInt(backend -> switch (backend.health()) {
        case UNHEALTHY -> 0;
        case UNKNOWN -> 1;
        case HEALTHY -> 2;
    });

    /** A page of more rows than this is no longer read at a glance, and its JSON would weigh megabytes a second. */
    static final int MAX_ROWS = 500;

    private final String version;
    private final Instant startedAt;
    private final Clock clock;
    private final BackendRegistry registry;
    private final TrafficSampler traffic;
    private final EventTimeline timeline;
    private final Supplier<FulcrumConfig> serving;
    private final Supplier<ReloadStatus> reloadStatus;
    private final BooleanSupplier shuttingDown;
    private final BooleanSupplier warmingUp;

    StatusReport(String version, Clock clock, BackendRegistry registry, TrafficSampler traffic, EventTimeline timeline,
                 Supplier<FulcrumConfig> serving, Supplier<ReloadStatus> reloadStatus, BooleanSupplier shuttingDown,
                 BooleanSupplier warmingUp) {
        this.serving = serving;
        this.version = version;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.registry = registry;
        this.traffic = traffic;
        this.timeline = timeline;
        this.reloadStatus = reloadStatus;
        this.shuttingDown = shuttingDown;
        this.warmingUp = warmingUp;
    }

    JsonObject toJson() {
        Instant now = clock.instant();
        List<Backend> backends = registry.all();
        timeline.keepOnly(backends.stream().map(b -> EventTimeline.key(b.pool(), b.url())).collect(Collectors.toSet()));
        TrafficRates total = traffic.fulcrumsOwnAnswers();
        FulcrumConfig config = serving.get();
        List<String> poolOrder = List.copyOf(config.pools().keySet());
        Comparator<Backend> byPool = Comparator.comparingInt(backend -> {
            int at = poolOrder.indexOf(backend.pool());
            return at < 0 ? poolOrder.size() : at;
        });
        JsonArray rows = new JsonArray();
        for (Backend backend : backends.stream().sorted(byPool.thenComparing(PROBLEMS_FIRST)).toList()) {
            TrafficWindow window = traffic.window(backend.meters());
            TrafficRates rates = window.lastMinute();
            total = total.plus(rates);
            if (rows.size() < MAX_ROWS) {
                rows.add(row(backend, rates, window.requestsPerSecond()));
            }
        }
        return new JsonObject()
                .put("version", version)
                .put("now", now.toString())
                .put("startedAt", startedAt.toString())
                .put("uptimeSeconds", Duration.between(startedAt, now).toSeconds())
                .put("state", shuttingDown.getAsBoolean() ? "shutting down" : warmingUp.getAsBoolean() ? "warming up" : "serving")
                .put("config", config(reloadStatus.get()))
                .put("totals", rates(total)
                        .put("inFlight", backends.stream().mapToInt(Backend::inFlight).sum())
                        .put("backends", backends.size())
                        .put("healthy", backends.stream().filter(b -> b.health() == HealthState.HEALTHY).count()))
                .put("pools", pools(config, backends))
                .put("routes", routes(config))
                .put("tls", tls(config, now))
                .put("backends", rows)
                .put("backendsNotShown", backends.size() - rows.size())
                .put("events", timeline.toJson());
    }

    /** Each pool in the file's order: its policy and how many of its backends serve. */
    private static JsonArray pools(FulcrumConfig config, List<Backend> backends) {
        JsonArray pools = new JsonArray();
        for (PoolSettings pool : config.pools().values()) {
            List<Backend> members = backends.stream().filter(backend -> backend.pool().equals(pool.name())).toList();
            pools.add(new JsonObject().put("name", pool.name()).put("algorithm", pool.algorithm())
                    .put("backends", members.size())
                    .put("healthy", members.stream().filter(b -> b.health() == HealthState.HEALTHY).count()));
        }
        return pools;
    }

    /** The route table as the file spells it, first match first; empty when every request goes to "default". */
    private static JsonArray routes(FulcrumConfig config) {
        JsonArray routes = new JsonArray();
        for (Route<RouteAction> route : config.routes()) {
            routes.add(new JsonObject().put("index", route.index()).put("match", route.match().toString())
                    .put("action", route.action().toString()));
        }
        return routes;
    }

    /** The HTTPS listener and each certificate's names and expiry, or null when there is none. */
    private static JsonObject tls(FulcrumConfig config, Instant now) {
        TlsSettings tls = config.tls();
        if (tls == null) {
            return null;
        }
        JsonArray certificates = new JsonArray();
        for (ServerCertificate certificate : tls.certificates()) {
            certificates.add(new JsonObject().put("names", new JsonArray(certificate.names()))
                    .put("certFile", certificate.certFile())
                    .put("notAfter", certificate.notAfter().toString())
                    .put("daysLeft", Duration.between(now, certificate.notAfter()).toDays()));
        }
        return new JsonObject().put("listen", tls.listen().toString()).put("minVersion", tls.minVersion())
                .put("httpsRedirect", tls.httpsRedirect()).put("certificates", certificates);
    }

    private JsonObject row(Backend backend, TrafficRates rates, double[] requestsPerSecond) {
        Optional<HealthEvent> change = timeline.lastChange(backend.pool(), backend.url())
                .filter(event -> event.state() == backend.health());
        JsonArray history = new JsonArray();
        for (double perSecond : requestsPerSecond) {
            history.add(round(perSecond));
        }
        return rates(rates)
                .put("url", backend.url())
                .put("pool", backend.pool())
                .put("state", backend.health().name())
                .put("reason", change.map(HealthEvent::reason)
                        .orElse(backend.health() == HealthState.UNKNOWN ? "not probed yet" : backend.lastFailure()))
                .put("since", change.map(event -> event.time().toString()).orElse(null))
                .put("changedBy", change.map(EventTimeline::changedBy).orElse(null))
                .put("lastFailure", backend.lastFailure())
                .put("weight", backend.weight())
                .put("inFlight", backend.inFlight())
                .put("requestsPerSecondHistory", history);
    }

    private static JsonObject rates(TrafficRates rates) {
        return new JsonObject()
                .put("requestsPerSecond", round(rates.requests()))
                .put("errorPercent", rounded(rates.serverErrorPercent()))
                .put("p50Ms", milliseconds(rates.quantileSeconds(0.5)))
                .put("p99Ms", milliseconds(rates.quantileSeconds(0.99)));
    }

    /** {@code lastReload}: the last edit's outcome, null while none has been made. */
    private static JsonObject config(ReloadStatus status) {
        JsonObject lastReload = null;
        if (status.lastError() != null) {
            lastReload = new JsonObject().put("result", "refused").put("at", status.lastErrorAt().toString())
                    .put("message", status.lastError());
        } else if (status.generation() > 1) {
            lastReload = new JsonObject().put("result", "applied").put("at", status.appliedAt().toString());
        }
        return new JsonObject().put("generation", status.generation()).put("appliedAt", status.appliedAt().toString())
                .put("lastReload", lastReload);
    }

    private static Double milliseconds(OptionalDouble seconds) {
        return seconds.isPresent() ? round(seconds.getAsDouble() * 1000) : null;
    }

    private static Double rounded(OptionalDouble value) {
        return value.isPresent() ? round(value.getAsDouble()) : null;
    }

    /** Three decimals are more than the page shows, and keep the JSON short. */
    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
