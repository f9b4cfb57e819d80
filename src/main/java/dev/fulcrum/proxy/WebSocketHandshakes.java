package dev.fulcrum.proxy;

import io.vertx.core.Future;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;

/**
 * The end of a WebSocket handshake, the last step on its way out. A backend that accepts (101) takes the
 * connection over, so it is no idle HTTP connection any more. A backend that refuses (a redirect to a login
 * page, a 401 with its challenge, a 404) is answered like any other request, with its headers and body:
 * vertx-http-proxy alone would send the status and nothing else.
 */
final class WebSocketHandshakes implements ProxyInterceptor {

    private final ClientTimeouts timeouts;

    WebSocketHandshakes(ClientTimeouts timeouts) {
        this.timeouts = timeouts;
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        if (!ctx.isWebSocket()) {
            return ctx.sendResponse();
        }
        if (ctx.response().getStatusCode() == 101) {
            timeouts.upgraded(ctx.request().proxiedRequest().connection());
            return ctx.sendResponse();
        }
        ctx.request().proxiedRequest().resume();
        return ctx.response().send();
    }
}
