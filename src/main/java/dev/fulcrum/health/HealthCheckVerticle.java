package dev.fulcrum.health;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.BackendProtocol;
import dev.fulcrum.config.BackendTls;
import dev.fulcrum.config.ConfigEvents;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.HealthCheckSettings;
import dev.fulcrum.config.PoolSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Probes every backend on its own timer and is the only writer of health states. Each backend has at most
 * one probe in flight: the next one is scheduled when the last has finished, after the interval with ±10 %
 * jitter so that probes to many backends do not align. Passive ejections from the proxies arrive as
 * {@link PassiveFailure} messages. Every change (never a mere probe) is published as a {@link HealthEvent}.
 */
public final class HealthCheckVerticle extends VerticleBase {

    /** Where backend state changes are logged. */
    public static final String LOGGER = "fulcrum.health";

    private final Logger log;
    private final BackendRegistry registry;
    private FulcrumConfig config;
    private final Map<Backend, HealthTracker> trackers = new HashMap<>();
    /** The timer of each backend's next probe; absent while its probe is in flight. */
    private final Map<Backend, Long> nextProbe = new HashMap<>();
    private final Set<Backend> probing = new HashSet<>();
    private final SplittableRandom random = new SplittableRandom();
    /**
     * By the certificate rules of the pools that use them: one probe client for backends named by host name, one
     * for those given by address (no SNI for them).
     */
    private final Map<ProbeRules, ProbeClients> clients = new HashMap<>();

    /** What a probe client is set up by: the pool's certificate rules and the protocol its backends speak. */
    private record ProbeRules(BackendTls tls, BackendProtocol protocol) {

        static ProbeRules of(PoolSettings pool) {
            return new ProbeRules(pool.backendTls(), pool.backendProtocol());
        }
    }

    private record ProbeClients(HttpClient named, HttpClient address) {

        HttpClient forBackend(Backend backend) {
            return backend.spec().namedHost() ? named : address;
        }

        Future<Void> close() {
            return Future.join(named.close(), address.close()).mapEmpty();
        }
    }

    /** {@code log} gets every state change; see {@link #LOGGER}. */
    public HealthCheckVerticle(FulcrumConfig config, BackendRegistry registry, Logger log) {
        this.config = config;
        this.registry = registry;
        this.log = log;
    }

    /** Completes once every backend has been probed once, so that the listener opens with a known healthy set. */
    @Override
    public Future<?> start() {
        openProbeClients(config);
        vertx.eventBus().<io.vertx.core.json.JsonObject>localConsumer(PassiveFailure.ADDRESS,
                message -> eject(PassiveFailure.fromJson(message.body())));
        ConfigEvents.answerProbeRequests(vertx.eventBus(), this::reconfigure);
        ConfigEvents.consume(vertx.eventBus(), this::reconfigure);
        List<Future<Void>> firstRound = registry.all().stream().map(this::probeForever).toList();
        return Future.join(firstRound);
    }

    /**
     * New servers are probed at once, and the returned future completes after their first probe, so that a
     * reload replacing every server never leaves a moment without a healthy one. Removed servers are
     * forgotten; a pool's new interval reschedules its backends' timers.
     */
    private Future<Void> reconfigure(FulcrumConfig next) {
        if (next == config) {
            return Future.succeededFuture();
        }
        FulcrumConfig previous = config;
        config = next;
        openProbeClients(next);
        List<Backend> current = registry.all();
        trackers.keySet().removeIf(backend -> !current.contains(backend));
        Set<Backend> newInterval = new HashSet<>();
        for (Backend backend : current) {
            PoolSettings was = previous.pool(backend.pool());
            if (was != null && !was.healthCheckInterval().equals(settings(backend).healthCheckInterval())) {
                newInterval.add(backend);
            }
        }
        nextProbe.entrySet().removeIf(entry -> {
            boolean drop = !trackers.containsKey(entry.getKey()) || newInterval.contains(entry.getKey());
            if (drop) {
                vertx.cancelTimer(entry.getValue());
            }
            return drop;
        });
        List<Future<Void>> firstProbes = new ArrayList<>();
        for (Backend backend : current) {
            if (!trackers.containsKey(backend)) {
                firstProbes.add(probeForever(backend));
            } else if (newInterval.contains(backend) && !nextProbe.containsKey(backend) && !probing.contains(backend)) {
                scheduleNext(backend);
            }
        }
        return Future.join(firstProbes).mapEmpty();
    }

    /** A backend's probe settings: its pool's. */
    private PoolSettings settings(Backend backend) {
        PoolSettings pool = config.pool(backend.pool());
        return pool != null ? pool : config.pools().values().iterator().next();
    }

    /**
     * Clients for the certificate rules of every pool of {@code next}; those no pool uses any more are shut down,
     * letting their probes in flight finish.
     */
    private void openProbeClients(FulcrumConfig next) {
        Set<ProbeRules> used = new HashSet<>();
        next.pools().values().forEach(pool -> used.add(ProbeRules.of(pool)));
        long grace = next.pools().values().stream().mapToLong(pool -> pool.healthCheck().timeout().toMillis()).max().orElse(0);
        clients.entrySet().removeIf(entry -> {
            if (used.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().named().shutdown(grace, TimeUnit.MILLISECONDS);
            entry.getValue().address().shutdown(grace, TimeUnit.MILLISECONDS);
            return true;
        });
        for (ProbeRules rules : used) {
            clients.computeIfAbsent(rules, made -> new ProbeClients(probeClient(made, true), probeClient(made, false)));
        }
    }

    /**
     * A new connection per probe: it checks that the backend accepts connections (and completes a TLS
     * handshake), and a keep-alive connection closed by the backend could never fail a probe spuriously. An HTTP/2
     * pool's probes speak HTTP/2 (a gRPC server answers nothing on HTTP/1.1), on a connection per backend.
     */
    private HttpClient probeClient(ProbeRules rules, boolean namedHosts) {
        HttpClientOptions options = new HttpClientOptions().setKeepAlive(false).setTcpNoDelay(true)
                .setMaxHeaderSize(Backend.MAX_RESPONSE_HEADER_BYTES);
        if (rules.protocol().http2()) {
            options.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(rules.protocol() == BackendProtocol.H2)
                    .setHttp2ClearTextUpgrade(false);
        }
        return vertx.createHttpClient(rules.tls().applyTo(options, namedHosts), new PoolOptions().setHttp1MaxSize(1024));
    }

    @Override
    public Future<?> stop() {
        // A probe timer firing after the client closed would fail with "Client is closed".
        trackers.clear();
        nextProbe.values().forEach(vertx::cancelTimer);
        nextProbe.clear();
        List<Future<Void>> closing = clients.values().stream().map(ProbeClients::close).toList();
        clients.clear();
        return Future.join(closing);
    }

    /** Probes now, then again after every interval while the backend is configured; returns the first probe. */
    private Future<Void> probeForever(Backend backend) {
        trackers.computeIfAbsent(backend, b -> new HealthTracker(b.health()));
        probing.add(backend);
        return probe(backend).onComplete(done -> {
            probing.remove(backend);
            if (trackers.containsKey(backend)) {
                scheduleNext(backend);
            }
        });
    }

    private void scheduleNext(Backend backend) {
        nextProbe.put(backend, vertx.setTimer(jittered(settings(backend).healthCheckInterval()), id -> {
            nextProbe.remove(backend);
            probeForever(backend);
        }));
    }

    private Future<Void> probe(Backend backend) {
        PoolSettings pool = settings(backend);
        HealthCheckSettings check = pool.healthCheck();
        long timeout = check.timeout().toMillis();
        String uri = backend.spec().pathPrefix() + check.path();
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(backend.address())
                .setHost(backend.spec().hostHeader())
                .setPort(backend.spec().port())
                .setSsl(backend.spec().tls())
                .setURI(uri)
                .setConnectTimeout(timeout)
                .putHeader("user-agent", "fulcrum-health-check");
        boolean[] timedOut = {false};
        HttpClient client = clients.get(ProbeRules.of(pool)).forBackend(backend);
        return client.request(options)
                .compose(request -> {
                    long timer = vertx.setTimer(timeout, id -> {
                        timedOut[0] = true;
                        request.reset();
                    });
                    return request.send()
                            .compose(response -> response.end().map(v -> response.statusCode()))
                            .andThen(done -> vertx.cancelTimer(timer));
                })
                .map(status -> check.expectedStatus().contains(status)
                        ? null
                        : "HTTP " + status + " from GET " + uri + " (expected " + check.expectedStatus() + ")")
                .transform(probed -> {
                    Optional<String> local = probed.failed() ? LocalResources.exhausted(probed.cause()) : Optional.empty();
                    if (local.isPresent()) {
                        // Says nothing about the backend: its state stays as it is until a probe can be sent.
                        log.warning("cannot probe backend " + backend + ": " + local.get() + "; it stays " + backend.health());
                    } else {
                        record(backend, probed.succeeded() ? probed.result()
                                : describe(timedOut[0] ? new TimeoutException() : probed.cause(), timeout, backend));
                    }
                    return Future.<Void>succeededFuture();
                });
    }

    private void record(Backend backend, String failure) {
        HealthTracker tracker = trackers.get(backend);
        if (tracker == null) {
            return; // removed by a reload while the probe was in flight
        }
        if (failure != null) {
            backend.lastFailure(failure);
        }
        backend.meters().checked(failure == null);
        HealthCheckSettings check = settings(backend).healthCheck();
        HealthState changed = tracker.probed(failure == null, check.healthyThreshold(), check.unhealthyThreshold());
        if (changed != null) {
            announce(backend, changed, failure == null ? "probe succeeded" : failure, false);
        }
    }

    private void eject(PassiveFailure failure) {
        registry.find(failure.instance()).ifPresent(backend -> {
            HealthTracker tracker = trackers.get(backend);
            backend.lastFailure(failure.reason());
            if (tracker != null && tracker.ejected() != null) {
                backend.meters().ejected();
                announce(backend, HealthState.UNHEALTHY, failure.reason(), true);
            }
        });
    }

    private void announce(Backend backend, HealthState state, String reason, boolean passive) {
        log.info(() -> "backend " + backend + " is now " + state + ": " + reason);
        HealthEvent.announce(vertx.eventBus(), backend, state, reason, passive);
    }

    private long jittered(Duration healthCheckInterval) {
        long interval = healthCheckInterval.toMillis();
        return Math.max(1, Math.round(interval * (0.9 + 0.2 * random.nextDouble())));
    }

    private static String describe(Throwable error, long timeoutMillis, Backend backend) {
        if (error instanceof TimeoutException || error instanceof io.netty.channel.ConnectTimeoutException) {
            return "no answer within " + GoDuration.format(Duration.ofMillis(timeoutMillis));
        }
        if (error instanceof ConnectException) {
            return "connection refused";
        }
        Optional<String> tls = TlsFailure.describe(error, backend.spec().host());
        if (tls.isPresent()) {
            return tls.get();
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
