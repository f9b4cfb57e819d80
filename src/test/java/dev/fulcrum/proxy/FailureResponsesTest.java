package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fulcrum's own error answers: short, saying which side failed, and leaving the client's connection usable. */
@ExtendWith(VertxExtension.class)
class FailureResponsesTest {

    @Test
    void noHealthyBackendAnswers503AtOnce(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(a, b));
        Http http = new Http(vertx, fulcrum.port());

        for (Backend backend : fulcrum.backends().all()) {
            HealthEvent.announce(vertx.eventBus(), backend, HealthState.UNHEALTHY, "test");
        }
        Await.until("every proxy sees no healthy backend", Duration.ofSeconds(2),
                () -> http.get("/").await().status() == 503 && http.get("/").await().status() == 503);
        Http.Reply reply = http.get("/").await();
        assertEquals(503, reply.status());
        assertEquals("no healthy backend available\n", reply.body());
        assertEquals(0, a.requests() + b.requests());

        HealthEvent.announce(vertx.eventBus(), fulcrum.backends().all().get(1), HealthState.HEALTHY, "test");
        Await.until("traffic resumes", Duration.ofSeconds(2), () -> http.get("/").await().status() == 200);
        assertEquals("b", http.get("/").await().body());
    }

    @Test
    void backendThatStartsRefusingAnswers502(Vertx vertx) {
        TestBackend closing = TestBackend.start(vertx, "closing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(closing));
        closing.stop();

        List<String> reply = new Http(vertx, fulcrum.port()).on(client -> client.request(HttpMethod.GET, "/")
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(body ->
                        List.of(Integer.toString(resp.statusCode()), resp.getHeader("content-type"), body.toString()))))
                .await();

        assertEquals(List.of("502", "text/plain;charset=utf-8", "backend refused the connection\n"), reply);
    }

    @Test
    void noHealthyBackend503LeavesTheConnectionUsableEvenAfterABody(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "a");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());
        HealthEvent.announce(vertx.eventBus(), fulcrum.backends().all().get(0), HealthState.UNHEALTHY, "test");
        Await.until("every proxy sees no healthy backend", Duration.ofSeconds(5),
                () -> http.get("/").await().status() == 503 && http.get("/").await().status() == 503);

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                        + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                        + "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3);

        assertEquals(List.of(503, 503, 503), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertTrue(responses.stream().allMatch(r -> r.body().equals("no healthy backend available\n")), responses::toString);
        assertEquals("", responses.get(2).trailing());
        assertEquals(0, backend.requests());
    }

    @Test
    void refusedBackendIs502AndTheConnectionStaysUsable(Vertx vertx) {
        TestBackend closing = TestBackend.start(vertx, "closing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(closing));
        closing.stop();

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2);

        assertEquals(2, responses.size(), responses::toString);
        assertEquals(502, responses.get(0).status());
        assertEquals("backend refused the connection\n", responses.get(0).body());
        assertTrue(responses.get(1).status() == 502 || responses.get(1).status() == 503, responses::toString);
        InFlight.awaitNone(fulcrum, "after refusals");
    }

    @Test
    void timeoutIs504AndTheConnectionStaysUsable(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "hangs", req -> {
            if (!req.path().equals("/hang")) {
                req.response().end("ok");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "300ms"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2);

        assertEquals(List.of(504, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("backend did not answer in time\n", responses.get(0).body());
        assertEquals("ok", responses.get(1).body());
        InFlight.awaitNone(fulcrum, "after a 504");
    }

    /** README, Security and limits: "Malformed backend responses (garbage, ...) become 502 backend sent a malformed response". */
    @Test
    void garbageFromTheBackendIs502WithTheMalformedMessage(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HELLO\r\n\r\n", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertEquals(502, response.status(), response::toString);
        assertEquals("backend sent a malformed response\n", response.body());
        InFlight.awaitNone(fulcrum, "after a garbage response");
    }

    /** A backend slower than requestTimeout to send headers: 504 by design, in about requestTimeout. */
    @Test
    void backendSlowerThanRequestTimeoutIs504(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slower", req -> vertx.setTimer(1500, id -> req.response().end("late")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "400ms").put("clientIdleTimeout", "5s").put("consecutiveFailures", 100));

        long start = System.nanoTime();
        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        long took = (System.nanoTime() - start) / 1_000_000;

        assertEquals(504, response.status(), response::toString);
        assertTrue(took < 1_400, "took " + took + " ms");
        Await.until("nothing in flight", Duration.ofSeconds(5), () -> fulcrum.backends().all().get(0).inFlight() == 0);
    }
}
