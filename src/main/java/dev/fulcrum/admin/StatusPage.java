package dev.fulcrum.admin;

import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ReloadStatus;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.metrics.BackendMeters;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Collection;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /}: one self-contained page (status.html, next to this class in the jar) that polls
 * {@code GET /status} every second and redraws itself in place. Nothing is fetched from elsewhere, and the
 * Content-Security-Policy says so to the browser too.
 */
final class StatusPage {

    private static final String SAME_ORIGIN_ONLY = "default-src 'none'; script-src 'unsafe-inline'; "
            + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
    private static final long SAMPLE_EVERY_MILLIS = 1_000;

    private final EventTimeline timeline = new EventTimeline(Clock.systemUTC());
    private final BackendRegistry registry;
    private final TrafficSampler traffic;
    private final StatusReport report;
    private final Buffer html = Buffer.buffer(resource("status.html"));

    StatusPage(BackendRegistry registry, Supplier<Collection<BackendMeters>> fulcrumsOwnAnswers,
               Supplier<FulcrumConfig> serving, Supplier<ReloadStatus> reloadStatus, BooleanSupplier shuttingDown,
               BooleanSupplier warmingUp) {
        this.registry = registry;
        this.traffic = new TrafficSampler(registry, fulcrumsOwnAnswers, System::nanoTime);
        // The jar's manifest, as fulcrum_build_info says it.
        String version = Objects.requireNonNullElse(StatusPage.class.getPackage().getImplementationVersion(), "dev");
        this.report = new StatusReport(version, Clock.systemUTC(), registry, traffic, timeline, serving, reloadStatus,
                shuttingDown, warmingUp);
    }

    EventTimeline timeline() {
        return timeline;
    }

    /**
     * Health changes, from the Vert.x the health checker publishes on; only this balancer's, as another one may
     * share that Vert.x (tests do).
     */
    void listen(EventBus bus) {
        bus.<JsonObject>localConsumer(HealthEvent.ADDRESS, message -> {
            HealthEvent change = HealthEvent.fromJson(message.body());
            if (registry.inPool(change.pool()).stream().anyMatch(backend -> backend.url().equals(change.backend()))) {
                timeline.healthChanged(change);
            }
        });
    }

    /** Call on the admin event loop: the sampler and the {@code /status} handler then share it, unsynchronized. */
    void serve(Vertx admin, Router router) {
        traffic.sample();
        admin.setPeriodic(SAMPLE_EVERY_MILLIS, tick -> traffic.sample());
        router.get("/").handler(this::page);
        router.get("/status").handler(this::status);
    }

    private void page(RoutingContext request) {
        request.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader("content-security-policy", SAME_ORIGIN_ONLY)
                .putHeader("x-content-type-options", "nosniff")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .end(html);
    }

    private void status(RoutingContext request) {
        request.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(report.toJson().toBuffer());
    }

    private static byte[] resource(String name) {
        try (InputStream in = StatusPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
