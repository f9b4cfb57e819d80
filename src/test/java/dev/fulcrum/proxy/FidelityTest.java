package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class FidelityTest {

    static final Buffer REQUEST_BODY = Http.bytes(1024 * 1024, 1);
    static final Buffer RESPONSE_BODY = Http.bytes(10 * 1024 * 1024, 2);

    record Seen(HttpMethod method, String uri, String host, MultiMap headers, String bodySha) {
    }

    @Test
    void methodPathQueryHeadersAndBodiesArriveIntact(Vertx vertx) {
        AtomicReference<Seen> seen = new AtomicReference<>();
        TestBackend backend = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> {
            seen.set(new Seen(req.method(), req.uri(), req.headers().get("host"),
                    MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), sha256(body)));
            req.response().putHeader("x-backend", (Iterable<String>) List.of("one", "two")).end(RESPONSE_BODY);
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());

        record Received(HttpClientResponse response, Buffer body) {
        }
        Received received = http.on(client -> client.request(new RequestOptions()
                        .setMethod(HttpMethod.PUT).setPort(fulcrum.port()).setHost("127.0.0.1")
                        .setURI("/a/b%20c?x=1&y=two&x=3")
                        .putHeader("host", "shop.example:8443")
                        .putHeader("x-custom", List.of("first", "second"))
                        .putHeader("content-type", "application/octet-stream"))
                .compose(req -> req.send(REQUEST_BODY))
                .compose(resp -> resp.body().map(body -> new Received(resp, body))))
                .await();
        HttpClientResponse response = received.response();

        Seen request = seen.get();
        assertEquals(HttpMethod.PUT, request.method());
        assertEquals("/a/b%20c?x=1&y=two&x=3", request.uri());
        assertEquals("shop.example:8443", request.host());
        assertEquals(List.of("first", "second"), request.headers().getAll("x-custom"));
        assertEquals("application/octet-stream", request.headers().get("content-type"));
        assertEquals(sha256(REQUEST_BODY), request.bodySha());
        assertEquals(200, response.statusCode());
        assertEquals(List.of("one", "two"), response.headers().getAll("x-backend"));
        assertEquals(RESPONSE_BODY.length(), received.body().length());
        assertEquals(sha256(RESPONSE_BODY), sha256(received.body()));
    }

    @Test
    void responseCarriesTheProxysOwnDateAndTheBackendsOtherHeaders(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "dated", req -> req.response()
                .putHeader("date", "Sun, 06 Nov 1994 08:49:37 GMT")
                .putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store")
                .end("{}"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        record Received(MultiMap headers, String body) {
        }
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Received received = new Http(vertx, fulcrum.port()).on(client -> client.request(HttpMethod.GET, "/")
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(body -> new Received(resp.headers(), body.toString()))))
                .await();

        assertEquals(1, received.headers().getAll("date").size(), received.headers()::toString);
        String date = received.headers().get("date");
        assertTrue(date.matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), date);
        Instant stamped = DateTimeFormatter.RFC_1123_DATE_TIME.parse(date, Instant::from);
        assertTrue(!stamped.isBefore(before) && !stamped.isAfter(Instant.now()), date + " is not now");
        assertEquals(List.of("application/json"), received.headers().getAll("content-type"));
        assertEquals("no-store", received.headers().get("cache-control"));
        assertEquals("2", received.headers().get("content-length"));
        assertEquals("{}", received.body());
    }

    @Test
    void serverUrlPathPrefixesTheForwardedPath(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "api", req -> req.response().end(req.uri()));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.url() + "/api"));

        assertEquals("/api/users?id=7", new Http(vertx, fulcrum.port()).get("/users?id=7").await().body());
    }

    @Test
    void responseStreamsInsteadOfBeingBufferedWhole(Vertx vertx) {
        Promise<Void> clientSawFirstChunk = Promise.promise();
        TestBackend backend = TestBackend.start(vertx, "stream", req -> {
            req.response().setChunked(true).write("first;");
            // The rest is sent only once the client has the first part: a buffering proxy would never deliver it.
            clientSawFirstChunk.future().onSuccess(v -> req.response().end("rest"));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());

        Buffer whole = Buffer.buffer();
        http.on(client -> client.request(HttpMethod.GET, "/")
                .compose(req -> req.send())
                .compose(resp -> {
                    resp.handler(chunk -> {
                        whole.appendBuffer(chunk);
                        if (whole.toString().startsWith("first;")) {
                            clientSawFirstChunk.tryComplete();
                        }
                    });
                    return resp.end();
                })).await();

        assertTrue(clientSawFirstChunk.future().isComplete());
        assertEquals("first;rest", whole.toString());
    }

    static String sha256(Buffer data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data.getBytes()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
