package dev.fulcrum.admin;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.FulcrumConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

/**
 * The admin HTTP server, on its own port so that no backend path is ever shadowed. Kubernetes probes use
 * {@code /health/live} (the event loop answers) and {@code /health/ready} (UP only with at least one
 * healthy backend; the body lists every backend's state and last failure).
 */
public final class AdminVerticle extends VerticleBase {

    private final FulcrumConfig config;
    private final BackendRegistry registry;
    private HttpServer server;

    public AdminVerticle(FulcrumConfig config, BackendRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    @Override
    public Future<?> start() {
        HealthChecks live = HealthChecks.create(vertx)
                .register("event-loop", promise -> promise.complete(Status.OK()));
        HealthChecks ready = HealthChecks.create(vertx)
                .register("backends", promise -> promise.complete(backendsStatus()));
        Router router = Router.router(vertx);
        router.get("/health/live").handler(HealthCheckHandler.createWithHealthChecks(live));
        router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
        server = vertx.createHttpServer().requestHandler(router);
        return server.listen(config.admin().port(), config.admin().host());
    }

    @Override
    public Future<?> stop() {
        return server.close();
    }

    public int actualPort() {
        return server.actualPort();
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
        JsonObject data = new JsonObject().put("healthy", healthy).put("backends", backends);
        return healthy > 0 ? Status.OK(data) : Status.KO(data);
    }
}
