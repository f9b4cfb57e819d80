package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Algorithms;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.config.ConfigEvents;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ListenAddress;
import dev.fulcrum.health.HealthEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyOptions;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One HTTP listener and proxy per event loop. Its {@link Routing} is replaced on this event loop when a
 * health or config event arrives, so a selection never sees a half-updated view.
 */
public final class ProxyVerticle extends VerticleBase {

    /** How long requests in flight may take to finish when their listener or backend goes away. */
    static final long DRAIN_SECONDS = 30;

    private final BackendRegistry registry;
    private Routing routing;
    private BackendClients clients;
    private HttpProxy proxy;
    private HttpServer server;

    public ProxyVerticle(FulcrumConfig config, BackendRegistry registry) {
        this.registry = registry;
        this.routing = new Routing(config, registry.healthy(), Algorithms.create(config.algorithm()));
    }

    @Override
    public Future<?> start() {
        clients = new BackendClients(vertx);
        vertx.eventBus().localConsumer(HealthEvent.ADDRESS, event -> routeWith(routing.config()));
        ConfigEvents.consume(vertx.eventBus(), this::routeWith);

        Supplier<Routing> current = () -> routing;
        BackendOrigin origin = new BackendOrigin(vertx, current, clients);
        // Requests go through each backend's own client (see BackendClients); this one is never used.
        proxy = HttpProxy.reverseProxy(new ProxyOptions(), vertx.createHttpClient())
                .origin(origin)
                .addInterceptor(new OutcomeInterceptor(origin, vertx.eventBus(), current), true);
        return listen(routing.config().listen()).onSuccess(bound -> server = bound);
    }

    @Override
    public Future<?> stop() {
        return server.close().eventually(clients::closeAll);
    }

    public int actualPort() {
        return server.actualPort();
    }

    /**
     * Binds a second listener on {@code address}, on this verticle's event loop; the old one keeps serving
     * until {@link #switchListener} is called, and the new one is closed again by {@link #abandon} if another
     * verticle could not bind.
     */
    public Future<HttpServer> bind(ListenAddress address) {
        return onContext(() -> listen(address));
    }

    /** Serves from {@code next} from now on; the old listener stops accepting and drains its requests. */
    public Future<Void> switchListener(HttpServer next) {
        return onContext(() -> {
            HttpServer previous = server;
            server = next;
            return previous.shutdown(DRAIN_SECONDS, TimeUnit.SECONDS);
        });
    }

    public Future<Void> abandon(HttpServer next) {
        return onContext(next::close);
    }

    private Future<HttpServer> listen(ListenAddress address) {
        HttpServer created = vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(proxy);
        int port = address.port();
        return created.listen(port == 0 ? -1 : port, address.host());
    }

    private void routeWith(FulcrumConfig config) {
        boolean sameAlgorithm = config.algorithm().equals(routing.config().algorithm());
        routing = new Routing(config, registry.healthy(),
                sameAlgorithm ? routing.balancer() : Algorithms.create(config.algorithm()));
        clients.retainOnly(registry.all(), DRAIN_SECONDS);
    }

    private <T> Future<T> onContext(Supplier<Future<T>> action) {
        Context verticleContext = context;
        Promise<T> result = Promise.promise();
        verticleContext.runOnContext(v -> action.get().onComplete(result));
        return result.future();
    }
}
