package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

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
    private static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final Map<Backend, HttpClient> clients = new HashMap<>();

    BackendClients(Vertx vertx) {
        this.vertx = vertx;
    }

    HttpClient of(Backend backend) {
        HttpClient client = clients.get(backend);
        if (client == null) {
            client = create(backend);
            clients.put(backend, client);
        }
        return client;
    }

    private HttpClient create(Backend backend) {
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setMaxHeaderSize(MAX_RESPONSE_HEADER_BYTES)
                .setSsl(backend.spec().tls());
        return vertx.httpClientBuilder()
                .with(options)
                .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_BACKEND))
                // A pooled connection reset by a dying backend is no news: exchanges on it fail, are counted
                // and retried on their own path. Without a handler Vert.x logs every such reset as SEVERE.
                .withConnectHandler(connection -> connection.exceptionHandler(error -> { }))
                .build();
    }

    /**
     * Closes the pools of backends no longer configured. {@code shutdown} lets the requests still in flight on
     * them finish (up to {@code drainSeconds}) before the connections close; no new request can reach them,
     * since they are in no routing view any more.
     */
    void retainOnly(Collection<Backend> configured, long drainSeconds) {
        Set<Backend> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(configured);
        clients.entrySet().removeIf(entry -> {
            if (keep.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().shutdown(drainSeconds, TimeUnit.SECONDS);
            return true;
        });
    }

    Future<Void> closeAll() {
        List<Future<Void>> closing = new ArrayList<>();
        clients.values().forEach(client -> closing.add(client.shutdown(0, TimeUnit.SECONDS)));
        clients.clear();
        return Future.join(closing).mapEmpty();
    }
}
