package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.OriginRequestProvider;
import io.vertx.httpproxy.ProxyContext;

import java.util.List;
import java.util.function.Supplier;

/**
 * Chooses the backend for each request and opens the request to it. The request is created here, not by
 * the proxy, so that a failed connection is known before any of the client's body is sent, and the request
 * can go to another backend.
 */
final class BackendOrigin implements OriginRequestProvider {

    private static final String FAILED_BACKEND = "fulcrum.failedBackend";
    private static final String TIMED_OUT = "fulcrum.timedOut";
    private static final Handler<Throwable> IGNORE = error -> { };

    private final Vertx vertx;
    private final Supplier<Routing> routing;
    private final BackendClients clients;

    BackendOrigin(Vertx vertx, Supplier<Routing> routing, BackendClients clients) {
        this.vertx = vertx;
        this.routing = routing;
        this.clients = clients;
    }

    @Override
    public Future<HttpClientRequest> create(ProxyContext ctx) {
        Routing now = routing.get();
        Backend backend = now.balancer().pick(candidates(ctx, now.healthy()));
        if (backend == null) {
            return Future.failedFuture(new NoHealthyBackendException());
        }
        InFlight.take(ctx, backend);
        forwardTo(ctx, backend, now.config().preserveHost());
        RequestOptions options = new RequestOptions()
                .setServer(backend.address())
                .setConnectTimeout(now.config().connectTimeout().toMillis());
        long requestTimeout = now.config().requestTimeout().toMillis();
        return clients.of(backend).request(options).map(request -> limitWait(ctx, request, requestTimeout));
    }

    /** Marks the backend that just failed this exchange, so that the retry goes elsewhere. */
    static void avoid(ProxyContext ctx, Backend failed) {
        ctx.set(FAILED_BACKEND, failed);
    }

    static boolean retried(ProxyContext ctx) {
        return ctx.get(FAILED_BACKEND, Backend.class) != null;
    }

    private static List<Backend> candidates(ProxyContext ctx, List<Backend> candidates) {
        Backend failed = ctx.get(FAILED_BACKEND, Backend.class);
        return failed == null ? candidates : candidates.stream().filter(b -> b != failed).toList();
    }

    /** Whether the exchange failed because the backend sent no response headers within requestTimeout. */
    static boolean timedOut(ProxyContext ctx) {
        return ctx.get(TIMED_OUT, Boolean.class) != null;
    }

    private HttpClientRequest limitWait(ProxyContext ctx, HttpClientRequest request, long requestTimeoutMillis) {
        // Failures reach the proxy through the response future; without a handler Vert.x also logs each one
        // as SEVERE, which a client closing its connection early must not do.
        request.exceptionHandler(IGNORE);
        long timer = vertx.setTimer(requestTimeoutMillis, id -> {
            // An HTTP/1 reset fails the response with a plain "stream reset": the flag keeps the real cause.
            ctx.set(TIMED_OUT, Boolean.TRUE);
            request.reset();
        });
        request.response().onComplete(done -> vertx.cancelTimer(timer));
        return request;
    }

    private static void forwardTo(ProxyContext ctx, Backend backend, boolean preserveHost) {
        String uri = originForm(ctx.request().proxiedRequest().uri());
        String prefix = backend.spec().pathPrefix();
        ctx.request().setURI(prefix.isEmpty() || !uri.startsWith("/") ? uri : prefix + uri);
        // By default the backend sees the Host the client asked for, as Go's reverse proxy does: most apps
        // build URLs from it. Otherwise it sees its own address, and the client's Host in X-Forwarded-Host.
        HostAndPort authority = ctx.request().proxiedRequest().authority();
        if (preserveHost && authority != null) {
            ctx.request().setAuthority(authority);
        }
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
