package dev.fulcrum.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;

import java.util.function.Function;

/**
 * A test client: a real HTTP client with a pool large enough for concurrent tests. Every use runs on one
 * Vert.x context: the Vert.x 5.0.10 client pool, called from a plain thread, gets a fresh context per call
 * and now and then loses a request (seen here about once in a few thousand sequential requests).
 */
public final class Http {

    public record Reply(int status, String body) {
    }

    private final Context context;
    private final HttpClient client;
    private final int port;

    public Http(Vertx vertx, int port) {
        this.context = vertx.getOrCreateContext();
        this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
                new PoolOptions().setHttp1MaxSize(200));
        this.port = port;
    }

    /** Runs {@code exchange} with the client on this client's context. */
    public <T> Future<T> on(Function<HttpClient, Future<T>> exchange) {
        Promise<T> result = Promise.promise();
        context.runOnContext(v -> exchange.apply(client).onComplete(result));
        return result.future();
    }

    public Future<Reply> send(HttpMethod method, String uri) {
        return on(client -> client.request(method, port, "127.0.0.1", uri)
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), body.toString()))));
    }

    public Future<Reply> get(String uri) {
        return send(HttpMethod.GET, uri);
    }

    public static Buffer bytes(int size, long seed) {
        byte[] data = new byte[size];
        new java.util.Random(seed).nextBytes(data);
        return Buffer.buffer(data);
    }
}
