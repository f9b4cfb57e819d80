package dev.fulcrum.proxy;

import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.RouteAction.HeaderEdits;
import dev.fulcrum.routing.Route;
import io.vertx.core.MultiMap;
import io.vertx.httpproxy.ProxyContext;

/**
 * A route's {@code requestHeaders} and {@code responseHeaders}: removed, then set, then added. Applied by
 * {@link OutcomeInterceptor}, the last interceptor: to the request after the forwarding headers are written, so a
 * route may replace those too, and to the response (the backend's, or Fulcrum's own error) first on its way out,
 * so Fulcrum's own headers (the sticky cookie, Connection) are added after the edits and never edited away.
 */
final class RouteHeaders {

    private RouteHeaders() {
    }

    static void onRequest(ProxyContext ctx, Exchange exchange) {
        Route<RouteAction> route = exchange.route();
        if (route != null) {
            edit(ctx.request().headers(), route.action().requestHeaders());
        }
    }

    static void onResponse(ProxyContext ctx, Exchange exchange) {
        Route<RouteAction> route = exchange.route();
        if (route != null) {
            edit(ctx.response().headers(), route.action().responseHeaders());
        }
    }

    static void edit(MultiMap headers, HeaderEdits edits) {
        if (edits == HeaderEdits.NONE) {
            return;
        }
        edits.remove().forEach(headers::remove);
        edits.set().forEach(headers::set);
        edits.add().forEach(headers::add);
    }
}
