package dev.fulcrum.proxy;

import dev.fulcrum.balancer.XxHash64;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.StickyCookie;
import dev.fulcrum.routing.Route;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.MediaType;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyResponse;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * An exchange's first step, taken by {@link OutcomeInterceptor} before it picks a backend: the route table picks the
 * route (first match wins) and so the pool, or answers at once: {@code 404 no route}, or the route's redirect. A
 * weighted split picks its pool per request, the same one for a client that carries a pool's sticky cookie or the
 * key of a pool's hash policy. The path rewrite is worked out here; the header edits are {@link RouteHeaders}'s.
 * With no routes in the config every request goes to the pool "default", and this step costs a field read. Not an
 * interceptor of its own: each one more in the proxy's chain costs every request its futures.
 */
final class RouteStep {

    private static final MediaType PLAIN_TEXT = MediaType.parse("text/plain; charset=utf-8");
    /** Keeps the split's choice apart from the Maglev slot the same key hashes to inside the pool. */
    private static final long SPLIT_SEED = 0x73706c6974L;

    private final Supplier<Routing> routing;
    private final StickySessions sticky;

    RouteStep(Supplier<Routing> routing, StickySessions sticky) {
        this.routing = routing;
        this.sticky = sticky;
    }

    /** Routes the exchange to its pool and returns null, or returns Fulcrum's own answer (no route, a redirect). */
    ProxyResponse route(ProxyContext ctx, Exchange exchange) {
        Routing now = routing.get();
        if (now.routes() == null) {
            exchange.routeTo(null, now.defaultPool(), null);
            return null;
        }
        HttpServerRequest client = ctx.request().proxiedRequest();
        String path = client.path() == null ? "/" : client.path();
        String routedPath = DotSegments.remove(path);
        Route<RouteAction> route = now.routes().match(new ClientRequestFacts(client, routedPath));
        if (route == null) {
            return answer(ctx, 404, "no route");
        }
        RouteAction action = route.action();
        if (action.redirect() != null) {
            exchange.routeTo(route, null, null);
            return redirect(ctx, client, routedPath, action.redirect());
        }
        PoolRouting pool = now.pool(action.pools().size() == 1 ? action.pools().keySet().iterator().next()
                : split(ctx, client, now, action.pools()));
        String prefix = route.match().pathPrefix();
        String rewritten = prefix == null || (!action.stripPrefix() && action.rewritePrefix() == null)
                ? routedPath : rewrite(routedPath, prefix, action.stripPrefix() ? "/" : action.rewritePrefix());
        String target = rewritten == path ? null : withQuery(rewritten, client.query());
        exchange.routeTo(route, pool, target);
        return null;
    }

    /**
     * The pool of a weighted split: the one whose sticky cookie the client carries and names one of its healthy
     * backends; else by the hash of the first hashing pool's key, if the request has it; else at random. Pools are
     * taken in name order ({@link RouteAction#pools}), so every replica with the same config makes the same choice.
     */
    private String split(ProxyContext ctx, HttpServerRequest client, Routing now, Map<String, Integer> ordered) {
        long total = 0;
        for (Map.Entry<String, Integer> entry : ordered.entrySet()) {
            total += entry.getValue();
            PoolRouting pool = now.pool(entry.getKey());
            StickyCookie cookie = pool.settings().stickyCookie();
            if (entry.getValue() > 0 && cookie != null && sticky.namesHealthyBackend(client, cookie, pool)) {
                return entry.getKey();
            }
        }
        long point = -1;
        for (String name : ordered.keySet()) {
            PoolSettings settings = now.pool(name).settings();
            if (settings.hashing()) {
                BalancedRequest view = new BalancedRequest(client, settings.hash().key(), now.config().trustedProxies());
                if (view.hasHashKey()) {
                    point = Long.remainderUnsigned(XxHash64.mix(view.hashKey() ^ SPLIT_SEED), total);
                }
                break;
            }
        }
        if (point < 0) {
            point = ThreadLocalRandom.current().nextLong(total);
        }
        for (Map.Entry<String, Integer> entry : ordered.entrySet()) {
            point -= entry.getValue();
            if (point < 0) {
                return entry.getKey();
            }
        }
        throw new IllegalStateException("a split whose weights add up to " + total);
    }

    /** {@code prefix} (as matched: on a segment boundary) replaced by {@code replacement}, with one slash between. */
    static String rewrite(String path, String prefix, String replacement) {
        String key = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        String rest = path.substring(Math.min(key.length(), path.length()));
        if (rest.isEmpty()) {
            return replacement;
        }
        return replacement.endsWith("/") ? replacement + rest.substring(1) : replacement + rest;
    }

    private static String withQuery(String path, String query) {
        return query == null ? path : path + "?" + query;
    }

    /** The same URL but for what the redirect replaces; a new scheme drops the port the client used with the old one. */
    private static ProxyResponse redirect(ProxyContext ctx, HttpServerRequest client, String path,
                                          RouteAction.Redirect redirect) {
        String scheme = redirect.scheme() != null ? redirect.scheme() : client.isSSL() ? "https" : "http";
        String host;
        if (redirect.host() != null) {
            host = redirect.host();
        } else {
            HostAndPort authority = ClientAuthority.of(client);
            String name = authority == null ? "" : authority.host();
            host = authority == null || authority.port() < 0 || redirect.scheme() != null ? name : name + ":" + authority.port();
        }
        String location = scheme + "://" + host + withQuery(path, client.query());
        return ctx.request().release().response()
                .setStatusCode(redirect.code())
                .putHeader(HttpHeaders.LOCATION, location)
                .setBody(Body.body(Buffer.buffer("redirecting to " + location + "\n"), PLAIN_TEXT));
    }

    private static ProxyResponse answer(ProxyContext ctx, int status, String message) {
        return ctx.request().release().response()
                .setStatusCode(status)
                .setBody(Body.body(Buffer.buffer(message + "\n"), PLAIN_TEXT));
    }
}
