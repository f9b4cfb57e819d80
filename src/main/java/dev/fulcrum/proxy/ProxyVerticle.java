package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.LeastBusy;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.health.HealthEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyOptions;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One HTTP listener and proxy per event loop. Its view of the healthy backends is an immutable list,
 * rebuilt on this event loop when a health event arrives, so a selection never sees a half-updated view.
 */
public final class ProxyVerticle extends VerticleBase {

    private final FulcrumConfig config;
    private final BackendRegistry registry;
    private List<Backend> healthy = List.of();
    private BackendClients clients;
    private HttpServer server;

    public ProxyVerticle(FulcrumConfig config, BackendRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    @Override
    public Future<?> start() {
        clients = new BackendClients(vertx);
        refreshHealthyView();
        vertx.eventBus().localConsumer(HealthEvent.ADDRESS, event -> refreshHealthyView());

        BackendOrigin origin = new BackendOrigin(vertx, new LeastBusy(new SplittableRandom()), () -> healthy, clients,
                config.connectTimeout().toMillis(), config.requestTimeout().toMillis());
        // Requests go through each backend's own client (see BackendClients); this one is never used.
        HttpProxy proxy = HttpProxy.reverseProxy(new ProxyOptions(), vertx.createHttpClient())
                .origin(origin)
                .addInterceptor(new OutcomeInterceptor(origin, vertx.eventBus(), config.consecutiveFailures()), true);

        server = vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
                .requestHandler(proxy);
        int port = config.listen().port();
        return server.listen(port == 0 ? -1 : port, config.listen().host());
    }

    @Override
    public Future<?> stop() {
        return server.close().eventually(clients::closeAll);
    }

    public int actualPort() {
        return server.actualPort();
    }

    private void refreshHealthyView() {
        healthy = registry.healthy();
    }
}
