package dev.fulcrum.proxy;

import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.RouteAction.HeaderEdits;
import dev.fulcrum.routing.Route;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

/**
 * A route's {@code requestHeaders} and {@code responseHeaders}: removed, then set, then added. Registered last, it
 * edits the request after the forwarding headers are written, so a route may replace those too, and the response
 * (the backend's, or Fulcrum's own error) first on its way out, so Fulcrum's own headers (the sticky cookie,
 * Connection) are added after the edits and never edited away.
 */
final class RouteHeaders implements ProxyInterceptor {

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        Route<RouteAction> route = Exchange.of(ctx).route();
        if (route != null) {
            edit(ctx.request().headers(), route.action().requestHeaders());
        }
        return ctx.sendRequest();
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        Exchange exchange = Exchange.of(ctx);
        Route<RouteAction> route = exchange == null ? null : exchange.route();
        if (route != null) {
            edit(ctx.response().headers(), route.action().responseHeaders());
        }
        return ctx.sendResponse();
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
