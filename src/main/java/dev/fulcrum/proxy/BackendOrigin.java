package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.OriginRequestProvider;
import io.vertx.httpproxy.ProxyContext;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Chooses the backend for each request and opens the request to it. The request is created here, not by
 * the proxy, so that a failed connection is known before any of the client's body is sent, and the request
 * can go to another backend.
 */
final class BackendOrigin implements OriginRequestProvider {

    private static final Handler<Throwable> IGNORE = error -> { };
    private static final String TRAILERS = "trailers";
    private static final CharSequence TE = HttpHeaders.createOptimized("te");

    private final Supplier<Routing> routing;
    private final BackendClients clients;
    private final ClientTimeouts timeouts;
    private final StickySessions sticky;

    BackendOrigin(Supplier<Routing> routing, BackendClients clients, ClientTimeouts timeouts, StickySessions sticky) {
        this.routing = routing;
        this.sticky = sticky;
        this.clients = clients;
        this.timeouts = timeouts;
    }

    @Override
    public Future<HttpClientRequest> create(ProxyContext ctx) {
        return create(ctx, Exchange.of(ctx));
    }

    /** A retry's request: the exchange is at hand. */
    Future<HttpClientRequest> create(ProxyContext ctx, Exchange exchange) {
        Routing now = routing.get();
        PoolRouting pool = current(now, exchange.pool());
        HttpServerRequest client = ctx.request().proxiedRequest();
        List<Backend> candidates = exchange.candidates(pool.healthy());
        Backend backend = exchange.retried() ? null : sticky.preferred(ctx, pool, candidates);
        if (backend == null) {
            backend = pool.balancer().pick(candidates, exchange.view(client, pool.settings(), now.config().trustedProxies()));
        }
        if (backend == null) {
            return Future.failedFuture(new NoHealthyBackendException());
        }
        exchange.take(backend);
        ctx.request().setURI(backendTarget(ctx, exchange.target(), backend));
        boolean preserveHost = pool.settings().preserveHost();
        ResponseDeadlines deadlines = pool.deadlines();
        // A retry after a broken connection takes a new one: the pooled ones may have been closed by the backend
        // just like the one that failed (a keep-alive timeout), and a request on one of them was never seen.
        return clients.request(backend, exchange.connectionBroke()).map(request -> {
            // By default the backend sees the host the client asked for, as Go's reverse proxy does: most apps
            // build URLs from it. Otherwise it sees its own address, and the client's in X-Forwarded-Host.
            // Set here rather than through the proxy, which would also overwrite X-Forwarded-Host with the
            // Host header when an absolute-form target names another host.
            HostAndPort authority = ClientAuthority.of(client);
            if (preserveHost && authority != null) {
                request.authority(authority);
            }
            // Failures reach the proxy through the response future; without a handler Vert.x also logs each
            // one as SEVERE, which a client closing its connection early must not do.
            request.exceptionHandler(IGNORE);
            exchange.identify(request);
            if (request.version() == HttpVersion.HTTP_2 && asksForTrailers(client)) {
                // TE is hop-by-hop, and the proxy drops it; gRPC needs it to reach an HTTP/2 backend, where
                // "trailers" is the one value allowed (RFC 9113 §8.2.2).
                request.putHeader(TE, TRAILERS);
            }
            exchange.sent(request);
            timeouts.forwarded(client);
            if (client.isEnded() || ctx.isWebSocket()) {
                // A WebSocket handshake has no body; the connection becomes the socket, not a request stream.
                exchange.awaitResponse(request, deadlines);
            } else {
                // A backend cannot answer before it has the whole request: an upload's time is not its time.
                client.end().onSuccess(received -> exchange.awaitResponse(request, deadlines));
            }
            Continue.ifExpected(ctx);
            return request;
        });
    }

    private static boolean asksForTrailers(HttpServerRequest client) {
        String te = client.getHeader(TE);
        return te != null && te.toLowerCase(Locale.ROOT).contains(TRAILERS);
    }

    /**
     * The pool's state now: a retry sees the backends healthy now, not when its request arrived. A pool a reload
     * removed meanwhile serves its last requests as it was.
     */
    static PoolRouting current(Routing now, PoolRouting arrivedWith) {
        PoolRouting latest = now.pool(arrivedWith.name());
        return latest != null ? latest : arrivedWith;
    }

    /** The client's target, or the route's rewrite of it, behind the backend's own path prefix. */
    private static String backendTarget(ProxyContext ctx, String rewritten, Backend backend) {
        String uri = rewritten != null ? rewritten : originForm(ctx.request().proxiedRequest().uri());
        String prefix = backend.spec().pathPrefix();
        return prefix.isEmpty() || !uri.startsWith("/") ? uri : prefix + uri;
    }

    /** A request target in absolute form ("http://host/path") is sent to a backend as "/path" (RFC 9112 §3.2). */
    static String originForm(String target) {
        int scheme = target.indexOf("://");
        if (target.startsWith("/") || scheme < 0) {
            return target;
        }
        int path = target.indexOf('/', scheme + 3);
        int query = target.indexOf('?', scheme + 3);
        if (path < 0 || (query >= 0 && query < path)) {
            return query < 0 ? "/" : "/" + target.substring(query);
        }
        return target.substring(path);
    }
}
