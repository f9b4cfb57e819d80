package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.PoolSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive connection pool per backend, owned by one proxy verticle (so one event loop). A pool per
 * backend, rather than one client for all, lets a removed backend's connections be closed once it has drained.
 * Pools follow the config when it changes ({@link #reconfigure}), so a request only looks its pool up.
 */
final class BackendClients {

    /** Vert.x pools 5 connections per origin by default: far too few for a balancer. */
    private static final int MAX_CONNECTIONS_PER_BACKEND = 1024;
    /**
     * HTTP/2 connections per backend: Vert.x opens one by default, where one slow stream's flow control or one lost
     * connection holds up every request. Each carries as many streams as the backend allows (typically 100).
     */
    static final int HTTP2_CONNECTIONS_PER_BACKEND = 8;
    /** Requests waiting for a free stream or connection to one backend; beyond it they fail at once (and are retried). */
    static final int MAX_WAITING_PER_BACKEND = 1024;

    /** A backend's pool and the request options for it. */
    private record Pool(HttpClientAgent client, RequestOptions options) {
    }

    private final Vertx vertx;
    private final Map<Backend, Pool> pools = new HashMap<>();
    private FulcrumConfig config;
    /**
     * The settings of every pool configured so far, by name: a request that arrived before a reload removed its
     * pool still reaches its backend as that pool said.
     */
    private final Map<String, PoolSettings> settings = new HashMap<>();

    BackendClients(Vertx vertx, FulcrumConfig config) {
        this.vertx = vertx;
        this.config = config;
        settings.putAll(config.pools());
    }

    /**
     * Opens a request to {@code backend} on a pooled connection, connecting first if none is free; or, when
     * {@code fresh}, on a new connection of its own, closed after this one exchange.
     */
    Future<HttpClientRequest> request(Backend backend, boolean fresh) {
        Pool pool = pools.get(backend);
        if (pool == null) {
            pool = new Pool(create(backend), options(backend));
            pools.put(backend, pool);
        }
        if (!fresh) {
            return pool.client().request(pool.options());
        }
        RequestOptions options = pool.options();
        HttpConnectOptions connect = new HttpConnectOptions().setServer(options.getServer())
                .setHost(options.getHost()).setPort(options.getPort()).setConnectTimeout(options.getConnectTimeout());
        return pool.client().connect(connect)
                .compose(connection -> connection.request(options))
                .map(request -> request.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
    }

    /**
     * Follows a new config: the pools of backends no longer configured are shut down, letting their requests in
     * flight finish (up to {@code shutdownTimeout}; no new request can reach them, as they are in no routing view
     * any more). Every backend takes its pool's new connect timeout; an https backend's connections are replaced
     * when its pool's certificate rules or connect timeout (its handshake's too) change.
     */
    void reconfigure(FulcrumConfig next, Collection<Backend> configured) {
        Map<String, PoolSettings> before = new HashMap<>(settings);
        settings.putAll(next.pools());
        config = next;
        Set<Backend> keep = identitySet(configured);
        for (Map.Entry<Backend, Pool> entry : pools.entrySet()) {
            Backend backend = entry.getKey();
            Pool pool = entry.getValue();
            PoolSettings was = before.get(backend.pool());
            PoolSettings now = settings.get(backend.pool());
            if (!keep.contains(backend) || was == null
                    || (was.backendTls().equals(now.backendTls()) && was.connectTimeout().equals(now.connectTimeout())
                        && was.backendProtocol() == now.backendProtocol())) {
                continue;
            }
            if (backend.spec().tls() || was.backendProtocol() != now.backendProtocol()) {
                // New certificate rules or handshake timeout: new connections follow them. Exchanges on the old
                // ones (a long stream, a WebSocket) run on: the backend has not gone away.
                pool.client().shutdown(1, TimeUnit.DAYS);
                entry.setValue(new Pool(create(backend), options(backend)));
            } else {
                entry.setValue(new Pool(pool.client(), options(backend)));
            }
        }
        retainOnly(configured);
    }

    Future<Void> closeAll() {
        List<Future<Void>> closing = new ArrayList<>();
        pools.values().forEach(pool -> closing.add(pool.client().shutdown(0, TimeUnit.SECONDS)));
        pools.clear();
        return Future.join(closing).mapEmpty();
    }

    private void retainOnly(Collection<Backend> configured) {
        Set<Backend> keep = identitySet(configured);
        pools.entrySet().removeIf(entry -> {
            if (keep.contains(entry.getKey())) {
                return false;
            }
            drain(entry.getValue());
            return true;
        });
    }

    private void drain(Pool pool) {
        pool.client().shutdown(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The server is the address; host and port are what the Host header names when the client's is not kept. */
    private RequestOptions options(Backend backend) {
        return new RequestOptions().setServer(backend.address())
                .setHost(backend.spec().hostHeader()).setPort(backend.spec().port())
                .setConnectTimeout(settings.get(backend.pool()).connectTimeout().toMillis());
    }

    private HttpClientAgent create(Backend backend) {
        PoolSettings pool = settings.get(backend.pool());
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setMaxHeaderSize(Backend.MAX_RESPONSE_HEADER_BYTES)
                .setSsl(backend.spec().tls())
                // The pool's connect timeout covers the handshake; this bounds it on a connection of its own too.
                .setSslHandshakeTimeout(pool.connectTimeout().toMillis())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
        if (pool.backendProtocol().http2()) {
            // h2 is chosen by ALPN (Vert.x falls back to HTTP/1.1 if the backend offers only that); h2c is prior
            // knowledge, without the HTTP/1.1 Upgrade round trip and its body limit.
            options.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(backend.spec().tls()).setHttp2ClearTextUpgrade(false);
        }
        return vertx.httpClientBuilder()
                .with(backend.spec().tls() ? pool.backendTls().applyTo(options, backend.spec().namedHost()) : options)
                .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_BACKEND)
                        .setHttp2MaxSize(HTTP2_CONNECTIONS_PER_BACKEND)
                        .setMaxWaitQueueSize(pool.backendProtocol().http2() ? MAX_WAITING_PER_BACKEND : -1))
                // A pooled connection reset by a dying backend is no news: exchanges on it fail, are counted
                // and retried on their own path. Without a handler Vert.x logs every such reset as SEVERE.
                .withConnectHandler(connection -> {
                    connection.exceptionHandler(error -> { });
                    BackendThrottle.backendOpened(connection);
                })
                .build();
    }

    private static Set<Backend> identitySet(Collection<Backend> backends) {
        Set<Backend> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(backends);
        return set;
    }
}
