package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a backend sees of the client and its request: X-Forwarded-* and Forwarded, the Host, no hop-by-hop header. */
@ExtendWith(VertxExtension.class)
class ForwardingTest {

    private final AtomicReference<MultiMap> seen = new AtomicReference<>();

    private Fulcrum start(Vertx vertx, JsonObject extra) {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response()
                    .putHeader("connection", "x-backend-hop")
                    .putHeader("x-backend-hop", "hop")
                    .putHeader("keep-alive", "timeout=5")
                    .putHeader("proxy-authenticate", "Basic")
                    .putHeader("trailer", "x-checksum")
                    .putHeader("x-end-to-end", "kept")
                    .end("ok");
        });
        JsonObject config = Balancer.config(backend);
        extra.forEach(field -> config.put(field.getKey(), field.getValue()));
        return Balancer.start(vertx, config);
    }

    private HttpClientResponse send(Vertx vertx, Fulcrum fulcrum) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(fulcrum.port())
                .setURI("/path")
                .putHeader("host", "shop.example:8443")
                .putHeader("x-forwarded-for", "203.0.113.7")
                .putHeader("forwarded", "for=203.0.113.7")
                .putHeader("connection", "keep-alive, x-client-hop")
                .putHeader("x-client-hop", "secret")
                .putHeader("proxy-connection", "keep-alive")
                .putHeader("proxy-authorization", "Basic abc")
                .putHeader("te", "trailers")
                .putHeader("x-repeated", List.of("one", "two"));
        return new Http(vertx, fulcrum.port()).on(client -> client.request(request)
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(resp))).await();
    }

    @Test
    void backendSeesXForwardedHeadersAndTheClientsHostByDefault(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject());

        send(vertx, fulcrum);

        MultiMap headers = seen.get();
        assertEquals("shop.example:8443", headers.get("host"));
        assertEquals("203.0.113.7, 127.0.0.1", headers.get("x-forwarded-for"));
        assertEquals("http", headers.get("x-forwarded-proto"));
        assertEquals("shop.example:8443", headers.get("x-forwarded-host"));
        assertEquals(Integer.toString(fulcrum.port()), headers.get("x-forwarded-port"));
        assertEquals("for=203.0.113.7", headers.get("forwarded"), "a client's Forwarded passes untouched in this mode");
    }

    @Test
    void forwardedModeAppendsAnRfc7239Element(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject().put("forwardedHeaders", "forwarded"));

        send(vertx, fulcrum);

        MultiMap headers = seen.get();
        assertEquals("for=203.0.113.7, for=127.0.0.1;proto=http;host=\"shop.example:8443\"", headers.get("forwarded"));
        assertEquals("203.0.113.7", headers.get("x-forwarded-for"), "untouched in this mode");
        assertNull(headers.get("x-forwarded-proto"));
    }

    @Test
    void bothModeSendsBoth(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject().put("forwardedHeaders", "both"));

        send(vertx, fulcrum);

        assertEquals("203.0.113.7, 127.0.0.1", seen.get().get("x-forwarded-for"));
        assertEquals("for=203.0.113.7, for=127.0.0.1;proto=http;host=\"shop.example:8443\"", seen.get().get("forwarded"));
    }

    @Test
    void noneModeAddsNothing(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject().put("forwardedHeaders", "none"));

        send(vertx, fulcrum);

        assertEquals("203.0.113.7", seen.get().get("x-forwarded-for"));
        assertNull(seen.get().get("x-forwarded-proto"));
        assertNull(seen.get().get("x-forwarded-port"));
    }

    @Test
    void withoutPreserveHostTheBackendSeesItsOwnAddress(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject().put("preserveHost", false));

        send(vertx, fulcrum);

        String backendAddress = fulcrum.backends().all().get(0).url().substring("http://".length());
        assertEquals(backendAddress, seen.get().get("host"));
        assertEquals("shop.example:8443", seen.get().get("x-forwarded-host"));
    }

    @Test
    void hopByHopHeadersStopAtTheProxyInBothDirections(Vertx vertx) {
        Fulcrum fulcrum = start(vertx, new JsonObject());

        HttpClientResponse response = send(vertx, fulcrum);

        MultiMap request = seen.get();
        for (String hop : List.of("x-client-hop", "proxy-connection", "proxy-authorization", "te", "keep-alive")) {
            assertFalse(request.contains(hop), hop + " reached the backend");
        }
        assertEquals(List.of("one", "two"), request.getAll("x-repeated"), "end-to-end headers keep their order");
        for (String hop : List.of("x-backend-hop", "keep-alive", "proxy-authenticate", "trailer")) {
            assertFalse(response.headers().contains(hop), hop + " reached the client");
        }
        assertEquals("kept", response.getHeader("x-end-to-end"));
    }

    /**
     * README: X-Forwarded-Proto, -Host and -Port are set by Fulcrum, replacing what the client sent. A client
     * that sends no usable Host (HTTP/1.0 without one, HTTP/1.1 without one, or a malformed one) must not get
     * its own X-Forwarded-Host through to the backend.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.0 without Host", "HTTP/1.1 without Host", "HTTP/1.1 with a malformed Host"})
    void spoofedXForwardedHostNeverReachesTheBackend(String shape, Vertx vertx) {
        String head = switch (shape) {
            case "HTTP/1.0 without Host" -> "GET /r HTTP/1.0\r\n";
            case "HTTP/1.1 without Host" -> "GET /r HTTP/1.1\r\nConnection: close\r\n";
            default -> "GET /r HTTP/1.1\r\nHost: shop.example:99999\r\nConnection: close\r\n";
        };
        TestBackend backend = recording(vertx, seen);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), head
                + "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 1\r\n\r\n");

        if (response.status() == 200) {
            MultiMap headers = seen.get();
            assertEquals("http", headers.get("x-forwarded-proto"));
            assertEquals(Integer.toString(fulcrum.port()), headers.get("x-forwarded-port"));
            assertFalse(headers.getAll("x-forwarded-host").contains("evil.example"),
                    shape + ": the client's X-Forwarded-Host reached the backend: " + headers.getAll("x-forwarded-host"));
        } else {
            assertEquals(400, response.status(), shape + " may be refused, but only as a bad request");
        }
    }

    /** Connection-listed headers split over several Connection lines, in any case, stop in both directions. */
    @Test
    void connectionListedHeadersOverSeveralLinesAndCasesStopInBothDirections(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response()
                    .putHeader("Connection", List.<String>of("X-Hop-One", "x-HOP-two , keep-alive"))
                    .putHeader("x-hop-one", "1")
                    .putHeader("X-Hop-Two", "2")
                    .putHeader("X-Kept", "yes")
                    .end("ok");
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: shop.example\r\n"
                + "Connection: X-Req-One\r\nconnection: x-REQ-two,  close\r\n"
                + "x-req-one: 1\r\nX-Req-Two: 2\r\nX-Req-Kept: yes\r\n\r\n");

        assertEquals(200, response.status());
        MultiMap request = seen.get();
        assertFalse(request.contains("x-req-one"), "x-req-one reached the backend");
        assertFalse(request.contains("x-req-two"), "x-req-two reached the backend");
        assertEquals("yes", request.get("x-req-kept"));
        assertEquals(null, response.header("x-hop-one"));
        assertEquals(null, response.header("x-hop-two"));
        assertEquals("yes", response.header("x-kept"));
    }

    private static TestBackend recording(Vertx vertx, AtomicReference<MultiMap> seen) {
        return TestBackend.start(vertx, "rec", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response().end("ok");
        });
    }
}
