package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pipelined requests are answered in order, each with its own body, also after error responses with bodies. */
@ExtendWith(VertxExtension.class)
class PipelinedRequestsTest {

    private static final String CLOSE = "Connection: close\r\n";

    @Test
    void pipelinedRequestsAreAnsweredInOrder(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "echo", req -> {
            long delay = req.getParam("ms") == null ? 0 : Long.parseLong(req.getParam("ms"));
            if (delay == 0) {
                req.response().end(req.path());
            } else {
                vertx.setTimer(delay, t -> req.response().end(req.path()));
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        StringBuilder requests = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int ms = i % 3 == 0 ? 200 : 0;
            requests.append("GET /r").append(i).append("?ms=").append(ms).append(" HTTP/1.1\r\nHost: x\r\n")
                    .append(i == 7 ? CLOSE : "").append("\r\n");
            expected.add("/r" + i);
        }

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests.toString(), 8);

        assertEquals(expected, responses.stream().map(RawHttp.Response::body).toList(), responses::toString);
        assertTrue(responses.stream().allMatch(r -> r.status() == 200));
        assertTrue(responses.get(7).closed());
        InFlight.awaitNone(fulcrum, "after pipelined requests");
    }

    /**
     * Pipelined requests with bodies of every framing (Content-Length, chunked, empty of both kinds), written in
     * one go: each reaches the backend with its own body and the answers come back in order.
     */
    @Test
    void pipelinedRequestsWithBodiesAreAnsweredInOrderWithTheirOwnBodies(Vertx vertx) {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> {
            String line = req.method() + " " + req.path() + " cl=" + req.getHeader("content-length")
                    + " te=" + req.getHeader("transfer-encoding") + " body=" + body.toString(StandardCharsets.ISO_8859_1);
            seen.add(line);
            req.response().end(line);
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        String requests = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                + "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /e HTTP/1.1\r\nHost: x\r\n\r\n"
                + "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n" + CLOSE + "\r\nxyz";

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests, 6);

        List<String> bodies = responses.stream().map(RawHttp.Response::body).toList();
        assertEquals(6, responses.size(), responses::toString);
        assertTrue(bodies.get(0).startsWith("POST /a cl=5 "), bodies::toString);
        assertTrue(bodies.get(0).endsWith("body=hello"), bodies::toString);
        assertTrue(bodies.get(1).startsWith("POST /b "), bodies::toString);
        assertTrue(bodies.get(1).endsWith("body=abcde"), bodies::toString);
        assertEquals("POST /c cl=0 te=null body=", bodies.get(2), "a Content-Length: 0 POST keeps its length");
        assertTrue(bodies.get(3).startsWith("POST /d ") && bodies.get(3).endsWith("body="), bodies::toString);
        assertEquals("GET /e cl=null te=null body=", bodies.get(4));
        assertEquals("PUT /f cl=3 te=null body=xyz", bodies.get(5));
        assertTrue(responses.get(5).closed());
        InFlight.awaitNone(fulcrum, "after pipelined uploads");
    }

    /**
     * With maxRequestBody set, chunked bodies are read up to the limit and forwarded with their length; bodyless
     * requests and empty bodies of both framings, pipelined, still reach the backend right and in order.
     */
    @Test
    void withMaxRequestBodyPipelinedBodylessAndEmptyRequestsPassIntact(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> req.response().end(
                req.method() + " " + req.path() + " cl=" + req.getHeader("content-length")
                        + " te=" + req.getHeader("transfer-encoding") + " body=" + body)));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("maxRequestBody", "1KiB"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                + "HEAD /e HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 5);

        assertEquals(List.of(200, 200, 200, 200, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("GET /a cl=null te=null body=", "POST /b cl=0 te=null body=", "POST /c cl=0 te=null body=",
                "POST /d cl=2 te=null body=hi", ""), responses.stream().map(RawHttp.Response::body).toList());
        InFlight.awaitNone(fulcrum, "after requests under maxRequestBody");
    }

    /** A 4xx or 5xx with a body from the backend leaves the client's keep-alive connection usable. */
    @Test
    void keepAliveConnectionIsReusedAfterBackendErrorsWithBodies(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "errors", req -> req.body().onSuccess(body -> {
            switch (req.path()) {
                case "/404" -> req.response().setStatusCode(404).end("not here");
                case "/500" -> req.response().setStatusCode(500).setChunked(true).end("broken inside");
                case "/503" -> req.response().setStatusCode(503).putHeader("retry-after", "1").end("busy");
                default -> req.response().end("fine " + body.length());
            }
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /404 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /500 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /503 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" + CLOSE + "\r\nwxyz", 4);

        assertEquals(List.of(404, 500, 503, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("not here", "broken inside", "busy", "fine 4"), responses.stream().map(RawHttp.Response::body).toList());
        assertEquals("1", responses.get(2).header("retry-after"));
        InFlight.awaitNone(fulcrum, "after backend errors");
    }
}
