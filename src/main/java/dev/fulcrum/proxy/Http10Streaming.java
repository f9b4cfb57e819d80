package dev.fulcrum.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.streams.ReadStream;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyResponse;

/**
 * HTTP/1.0 clients know no chunked coding, so a response of unknown length must be counted or end with the
 * connection (RFC 9112 §6.3). vertx-http-proxy buffers the whole body to count it: a long stream (server-sent
 * events, a large export) would grow in memory for as long as it runs. Here a body that ends within
 * {@value #COUNTED_BYTES} bytes is still sent with its length (the connection may stay open); a longer one is
 * passed on as it arrives and the connection closes after it, as NGINX does. A step of {@link ResponseWriter}, the
 * last to see a response, so the other interceptors have shaped its headers; not an interceptor of its own, as each
 * layer of vertx-http-proxy's chain costs every request its futures.
 */
final class Http10Streaming {

    private static final int COUNTED_BYTES = 64 * 1024;

    private final HttpDate date;

    Http10Streaming(HttpDate date) {
        this.date = date;
    }

    /** Sends the response of an HTTP/1.0 client whose body has no known length; null for any other response. */
    Future<Void> respond(ProxyContext ctx) {
        HttpServerRequest client = ctx.request().proxiedRequest();
        ProxyResponse response = ctx.response();
        Body body = response.getBody();
        if (client.version() != HttpVersion.HTTP_1_0 || body == null || body.length() >= 0
                || !mayHaveBody(client.method(), response.getStatusCode())) {
            return null;
        }
        return countOrStream(body.stream(), response, client);
    }

    /**
     * The backend's status and headers reach the client only once the body is known to be whole or too long to
     * count: if the backend fails before that, the client gets the proxy's own 502, none of the backend's headers
     * (a cookie, a cache lifetime) attached to it.
     */
    private Future<Void> countOrStream(ReadStream<Buffer> stream, ProxyResponse response, HttpServerRequest client) {
        HttpServerResponse out = client.response();
        Promise<Void> sent = Promise.promise();
        Buffer counted = Buffer.buffer();
        stream.exceptionHandler(sent::tryFail);
        stream.endHandler(end -> head(response, out).putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(counted.length()))
                .end(counted).onComplete(sent));
        stream.handler(chunk -> {
            counted.appendBuffer(chunk);
            if (counted.length() > COUNTED_BYTES) {
                stream.pause();
                head(response, out).putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE).write(counted);
                stream.pipeTo(out).andThen(done -> client.connection().close()).onComplete(sent);
            }
        });
        stream.resume();
        return sent.future();
    }

    private HttpServerResponse head(ProxyResponse response, HttpServerResponse out) {
        return ResponseWriter.writeHead(response, out, date.now());
    }

    private static boolean mayHaveBody(HttpMethod method, int status) {
        return method != HttpMethod.HEAD && status >= 200 && status != 204 && status != 304;
    }
}
