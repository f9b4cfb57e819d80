package dev.fulcrum.app;

import dev.fulcrum.accesslog.AccessLogs;
import dev.fulcrum.admin.AdminVerticle;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.ConfigEvents;
import dev.fulcrum.config.ConfigWatcher;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.ListenAddress;
import dev.fulcrum.config.ReloadStatus;
import dev.fulcrum.config.ServerCertificate;
import dev.fulcrum.health.HealthCheckVerticle;
import dev.fulcrum.metrics.Metrics;
import dev.fulcrum.proxy.ConnectionLimit;
import dev.fulcrum.proxy.Drained;
import dev.fulcrum.proxy.ProxyVerticle;
import dev.fulcrum.proxy.ResponseBudget;
import io.vertx.core.AsyncResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running balancer: the shared backend state, the verticles deployed around it, and the one place where a
 * new config snapshot is applied. The health checker starts first and finishes one probe round before the
 * proxies listen, so the first request already has a known healthy set; the admin server starts alongside.
 */
public final class Fulcrum implements ConfigWatcher.Target {

    private static final Logger RELOAD_LOG = Logger.getLogger("fulcrum.config");
    private static final Logger LOG = Logger.getLogger("fulcrum");

    private final Vertx vertx;
    private final BackendRegistry backends;
    private final ConnectionLimit connectionLimit;
    private final ResponseBudget responseBudget;
    private final Metrics metrics;
    private final AccessLogs accessLogs;
    private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
    private final List<String> deployments = new ArrayList<>();
    private final AtomicReference<ReloadStatus> status;
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final Logger healthLog;
    /** Readiness stays DOWN until the JIT has compiled the request path; see {@link WarmUp}. */
    private volatile boolean warmingUp;
    private volatile FulcrumConfig config;
    private AdminVerticle admin;
    private ConfigWatcher watcher;

    private Fulcrum(Vertx vertx, FulcrumConfig config, String text, Logger healthLog, boolean warmingUp) {
        this.vertx = vertx;
        this.config = config;
        this.status = new AtomicReference<>(ReloadStatus.initial(text));
        this.healthLog = healthLog;
        this.warmingUp = warmingUp;
        this.connectionLimit = new ConnectionLimit(() -> this.config.limits().maxConnections());
        this.metrics = Metrics.prometheus(version(), status::get, connectionLimit::open);
        this.backends = new BackendRegistry(config.pools().values(), HealthState.UNKNOWN, metrics);
        this.accessLogs = new AccessLogs(config.accessLog(), metrics::accessLogLineDropped);
        this.responseBudget = new ResponseBudget(() -> this.config.limits().maxBufferedBytes());
        metrics.certificates(certificatesOf(config));
    }

    private static List<ServerCertificate> certificatesOf(FulcrumConfig config) {
        return config.tls() == null ? List.of() : config.tls().certificates();
    }

    /**
     * Deploys the verticles, {@code proxyInstances} proxies (one per event loop); completes once all listen.
     * {@code text} is what {@code config} was parsed from: the admin port serves it as the running config.
     */
    public static Future<Fulcrum> start(Vertx vertx, FulcrumConfig config, String text, int proxyInstances) {
        return start(vertx, config, text, proxyInstances, false);
    }

    /** With {@code warmingUp}, readiness reports DOWN until {@link #warmedUp()}: the JIT has yet to compile. */
    static Future<Fulcrum> start(Vertx vertx, FulcrumConfig config, String text, int proxyInstances, boolean warmingUp) {
        return new Fulcrum(vertx, config, text, Logger.getLogger(HealthCheckVerticle.LOGGER), warmingUp)
                .start(proxyInstances);
    }

    /** For {@link WarmUp}: a balancer that logs nothing, so that its backends never show in the real one's log. */
    static Future<Fulcrum> startUnlogged(Vertx vertx, FulcrumConfig config, String text) {
        Logger silent = Logger.getAnonymousLogger();
        silent.setLevel(Level.OFF);
        return new Fulcrum(vertx, config, text, silent, false).start(1);
    }

    private Future<Fulcrum> start(int proxyInstances) {
        admin = new AdminVerticle(config, () -> this.config, backends, metrics, status::get, shuttingDown::get, () -> warmingUp,
                // A proxy has settled once its event loop has run a task queued now: it answers.
                () -> Future.all(proxies.stream().map(ProxyVerticle::settled).toList()));
        Future<Void> adminDeployed = deploy(vertx.deployVerticle(admin))
                .transform(bound -> naming(bound, "adminPort " + config.admin()));
        Future<Void> proxiesDeployed = deploy(vertx.deployVerticle(new HealthCheckVerticle(config, backends, healthLog)))
                .compose(v -> deployProxies(proxyInstances));
        return Future.all(adminDeployed, proxiesDeployed)
                .recover(error -> stop().transform(stopped -> Future.failedFuture(error)))
                .map(this);
    }

    /** How many requests the proxies have received since the start. */
    Future<Long> requestsReceived() {
        return Future.all(proxies.stream().map(ProxyVerticle::received).toList())
                .map(all -> all.<Long>list().stream().mapToLong(Long::longValue).sum());
    }

    /** The warm-up is over, or was cut short: readiness follows the backends again. */
    void warmedUp() {
        warmingUp = false;
    }

    private Future<Void> deployProxies(int instances) {
        FulcrumConfig first = config;
        Future<String> deployed = vertx.deployVerticle(() -> {
            ProxyVerticle proxy = new ProxyVerticle(first, backends, connectionLimit, responseBudget, metrics, accessLogs);
            proxies.add(proxy);
            return proxy;
        }, new DeploymentOptions().setInstances(instances));
        return deploy(deployed).transform(bound -> naming(bound, "listenPort " + first.listen()));
    }

    /**
     * Applies every valid edit of {@code file} from now on, checked every {@code configScanPeriod}; the text this
     * balancer serves from (the one it was started with, until an edit applies) is no edit.
     */
    public Future<Void> watch(Path file) {
        watcher = new ConfigWatcher(file, status.get().text(), config.configScanPeriod(), this);
        return deploy(vertx.deployVerticle(watcher));
    }

    /** Reopens the access log file (SIGUSR1, after logrotate has moved it). */
    public void reopenAccessLog() {
        accessLogs.reopen();
    }

    /** Re-reads the watched file now (SIGHUP). */
    public void rescan() {
        if (watcher != null) {
            watcher.rescan();
        }
    }

    /**
     * Applies a validated snapshot. A new listen or admin address is bound first, while the old one serves;
     * if it cannot be bound the whole reload is refused and nothing changes. Then the backend set is
     * reconciled, new servers get their first probe, and the snapshot is published: every verticle swaps to it
     * on its own event loop.
     */
    @Override
    public Future<Void> apply(FulcrumConfig next, String text) {
        if (shuttingDown.get()) {
            // A new listener now would accept connections the drain has stopped accepting.
            return Future.failedFuture("shutting down: edits are no longer applied");
        }
        FulcrumConfig previous = config;
        Optional<String> restart = restartNeeded(previous, next);
        if (restart.isPresent()) {
            return Future.failedFuture(restart.get());
        }
        if (next.equals(previous)) {
            status.updateAndGet(ReloadStatus::unchanged);
            metrics.reloadApplied();
            return Future.succeededFuture();
        }
        return moveListeners(previous, next).compose(v -> useCertificates(next)).compose(v -> {
            accessLogs.use(next.accessLog());
            backends.update(next.pools().values());
            return ConfigEvents.probeNewServers(vertx.eventBus(), next);
        }).compose(v -> {
            ConfigEvents.publish(vertx.eventBus(), next);
            // Each proxy takes the snapshot (and a new listener) on its own event loop: the edit counts as
            // applied once all of them serve from it, so that readiness never reports what is not served yet.
            return Future.all(proxies.stream().map(ProxyVerticle::settled).toList());
        }).map(v -> {
            // Counted before the generation moves (a scrape reads the series one after the other, in no set order).
            metrics.reloadApplied();
            ReloadStatus applied = status.updateAndGet(current -> current.applied(text));
            config = next;
            if (!certificatesOf(previous).equals(certificatesOf(next))) {
                metrics.certificates(certificatesOf(next));
                metrics.certificateReload(true);
            }
            String changes = ConfigChanges.describe(previous, next);
            RELOAD_LOG.info(() -> "config reloaded (generation " + applied.generation() + "): " + changes);
            next.warnings().forEach(warning -> RELOAD_LOG.warning("config: " + warning));
            admin.timeline().reloadApplied(applied.generation(), changes);
            return null;
        });
    }

    /** Why a running Fulcrum refuses to go from {@code previous} to {@code next}, if it does: a field read only at a start. */
    static Optional<String> restartNeeded(FulcrumConfig previous, FulcrumConfig next) {
        if (next.limits().maxHeaderSize() != previous.limits().maxHeaderSize()
                || next.limits().maxUriLength() != previous.limits().maxUriLength()) {
            // The HTTP decoder of every open connection was sized when the listener opened.
            return Optional.of("maxHeaderSize and maxUriLength cannot change while Fulcrum runs: restart it to apply them");
        }
        if ((previous.tls() == null) != (next.tls() == null)
                || (next.tls() != null && (!next.tls().listen().equals(previous.tls().listen())
                        || next.tls().engine() != previous.tls().engine()))) {
            return Optional.of("the HTTPS listener (tls, tls.listenPort, tls.engine) cannot be added, removed, moved or given"
                    + " another engine while Fulcrum runs: restart it to apply that; certificates, minVersion and httpsRedirect"
                    + " apply at once");
        }
        if (next.h2c() != previous.h2c()) {
            // The plain listener's protocol detection is set up when it opens.
            return Optional.of("h2c cannot change while Fulcrum runs: restart it to apply it");
        }
        if (next.transport() != previous.transport()) {
            // The event loops were built on it when the process started.
            return Optional.of("transport cannot change while Fulcrum runs: restart it to apply it");
        }
        return Optional.empty();
    }

    /**
     * New handshakes get {@code next}'s certificates on every listener; if one cannot take them, the reload is refused
     * (the pair was checked when parsed, so that is a surprise). One proxy after the other: their listeners share one
     * server, which fails an update asked for while another is under way.
     */
    private Future<Void> useCertificates(FulcrumConfig next) {
        if (next.tls() == null) {
            return Future.succeededFuture();
        }
        Future<Boolean> updated = Future.succeededFuture();
        for (ProxyVerticle proxy : proxies) {
            updated = updated.compose(done -> proxy.useCertificates(next.tls()));
        }
        return updated.transform(done -> done.succeeded() ? Future.succeededFuture()
                : Future.failedFuture("tls.certificates: the HTTPS listener refused them: " + done.cause()));
    }

    @Override
    public void refused(String reason) {
        status.updateAndGet(current -> current.refused(reason));
        metrics.reloadRefused();
        if (reason.contains("tls.certificates")) {
            metrics.certificateReload(false);
        }
        admin.timeline().reloadRefused(reason);
    }

    @Override
    public List<String> filesRead() {
        return config.filesRead();
    }

    /** The jar's version (its manifest's), or "dev" when run from classes. */
    private static String version() {
        String version = Fulcrum.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private Future<Void> moveListeners(FulcrumConfig previous, FulcrumConfig next) {
        boolean proxyMoves = !next.listen().equals(previous.listen());
        boolean adminMoves = !next.admin().equals(previous.admin());
        if (!proxyMoves && !adminMoves) {
            return Future.succeededFuture();
        }
        List<Future<HttpServer>> proxyBinds = proxyMoves
                ? proxies.stream().map(proxy -> proxy.bind(next.listen())).toList()
                : List.of();
        Future<HttpServer> adminBind = adminMoves ? admin.bind(next.admin()) : Future.succeededFuture();
        List<Future<HttpServer>> all = new ArrayList<>(proxyBinds);
        all.add(adminBind);
        return Future.join(all).transform(bound -> {
            if (bound.succeeded()) {
                for (int i = 0; i < proxyBinds.size(); i++) {
                    proxies.get(i).switchListener(proxyBinds.get(i).result());
                }
                if (adminMoves) {
                    admin.switchListener(adminBind.result());
                }
                return Future.succeededFuture();
            }
            for (int i = 0; i < proxyBinds.size(); i++) {
                if (proxyBinds.get(i).succeeded()) {
                    proxies.get(i).abandon(proxyBinds.get(i).result());
                }
            }
            if (adminMoves && adminBind.succeeded()) {
                adminBind.result().close();
            }
            boolean proxyFailed = proxyBinds.stream().anyMatch(Future::failed);
            String which = proxyFailed ? "listenPort " + next.listen() : "adminPort " + next.admin();
            ListenAddress kept = proxyFailed ? previous.listen() : previous.admin();
            return Future.failedFuture(which + ": cannot bind: " + bound.cause().getMessage() + "; still serving on " + kept);
        });
    }

    /** A failure to listen says which address, since the error from the socket does not. */
    private static Future<Void> naming(AsyncResult<Void> bound, String address) {
        return bound.succeeded() ? Future.succeededFuture() : Future.failedFuture(address + ": " + bound.cause().getMessage());
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

    /** Client connections open now, on every listener. */
    public int clientConnections() {
        return connectionLimit.open();
    }

    /** Response bytes queued for clients that have not read them yet, as of each event loop's last sweep. */
    public long bufferedResponseBytes() {
        return responseBudget.held();
    }

    public Metrics metrics() {
        return metrics;
    }

    public ReloadStatus status() {
        return status.get();
    }

    /** The port the proxy listens on (the configured one, or the one chosen for port 0). */
    public int port() {
        return proxies.get(0).actualPort();
    }

    /** The port the HTTPS listener is bound to, or -1 when there is none. */
    public int tlsPort() {
        return proxies.get(0).actualTlsPort();
    }

    public int adminPort() {
        return admin.actualPort();
    }

    /**
     * Graceful shutdown: readiness turns DOWN at once; after {@code shutdownDelay} (time for Kubernetes to take
     * the pod out of its endpoints) the listeners stop accepting, idle connections close, and requests in
     * flight get up to {@code shutdownTimeout} to finish. Then everything stops. Completes with the number of
     * requests that had to be cut off (0 on a clean drain).
     */
    public Future<Drained> shutdown() {
        if (!shuttingDown.compareAndSet(false, true)) {
            return Future.succeededFuture(new Drained(0, 0));
        }
        FulcrumConfig now = config;
        LOG.info(() -> "shutting down: readiness is DOWN; " + requestsInFlight() + " request(s) in flight"
                + (now.shutdownDelay().isZero() ? "" : "; still accepting for " + GoDuration.format(now.shutdownDelay()))
                + "; draining for up to " + GoDuration.format(now.shutdownTimeout()));
        Future<?> counting = Future.all(proxies.stream().map(ProxyVerticle::shutdownBegins).toList());
        Future<?> delay = now.shutdownDelay().isZero() ? counting
                : counting.compose(v -> vertx.timer(now.shutdownDelay().toMillis()));
        return delay
                .compose(v -> Future.all(proxies.stream().map(proxy -> proxy.drain(now.shutdownTimeout())).toList()))
                .map(all -> all.<Drained>list().stream().reduce(new Drained(0, 0), Drained::plus))
                .compose(drained -> {
                    LOG.info(() -> "drained " + drained.finished() + " request(s)"
                            + (drained.cutOff() == 0 ? "" : "; " + drained.cutOff() + " cut off (client gone or shutdownTimeout)"));
                    return stop().map(drained);
                });
    }

    public boolean shuttingDown() {
        return shuttingDown.get();
    }

    private int requestsInFlight() {
        return backends.all().stream().mapToInt(b -> b.inFlight()).sum();
    }

    /** Undeploys in reverse order: the watcher and listeners stop before the health checker. */
    public Future<Void> stop() {
        Future<Void> stopped = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            stopped = stopped.eventually(() -> vertx.undeploy(id));
        }
        deployments.clear();
        return stopped.andThen(done -> {
            accessLogs.close();
            metrics.close();
        });
    }
}
