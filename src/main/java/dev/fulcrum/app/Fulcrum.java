package dev.fulcrum.app;

import dev.fulcrum.admin.AdminVerticle;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.health.HealthCheckVerticle;
import dev.fulcrum.proxy.ProxyVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A running balancer: the shared backend state and the verticles deployed around it. The health checker
 * starts first and finishes one probe round before the proxies listen, so the first request already has a
 * known healthy set.
 */
public final class Fulcrum {

    private final Vertx vertx;
    private final FulcrumConfig config;
    private final BackendRegistry backends;
    private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
    private final List<String> deployments = new ArrayList<>();
    private AdminVerticle admin;

    private Fulcrum(Vertx vertx, FulcrumConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.backends = new BackendRegistry(config.servers(), HealthState.UNKNOWN);
    }

    /** Deploys the verticles, {@code proxyInstances} proxies (one per event loop); completes once all listen. */
    public static Future<Fulcrum> start(Vertx vertx, FulcrumConfig config, int proxyInstances) {
        Fulcrum fulcrum = new Fulcrum(vertx, config);
        fulcrum.admin = new AdminVerticle(config, fulcrum.backends);
        return fulcrum.deploy(vertx.deployVerticle(new HealthCheckVerticle(config, fulcrum.backends)))
                .compose(v -> fulcrum.deploy(vertx.deployVerticle(() -> {
                    ProxyVerticle proxy = new ProxyVerticle(config, fulcrum.backends);
                    fulcrum.proxies.add(proxy);
                    return proxy;
                }, new DeploymentOptions().setInstances(proxyInstances))))
                .compose(v -> fulcrum.deploy(vertx.deployVerticle(fulcrum.admin)))
                .recover(error -> fulcrum.stop().transform(stopped -> Future.failedFuture(error)))
                .map(fulcrum);
    }

    private Future<Void> deploy(Future<String> deployment) {
        return deployment.map(id -> {
            deployments.add(id);
            return null;
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

    public int adminPort() {
        return admin.actualPort();
    }

    /** Undeploys in reverse order: the listeners stop before the health checker. */
    public Future<Void> stop() {
        Future<Void> stopped = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            stopped = stopped.eventually(() -> vertx.undeploy(id));
        }
        deployments.clear();
        return stopped;
    }
}
