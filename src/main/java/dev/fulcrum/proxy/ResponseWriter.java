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
 * Writes the response to the client, the last step on the way out. It does what vertx-http-proxy's own sending
 * does, except for the Date: that formats one per response, which was 4 % of the event loop's time at 40k req/s,
 * where {@link HttpDate} formats one a second (and with a two-digit day, as IMF-fixdate has it). What that
 * sending treats specially is left to it: a Warning, whose date it checks, and a body of unknown length for an
 * HTTP/1.0 client ({@link Http10Streaming} streams those, but for a response that has no body). Registered for
 * plain requests only: a WebSocket handshake is completed by vertx-http-proxy.
 */
final class ResponseWriter implements ProxyInterceptor {

    private static final CharSequence WARNING = HttpHeaders.createOptimized("warning");

    private final HttpDate date;
    private final ResponseRecords records;
    private final Http10Streaming http10;

    ResponseWriter(HttpDate date, ResponseRecords records) {
        this.date = date;
        this.records = records;
        this.http10 = new Http10Streaming(date);
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        ProxyResponse response = ctx.response();
        CharSequence idHeader = records.idHeader();
        if (idHeader != null) {
            // The client's response carries the request's ID already (RequestIds); a backend echoing it would double it.
            response.headers().remove(idHeader);
        }
        Future<Void> streamed = http10.respond(ctx);
        if (streamed != null) {
            return streamed;
        }
        Body body = response.getBody();
        HttpServerRequest client = ctx.request().proxiedRequest();
        if (response.headers().contains(WARNING) || (body != null && body.length() < 0 && client.version() == HttpVersion.HTTP_1_0)) {
            return ctx.sendResponse();
        }
        HttpServerResponse out = writeHead(response, client.response(), date.now());
        HttpClientResponse fromBackend = response.proxiedResponse();
        if (body == null) {
            if (fromBackend != null && fromBackend.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                out.putHeader(HttpHeaders.CONTENT_LENGTH, "0");
            }
            return out.end();
        }
        if (body.length() >= 0) {
            out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(body.length()));
        } else {
            out.setChunked(true);
        }
        BackendThrottle throttle = fromBackend == null ? null
                : BackendThrottle.follow(client, fromBackend);
        if (throttle != null) {
            // The pipe notices a client gone only at its next write, which a paused response never makes.
            out.closeHandler(closed -> {
                if (!out.ended()) {
                    fromBackend.request().reset();
                }
            });
        }
        Pipe<Buffer> pipe = body.stream().pipe();
        pipe.endOnSuccess(false);
        pipe.endOnFailure(false);
        return pipe.to(out).compose(piped -> end(out, fromBackend, client.version())).andThen(sent -> {
            if (throttle != null) {
                throttle.release();
            }
            if (sent.failed()) {
                // Neither connection can carry another exchange: the backend's is mid-response, the client's short.
                if (fromBackend != null) {
                    fromBackend.request().reset();
                }
                out.reset();
            }
        });
    }

    /**
     * Ends {@code out} with the backend's trailers (gRPC's status is one), where the client's framing can carry them:
     * chunked HTTP/1.1, or HTTP/2. vertx-http-proxy 5.0 drops them (upstream #145).
     */
    private static Future<Void> end(HttpServerResponse out, HttpClientResponse fromBackend, HttpVersion version) {
        if (fromBackend != null && !fromBackend.trailers().isEmpty() && (out.isChunked() || version == HttpVersion.HTTP_2)) {
            out.trailers().addAll(fromBackend.trailers());
        }
        return out.end();
    }

    /**
     * Status, Date and headers of {@code response} onto {@code out}, the type from the body if there is one; the
     * framing (Content-Length or chunked) is the caller's.
     */
    static HttpServerResponse writeHead(ProxyResponse response, HttpServerResponse out, String date) {
        Body body = response.getBody();
        out.setStatusCode(response.getStatusCode());
        if (response.getStatusMessage() != null) {
            out.setStatusMessage(response.getStatusMessage());
        }
        out.putHeader(HttpHeaders.DATE, date);
        response.headers().forEach((name, value) -> {
            if (!isReplaced(name, body != null)) {
                out.headers().add(name, value);
            }
        });
        if (body != null && body.mediaType() != null) {
            out.putHeader(HttpHeaders.CONTENT_TYPE, body.mediaType());
        }
        return out;
    }

    /** Set by the writer (the type from the body, if there is one) or by the connection, not copied. */
    private static boolean isReplaced(String name, boolean hasBody) {
        return (hasBody && name.equalsIgnoreCase("content-type")) || name.equalsIgnoreCase("date")
                || name.equalsIgnoreCase("transfer-encoding");
    }
}
