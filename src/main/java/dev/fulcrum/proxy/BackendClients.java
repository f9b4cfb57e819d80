package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.config.BackendTls;
import dev.fulcrum.config.FulcrumConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

import java.time.Duration;
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
 */
final class BackendClients {

    /** Vert.x pools 5 connections per origin by default: far too few for a balancer. */
    private static final int MAX_CONNECTIONS_PER_BACKEND = 1024;

    /** A backend's pool, the request options for it and the TLS settings it was built with, kept across requests. */
    private record Pool(HttpClientAgent client, RequestOptions options, BackendTls tls) {
    }

    private final Vertx vertx;
    private final Map<Backend, Pool> pools = new HashMap<>();

    BackendClients(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Opens a request to {@code backend} on a pooled connection, connecting first if none is free; or, when
     * {@code fresh}, on a new connection of its own, closed after this one exchange.
     */
    Future<HttpClientRequest> request(Backend backend, FulcrumConfig config, boolean fresh) {
        Pool pool = pool(backend, config);
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

    private Pool pool(Backend backend, FulcrumConfig config) {
        Pool pool = pools.get(backend);
        long connectTimeoutMillis = config.connectTimeout().toMillis();
        if (pool == null || pool.options().getConnectTimeout() != connectTimeoutMillis
                || backend.spec().tls() && !pool.tls().equals(config.backendTls())) {
            pool = rebuilt(backend, pool, config);
            pools.put(backend, pool);
        }
        return pool;
    }

    private Pool rebuilt(Backend backend, Pool previous, FulcrumConfig config) {
        // The server is the address; host and port are what the Host header names when the client's is not kept.
        RequestOptions options = new RequestOptions().setServer(backend.address())
                .setHost(backend.spec().hostHeader()).setPort(backend.spec().port())
                .setConnectTimeout(config.connectTimeout().toMillis());
        if (previous != null && (!backend.spec().tls() || previous.tls().equals(config.backendTls()))) {
            return new Pool(previous.client(), options, previous.tls());
        }
        if (previous != null) {
            // New certificate rules: new connections follow them, requests on the old ones finish first.
            previous.client().shutdown(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        return new Pool(create(backend, config.backendTls()), options, config.backendTls());
    }

    private HttpClientAgent create(Backend backend, BackendTls tls) {
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setMaxHeaderSize(Backend.MAX_RESPONSE_HEADER_BYTES)
                .setSsl(backend.spec().tls());
        return vertx.httpClientBuilder()
                .with(backend.spec().tls() ? tls.applyTo(options) : options)
                .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_BACKEND))
                // A pooled connection reset by a dying backend is no news: exchanges on it fail, are counted
                // and retried on their own path. Without a handler Vert.x logs every such reset as SEVERE.
                .withConnectHandler(connection -> connection.exceptionHandler(error -> { }))
                .build();
    }

    /**
     * Closes the pools of backends no longer configured. {@code shutdown} lets the requests still in flight on
     * them finish (up to {@code drain}) before the connections close; no new request can reach them, since
     * they are in no routing view any more.
     */
    void retainOnly(Collection<Backend> configured, Duration drain) {
        Set<Backend> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(configured);
        pools.entrySet().removeIf(entry -> {
            if (keep.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().client().shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        });
    }

    Future<Void> closeAll() {
        List<Future<Void>> closing = new ArrayList<>();
        pools.values().forEach(pool -> closing.add(pool.client().shutdown(0, TimeUnit.SECONDS)));
        pools.clear();
        return Future.join(closing).mapEmpty();
    }
}
