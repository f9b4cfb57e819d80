package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
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

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
