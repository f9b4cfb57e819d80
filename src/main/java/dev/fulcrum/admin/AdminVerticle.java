package dev.fulcrum.admin;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ListenAddress;
import dev.fulcrum.config.ReloadStatus;
import dev.fulcrum.metrics.Metrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin HTTP server, on its own port so that no backend path is ever shadowed, and on an event loop of its own
 * (a private Vert.x on Java NIO, started and closed with this verticle) so that a proxy loop that is wedged or
 * drowning in connections cannot silence it: liveness then says so. Kubernetes probes use
 * {@code /health/live} (every proxy event loop answers within {@value #LIVENESS_TIMEOUT_MILLIS} ms, so a wedged
 * one gets the pod restarted) and {@code /health/ready} (UP only with at least one healthy backend, once warmed
 * up and until shutting down; the body lists every backend's state and last failure, and the config's
 * generation and last refused edit). {@code GET /config} answers the text the serving config was parsed from,
 * as {@code fulcrum check --diff} parses it to say what a reload of another file would change. {@code GET /} is
 * the live status page, rendering {@code GET /status} ({@link StatusPage}).
 */
public final class AdminVerticle extends VerticleBase {

    /** Under the kubelet's default probe timeout of 1 s, so that the answer is a 503 rather than no answer. */
    static final long LIVENESS_TIMEOUT_MILLIS = 500;

    private final FulcrumConfig config;
    private final BackendRegistry registry;
    private final Metrics metrics;
    private final Supplier<ReloadStatus> reloadStatus;
    private final BooleanSupplier shuttingDown;
    private final BooleanSupplier warmingUp;
    private final Supplier<Future<?>> eventLoopsAnswered;
    /** Where the admin server runs: see the class comment. */
    private final Vertx own;
    private final StatusPage statusPage;
    private Context ownContext;
    private Router router;
    private HttpServer server;

    /** {@code serving}: the config serving now; {@code eventLoopsAnswered} completes once every proxy event loop has run a task queued on it now. */
    public AdminVerticle(FulcrumConfig config, Supplier<FulcrumConfig> serving, BackendRegistry registry, Metrics metrics,
                         Supplier<ReloadStatus> reloadStatus,
                         BooleanSupplier shuttingDown, BooleanSupplier warmingUp,
                         Supplier<Future<?>> eventLoopsAnswered) {
        this.config = config;
        this.registry = registry;
        this.metrics = metrics;
        this.reloadStatus = reloadStatus;
        this.shuttingDown = shuttingDown;
        this.warmingUp = warmingUp;
        this.eventLoopsAnswered = eventLoopsAnswered;
        // Here rather than in start(), which runs on the deploying Vert.x's event loop.
        this.own = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)).build();
        this.statusPage = new StatusPage(registry, metrics::allNone, serving, reloadStatus, shuttingDown, warmingUp);
    }

    @Override
    public Future<?> start() {
        statusPage.listen(vertx.eventBus());
        ownContext = own.getOrCreateContext();
        Promise<HttpServer> bound = Promise.promise();
        ownContext.runOnContext(v -> startServer().onComplete(bound));
        return bound.future().onSuccess(started -> server = started)
                .recover(error -> own.close().transform(closed -> Future.failedFuture(error)));
    }

    private Future<HttpServer> startServer() {
        // The check times itself out with a DOWN (503); vertx-health-check's own timeout would give a 500.
        HealthChecks live = HealthChecks.create(own).register("event-loops", 2 * LIVENESS_TIMEOUT_MILLIS, promise -> {
            long timer = own.setTimer(LIVENESS_TIMEOUT_MILLIS, late -> promise.tryComplete(Status.KO(new JsonObject()
                    .put("reason", "a proxy event loop did not answer within " + LIVENESS_TIMEOUT_MILLIS + " ms"))));
            eventLoopsAnswered.get().onComplete(answered -> {
                own.cancelTimer(timer);
                promise.tryComplete(Status.OK());
            });
        });
        HealthChecks ready = HealthChecks.create(own)
                .register("backends", promise -> promise.complete(backendsStatus()));
        HealthCheckHandler liveness = HealthCheckHandler.createWithHealthChecks(live);
        HealthCheckHandler readiness = HealthCheckHandler.createWithHealthChecks(ready);
        router = Router.router(own);
        // HEAD too (RFC 9110 §9.1): HAProxy's "option httpchk HEAD /health/ready" is a common way to probe.
        router.get("/health/live").handler(liveness);
        router.head("/health/live").handler(liveness);
        router.get("/health/ready").handler(readiness);
        router.head("/health/ready").handler(readiness);
        router.get("/metrics").handler(this::scrape);
        router.get("/config").handler(request -> request.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(reloadStatus.get().text()));
        statusPage.serve(own, router);
        return listen(config.admin());
    }

    /** Listens on {@code address} too, on this verticle's event loop; the old listener serves until {@link #switchListener}. */
    public Future<HttpServer> bind(ListenAddress address) {
        Promise<HttpServer> bound = Promise.promise();
        ownContext.runOnContext(v -> listen(address).onComplete(bound));
        return bound.future();
    }

    private Future<HttpServer> listen(ListenAddress address) {
        return own.createHttpServer().requestHandler(router).listen(address.port(), address.host());
    }

    public void switchListener(HttpServer next) {
        ownContext.runOnContext(v -> {
            HttpServer previous = server;
            server = next;
            previous.close();
        });
    }

    /**
     * The private Vert.x closes after the listener, without being waited for: its close completes on its own event
     * loop, which by then has stopped.
     */
    @Override
    public Future<?> stop() {
        return server.close().andThen(closed -> own.close());
    }

    /** Where reloads are told, to show on the status page. */
    public EventTimeline timeline() {
        return statusPage.timeline();
    }

    public int actualPort() {
        return server.actualPort();
    }

    /** Rendered on the admin Vert.x's worker: a scrape of many backends takes milliseconds. */
    private void scrape(RoutingContext request) {
        String accept = request.request().getHeader(HttpHeaders.ACCEPT);
        own.executeBlocking(() -> metrics.scrape(accept)).onComplete(scraped -> {
            if (scraped.succeeded()) {
                request.response().putHeader(HttpHeaders.CONTENT_TYPE, scraped.result().contentType())
                        .end(Buffer.buffer(scraped.result().body()));
            } else {
                request.fail(scraped.cause());
            }
        });
    }

    private Status backendsStatus() {
        JsonArray backends = new JsonArray();
        int healthy = 0;
        for (Backend backend : registry.all()) {
            if (backend.health() == HealthState.HEALTHY) {
                healthy++;
            }
            backends.add(new JsonObject()
                    .put("url", backend.url())
                    .put("state", backend.health().name())
                    .put("inFlight", backend.inFlight())
                    .put("lastFailure", backend.lastFailure()));
        }
        ReloadStatus reload = reloadStatus.get();
        JsonObject configStatus = new JsonObject()
                .put("generation", reload.generation())
                .put("appliedAt", reload.appliedAt().toString())
                .put("lastError", reload.lastError())
                .put("lastErrorAt", reload.lastErrorAt() == null ? null : reload.lastErrorAt().toString());
        boolean stopping = shuttingDown.getAsBoolean();
        boolean warming = warmingUp.getAsBoolean();
        JsonObject data = new JsonObject().put("healthy", healthy).put("warmingUp", warming).put("shuttingDown", stopping)
                .put("backends", backends).put("config", configStatus);
        return healthy > 0 && !warming && !stopping ? Status.OK(data) : Status.KO(data);
    }
}
