package dev.fulcrum.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.ReadStream;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

import java.util.function.Supplier;

/**
 * {@code maxRequestBody}: a body over the limit gets 413 and its connection is closed, and no backend ever sees
 * the request. A declared Content-Length is judged before a byte is read; a chunked body is read up to the
 * limit first (as NGINX buffers request bodies) and forwarded with its length once complete.
 */
final class RequestBodyLimit implements ProxyInterceptor {

    private final Supplier<Routing> routing;

    RequestBodyLimit(Supplier<Routing> routing) {
        this.routing = routing;
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        long limit = routing.get().config().limits().maxRequestBody();
        Body body = ctx.request().getBody();
        if (limit == Long.MAX_VALUE || body == null || ctx.isWebSocket()) {
            return ctx.sendRequest();
        }
        String declared = ctx.request().proxiedRequest().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            return Long.parseLong(declared) > limit ? Future.succeededFuture(tooLarge(ctx)) : ctx.sendRequest();
        }
        Continue.ifExpected(ctx);
        return readUpTo(ctx, body.stream(), limit);
    }

    private static Future<ProxyResponse> readUpTo(ProxyContext ctx, ReadStream<Buffer> stream, long limit) {
        Promise<ProxyResponse> outcome = Promise.promise();
        Buffer collected = Buffer.buffer();
        stream.handler(chunk -> {
            if (outcome.future().isComplete()) {
                return;
            }
            collected.appendBuffer(chunk);
            if (collected.length() > limit) {
                outcome.complete(tooLarge(ctx));
            }
        });
        stream.exceptionHandler(outcome::tryFail);
        stream.endHandler(end -> {
            if (!outcome.future().isComplete()) {
                ctx.request().setBody(Body.body(collected));
                ctx.sendRequest().onComplete(outcome);
            }
        });
        stream.resume();
        return outcome.future();
    }

    private static ProxyResponse tooLarge(ProxyContext ctx) {
        HttpServerRequest client = ctx.request().proxiedRequest();
        ProxyResponse response = ctx.request().release().response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_LENGTH, "0");
        if (client.version() != HttpVersion.HTTP_2) {
            // The rest of the body is still on its way: the connection cannot carry another request. (On HTTP/2
            // the stream is reset once answered, and the connection's other streams go on.)
            RequestFraming.closeAfterAnswer(client);
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        return response;
    }
}
