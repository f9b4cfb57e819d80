package dev.fulcrum.proxy;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

/**
 * Sees every exchange end: turns a failure to reach a backend into a short error response that says which
 * side failed, and gives the backend's in-flight slot back on every outcome (response sent, client gone,
 * backend error). Registered for WebSocket upgrades too, or an upgrade would never give its slot back.
 */
final class OutcomeInterceptor implements ProxyInterceptor {

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        return ctx.sendRequest().recover(error -> Future.succeededFuture(errorResponse(ctx, BackendFailure.of(error))));
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        return ctx.sendResponse().andThen(done -> InFlight.release(ctx));
    }

    private static ProxyResponse errorResponse(ProxyContext ctx, BackendFailure failure) {
        return ctx.request().release().response()
                .setStatusCode(failure.status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setBody(Body.body(Buffer.buffer(failure.message + "\n")));
    }
}
