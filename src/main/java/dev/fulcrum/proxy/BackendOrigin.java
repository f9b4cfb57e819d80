package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.LoadBalancer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.OriginRequestProvider;
import io.vertx.httpproxy.ProxyContext;

import java.util.List;
import java.util.function.Supplier;

/**
 * Chooses the backend for each request and opens the request to it. The request is created here, not by
 * the proxy, so that the connection is known to be established before any of the client's body is sent.
 */
final class BackendOrigin implements OriginRequestProvider {

    private static final Handler<Throwable> IGNORE = error -> { };

    private final LoadBalancer balancer;
    private final Supplier<List<Backend>> healthy;
    private final BackendClients clients;
    private final long connectTimeoutMillis;

    BackendOrigin(LoadBalancer balancer, Supplier<List<Backend>> healthy, BackendClients clients, long connectTimeoutMillis) {
        this.balancer = balancer;
        this.healthy = healthy;
        this.clients = clients;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    @Override
    public Future<HttpClientRequest> create(ProxyContext ctx) {
        Backend backend = balancer.pick(healthy.get());
        if (backend == null) {
            return Future.failedFuture(new NoHealthyBackendException());
        }
        InFlight.take(ctx, backend);
        forwardTo(ctx, backend);
        RequestOptions options = new RequestOptions()
                .setServer(backend.address())
                .setConnectTimeout(connectTimeoutMillis);
        // Failures reach the proxy through the response future; without a handler Vert.x also logs each one
        // as SEVERE, which a client closing its connection early must not do.
        return clients.of(backend).request(options).onSuccess(request -> request.exceptionHandler(IGNORE));
    }

    private static void forwardTo(ProxyContext ctx, Backend backend) {
        String uri = ctx.request().proxiedRequest().uri();
        String prefix = backend.spec().pathPrefix();
        if (!prefix.isEmpty() && uri.startsWith("/")) {
            ctx.request().setURI(prefix + uri);
        }
        // The backend sees the Host the client asked for, as Go's reverse proxy does: most apps build URLs from it.
        HostAndPort authority = ctx.request().proxiedRequest().authority();
        if (authority != null) {
            ctx.request().setAuthority(authority);
        }
    }
}
