package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Header sections near the limits cross intact: a 16 KiB request head, 12 KiB of response headers (probes too). */
@ExtendWith(VertxExtension.class)
class LargeHeadersTest {

    private static final String CLOSE = "Connection: close\r\n";

    @Test
    void manyHeadersNearMaxHeaderSizeArriveIntactBothWays(Vertx vertx) {
        HttpServer roomy = vertx.createHttpServer(new HttpServerOptions().setMaxHeaderSize(64 * 1024))
                .requestHandler(req -> {
                    if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                        req.response().end("ok");
                        return;
                    }
                    List<String> seen = new ArrayList<>();
                    req.headers().forEach(h -> {
                        if (h.getKey().toLowerCase(Locale.ROOT).startsWith("x-h-")) {
                            seen.add(h.getKey() + ": " + h.getValue());
                        }
                    });
                    HttpServerResponse response = req.response();
                    for (int i = 0; i < 150; i++) {
                        response.putHeader(String.format("X-R-%03d", i), "r".repeat(70));
                    }
                    response.end(seen.size() + " " + Sha256.of(String.join("\n", seen)));
                });
        roomy.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + roomy.actualPort()));
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n" + CLOSE);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String line = String.format("X-H-%03d: %s", i, Integer.toHexString(i).repeat(40).substring(0, 40));
            sent.add(line);
            head.append(line).append("\r\n");
        }
        assertTrue(head.length() > 15_000 && head.length() < 16 * 1024 - 200, "near 16 KiB: " + head.length());

        RawHttp.Response response = RawHttp.send(fulcrum.port(), head + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(sent.size() + " " + Sha256.of(String.join("\n", sent)), response.body());
        assertEquals("r".repeat(70), response.header("x-r-149"));
        assertEquals(150, response.headers().keySet().stream().filter(h -> h.startsWith("x-r-")).count());
    }

    /**
     * The proxy reads backend responses with up to 64 KiB of headers (BackendClients), so a backend whose
     * responses carry 12 KiB of headers is served fine; its health probe must not fail on the same response.
     */
    @Test
    void backendWhoseResponsesCarryMoreThan8KiBOfHeadersIsHealthyAndServed(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "cookies", req -> bigHeaders(req.response()).end("fine"));
        backend.probeHandler(req -> bigHeaders(req.response()).end("ok"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals("fine", response.body());
        assertEquals(HealthState.HEALTHY, fulcrum.backends().all().get(0).health(), fulcrum.backends().all().get(0).lastFailure());
    }

    private static HttpServerResponse bigHeaders(HttpServerResponse response) {
        for (int i = 0; i < 150; i++) {
            response.putHeader(String.format("X-R-%03d", i), "r".repeat(70));
        }
        return response;
    }
}
