package dev.fulcrum.app;

import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.proxy.ProxyVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A running balancer: the shared backend state and the verticles deployed around it. */
public final class Fulcrum {

    private final Vertx vertx;
    private final FulcrumConfig config;
    private final BackendRegistry backends;
    private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
    private String proxyDeployment;

    private Fulcrum(Vertx vertx, FulcrumConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.backends = new BackendRegistry(config.servers(), HealthState.HEALTHY);
    }

    /** Deploys {@code proxyInstances} proxy verticles (one per event loop) and completes once all listen. */
    public static Future<Fulcrum> start(Vertx vertx, FulcrumConfig config, int proxyInstances) {
        Fulcrum fulcrum = new Fulcrum(vertx, config);
        return vertx.deployVerticle(() -> {
                    ProxyVerticle proxy = new ProxyVerticle(config, fulcrum.backends);
                    fulcrum.proxies.add(proxy);
                    return proxy;
                }, new DeploymentOptions().setInstances(proxyInstances))
                .map(id -> {
                    fulcrum.proxyDeployment = id;
                    return fulcrum;
                });
    }

    public FulcrumConfig config() {
        return config;
    }

    public BackendRegistry backends() {
        return backends;
    }

    /** The port the proxy listens on (the configured one, or the one chosen for port 0). */
    public int port() {
        return proxies.get(0).actualPort();
    }

    public Future<Void> stop() {
        return proxyDeployment == null ? Future.succeededFuture() : vertx.undeploy(proxyDeployment);
    }
}
