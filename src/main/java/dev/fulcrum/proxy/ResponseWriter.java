package dev.fulcrum.proxy;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.streams.Pipe;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

/**
 * Writes a response with a body to the client, the last step on the way out. It does what vertx-http-proxy's
 * own sending does with such a response, except for the Date: that formats one per response, which was 4 % of
 * the event loop's time at 40k req/s, where {@link HttpDate} formats one a second. The rest, which that sending
 * treats specially (a response without a body, a body of unknown length for an HTTP/1.0 client, a Warning
 * whose date it checks, a WebSocket handshake), is left to it.
 */
final class ResponseWriter implements ProxyInterceptor {

    private static final CharSequence WARNING = HttpHeaders.createOptimized("warning");

    private final HttpDate date;

    ResponseWriter(HttpDate date) {
        this.date = date;
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        ProxyResponse response = ctx.response();
        Body body = response.getBody();
        HttpServerRequest client = ctx.request().proxiedRequest();
        if (ctx.isWebSocket() || body == null || response.headers().contains(WARNING)
                || (body.length() < 0 && client.version() == HttpVersion.HTTP_1_0)) {
            return ctx.sendResponse();
        }
        HttpServerResponse out = client.response();
        out.setStatusCode(response.getStatusCode());
        if (response.getStatusMessage() != null) {
            out.setStatusMessage(response.getStatusMessage());
        }
        out.putHeader(HttpHeaders.DATE, date.now());
        response.headers().forEach((name, value) -> {
            if (!isReplaced(name)) {
                out.headers().add(name, value);
            }
        });
        if (body.mediaType() != null) {
            out.putHeader(HttpHeaders.CONTENT_TYPE, body.mediaType());
        }
        if (body.length() >= 0) {
            out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(body.length()));
        } else {
            out.setChunked(true);
        }
        Pipe<Buffer> pipe = body.stream().pipe();
        pipe.endOnSuccess(true);
        pipe.endOnFailure(false);
        return pipe.to(out).andThen(sent -> {
            if (sent.failed()) {
                HttpClientResponse fromBackend = response.proxiedResponse();
                if (fromBackend != null) {
                    fromBackend.request().reset();
                }
                out.reset();
            }
        });
    }

    /** Set from the body, or by this writer and the connection, not copied from the backend. */
    private static boolean isReplaced(String name) {
        return name.equalsIgnoreCase("content-type") || name.equalsIgnoreCase("date")
                || name.equalsIgnoreCase("transfer-encoding");
    }
}
