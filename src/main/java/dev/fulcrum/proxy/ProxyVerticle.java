package dev.fulcrum.proxy;

import dev.fulcrum.accesslog.AccessLogs;
import dev.fulcrum.balancer.Algorithms;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.balancer.LoadBalancer;
import dev.fulcrum.config.ConfigEvents;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ListenAddress;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.TlsSettings;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.metrics.Metrics;
import dev.fulcrum.routing.RouteTable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyOptions;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One HTTP listener and proxy per event loop. Its {@link Routing} is replaced on this event loop when a
 * health or config event arrives, so a selection never sees a half-updated view. Requests pass the framing
 * checks before the proxy sees them; the interceptors then run in this order on the way in (and the reverse
 * on the way out): response writer (HTTP/1.0 streaming too), WebSocket handshakes, body limit, forwarding headers,
 * outcome (route and its header edits, sticky sessions, selection, retry, accounting).
 */
public final class ProxyVerticle extends VerticleBase {

    private static final int SETTLE_POLLS = 100;
    private static final int RANDOM_PLAIN_PORT = -1;
    private static final int RANDOM_TLS_PORT = -2;
    private static final long SETTLE_POLL_MILLIS = 10;

    private final BackendRegistry registry;
    private final ConnectionLimit connectionLimit;
    private final ResponseBudget responseBudget;
    private final Metrics metrics;
    private final AccessLogs accessLogs;
    private final FulcrumConfig initialConfig;
    private Routing routing;
    private final Exchanges exchanges = new Exchanges();
    private BackendClients clients;
    private ClientTimeouts timeouts;
    private ResponseRecords records;
    /** The waits of every pool with one requestTimeout; kept for later pools with the same. */
    private final Map<Duration, ResponseDeadlines> deadlines = new HashMap<>();
    private HttpProxy proxy;
    private HttpServer server;
    /** The HTTPS listener, or null when the config has no {@code tls}. */
    private HttpServer tlsServer;
    private TlsSettings tlsServing;
    /** Connections accepted beyond {@code maxConnections}, unread until a slot frees; on this event loop only. */
    private final ArrayDeque<HttpConnection> waiting = new ArrayDeque<>();
    /** The shutdowns of listeners replaced by a listenPort edit, until each completes. */
    private final List<Future<Void>> retiring = new ArrayList<>();
    /** Requests received since the start, answered or not; touched only on this verticle's event loop. */
    private long received;

    /** Everything but {@code config} is shared by every proxy verticle. */
    public ProxyVerticle(FulcrumConfig config, BackendRegistry registry, ConnectionLimit connectionLimit,
                         ResponseBudget responseBudget, Metrics metrics, AccessLogs accessLogs) {
        this.registry = registry;
        this.metrics = metrics;
        this.accessLogs = accessLogs;
        this.connectionLimit = connectionLimit;
        this.responseBudget = responseBudget;
        this.initialConfig = config;
    }

    @Override
    public Future<?> start() {
        routing = routingFor(initialConfig, null);
        clients = new BackendClients(vertx, routing.config());
        timeouts = new ClientTimeouts(vertx, () -> routing.config(), responseBudget);
        vertx.eventBus().localConsumer(HealthEvent.ADDRESS, event -> routeWith(routing.config()));
        ConfigEvents.consume(vertx.eventBus(), this::routeWith);

        Supplier<Routing> current = () -> routing;
        // Micrometer hands every verticle the same counters.
        records = new ResponseRecords(metrics.none(), metrics.clientRequestCounters(), timeouts, accessLogs, current);
        StickySessions sticky = new StickySessions();
        BackendOrigin origin = new BackendOrigin(current, clients, timeouts, sticky);
        HttpDate date = new HttpDate();
        // Requests go through each backend's own client (see BackendClients); this one is never used.
        proxy = HttpProxy.reverseProxy(new ProxyOptions(), vertx.createHttpClient())
                .origin(origin)
                .addInterceptor(new ResponseWriter(date, records), false)
                .addInterceptor(new WebSocketHandshakes(timeouts), true)
                .addInterceptor(new RequestBodyLimit(current), false)
                .addInterceptor(new Forwarding(current, exchanges), true)
                .addInterceptor(new OutcomeInterceptor(origin, vertx.eventBus(), current, exchanges, records, sticky), true);
        FulcrumConfig config = routing.config();
        Future<HttpServer> plain = listen(config.listen()).onSuccess(bound -> server = bound);
        if (config.tls() == null) {
            return plain;
        }
        return plain.compose(bound -> listenTls(config.tls())).onSuccess(bound -> {
            tlsServer = bound;
            tlsServing = config.tls();
        });
    }

    @Override
    public Future<?> stop() {
        timeouts.stop();
        deadlines.values().forEach(ResponseDeadlines::stop);
        Future<Void> tlsClosed = tlsServer == null ? Future.succeededFuture() : tlsServer.close();
        return Future.join(server == null ? Future.succeededFuture() : server.close(), tlsClosed).eventually(clients::closeAll);
    }

    public int actualPort() {
        return server.actualPort();
    }

    /** The port the HTTPS listener is bound to, or -1 when there is none. */
    public int actualTlsPort() {
        return tlsServer == null ? -1 : tlsServer.actualPort();
    }

    /**
     * New handshakes get {@code tls}'s certificates from now on; connections open now keep theirs. The PEM texts
     * go in as values, not paths: Vert.x would take a renewed file at the same path for no change.
     */
    public Future<Boolean> useCertificates(TlsSettings tls) {
        return onContext(() -> {
            if (tlsServer == null || tls == null || tls.equals(tlsServing)) {
                return Future.succeededFuture(false);
            }
            return tlsServer.updateSSLOptions(EdgeOptions.ssl(tls)).onSuccess(updated -> tlsServing = tls);
        });
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
            Future<Void> closed = previous.shutdown(routing.config().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
            retiring.add(closed);
            return closed.andThen(done -> retiring.remove(closed));
        });
    }

    /** How many requests this verticle has received since it started (read a few times a second at most). */
    public Future<Long> received() {
        return onContext(() -> Future.succeededFuture(received));
    }

    /** Completes once everything already queued on this verticle's event loop (a config event, a switch) has run. */
    public Future<Void> settled() {
        return onContext(Future::succeededFuture);
    }

    public Future<Void> abandon(HttpServer next) {
        return onContext(next::close);
    }

    /**
     * Stops accepting connections, closes idle ones, and lets requests in flight finish within {@code timeout};
     * their responses carry {@code Connection: close}. Completes once every exchange has ended, with how many
     * finished and how many were cut off.
     */
    public Future<Drained> drain(Duration timeout) {
        return onContext(() -> {
            exchanges.drain(timeout.toNanos());
            // Listeners left by a listenPort edit may still be finishing requests of their own.
            List<Future<Void>> closing = new ArrayList<>(retiring);
            closing.add(server.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS));
            if (tlsServer != null) {
                closing.add(tlsServer.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS));
            }
            return Future.join(closing).transform(closed -> exchangesEnded(SETTLE_POLLS));
        });
    }

    /** Shutdown has begun (the listener still accepts during the shutdown delay): count how exchanges end. */
    public Future<Void> shutdownBegins() {
        return onContext(() -> {
            exchanges.count();
            return Future.succeededFuture();
        });
    }

    /** The listener closes as the last response is written; the exchange's own bookkeeping follows a moment later. */
    private Future<Drained> exchangesEnded(int pollsLeft) {
        if (exchanges.active() == 0 || pollsLeft == 0) {
            return Future.succeededFuture(exchanges.drained());
        }
        return vertx.timer(SETTLE_POLL_MILLIS).compose(v -> exchangesEnded(pollsLeft - 1));
    }

    private Future<HttpServer> listen(ListenAddress address) {
        return listen(address, EdgeOptions.plain(routing.config()));
    }

    private Future<HttpServer> listenTls(TlsSettings tls) {
        return listen(tls.listen(), EdgeOptions.tls(routing.config(), tls));
    }

    private Future<HttpServer> listen(ListenAddress address, HttpServerOptions options) {
        HttpServer created = vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    // A client that resets its connection or goes away mid-response is no news: its exchange ends on
                    // its own path. Without a handler Vert.x logs each one as SEVERE, with a stack trace.
                    connection.exceptionHandler(error -> { });
                    if (!options.isHttp2ClearTextEnabled()) {
                        // With h2c, Vert.x calls this only once the first request head is decoded: replacing the
                        // decoder then would lose the body bytes read with the head.
                        StrictFraming.install(connection, options);
                    }
                    if (connectionLimit.opened(Connections.listener(connection))) {
                        admit(connection);
                    } else {
                        // Accepted in the instant before accepting paused: it waits, unread, for a free slot.
                        Connections.setReading(connection, false);
                        waiting.add(connection);
                        connection.closeHandler(closed -> waiting.remove(connection));
                    }
                })
                .requestHandler(request -> {
                    received++;
                    if (exchanges.draining() && exchanges.wasToldToClose(request.connection())) {
                        // Pipelined behind a response that said "Connection: close" (RFC 9112 §9.6): never served.
                        request.connection().close();
                        return;
                    }
                    if (request.remoteAddress() == null) {
                        // On io_uring a client that reset its connection at once has no address left: nobody to answer.
                        Connections.closeNow(request.connection());
                        return;
                    }
                    records.arrived(request);
                    timeouts.requestArrived(request);
                    TlsSettings tls = routing.config().tls();
                    if (tls != null && tls.httpsRedirect() && tlsServer != null && !request.isSSL()) {
                        HttpsRedirect.answer(request, tlsServer.actualPort());
                        return;
                    }
                    if (RequestFraming.admit(request)) {
                        proxy.handle(request);
                    }
                })
                .invalidRequestHandler(request -> {
                    // Vert.x's own 400, 414 and 431, for what its decoder could not read: counted like any other.
                    records.arrived(request);
                    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
                });
        int port = address.port();
        // Port 0 (tests): every verticle shares one random port, chosen by the first; Vert.x shares a negative port
        // among the servers that name the same one, so the two listeners pick two.
        return created.listen(port == 0 ? (options.isSsl() ? RANDOM_TLS_PORT : RANDOM_PLAIN_PORT) : port, address.host());
    }

    /** A connection within {@code maxConnections}: served from now on, and counted out when it closes. */
    private void admit(HttpConnection connection) {
        connection.closeHandler(closed -> {
            connectionLimit.closed();
            timeouts.closed(connection);
            admitWaiting();
        });
        BackendThrottle.install(connection);
        timeouts.opened(connection);
    }

    /** A slot has freed on this event loop: the connection that has waited longest here takes it. */
    private void admitWaiting() {
        HttpConnection next = waiting.peek();
        if (next != null && connectionLimit.opened(null)) {
            waiting.poll();
            admit(next);
            Connections.setReading(next, true);
        }
    }

    private void routeWith(FulcrumConfig config) {
        routing = routingFor(config, routing);
        clients.reconfigure(config, registry.all());
    }

    /**
     * The view of {@code config} with the backends' states now. A pool keeps its policy (a rotation, a table) while
     * its algorithm settings stay; the route table is compiled again only for a new config.
     */
    private Routing routingFor(FulcrumConfig config, Routing previous) {
        RouteTable<RouteAction> routes = previous != null && previous.config() == config ? previous.routes()
                : config.routes().isEmpty() ? null : RouteTable.compile(config.routes());
        Map<String, PoolRouting> pools = new HashMap<>();
        for (PoolSettings pool : config.pools().values()) {
            PoolRouting before = previous == null ? null : previous.pool(pool.name());
            LoadBalancer balancer = before != null && Algorithms.unchanged(before.settings(), pool)
                    ? before.balancer() : Algorithms.create(pool, registry);
            ResponseDeadlines waits = deadlines.computeIfAbsent(pool.requestTimeout(),
                    timeout -> new ResponseDeadlines(vertx, () -> timeout));
            pools.put(pool.name(), new PoolRouting(pool, registry.healthy(pool.name()), balancer, waits,
                    metrics.none(pool.name())));
        }
        return new Routing(config, routes, pools);
    }

    private <T> Future<T> onContext(Supplier<Future<T>> action) {
        Context verticleContext = context;
        Promise<T> result = Promise.promise();
        verticleContext.runOnContext(v -> action.get().onComplete(result));
        return result.future();
    }
}
