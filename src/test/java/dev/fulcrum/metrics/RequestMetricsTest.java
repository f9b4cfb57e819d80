package dev.fulcrum.metrics;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-backend request series over real sockets: exact counts, the in-flight gauge, and Fulcrum's own answers. */
@ExtendWith(VertxExtension.class)
class RequestMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void eachBackendsCountersRiseByExactlyWhatItAnswered(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b", req -> req.response().setStatusCode(req.path().equals("/missing") ? 404 : 200).end());
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(a, b));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 40; i++) {
            http.get("/n" + i).await();
        }
        int missing = 0;
        for (int i = 0; i < 10; i++) {
            missing += http.get("/missing").await().status() == 404 ? 1 : 0;
        }

        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(50, a.requests() + b.requests());
        assertEquals(a.requests(), scrape.count("fulcrum_requests_total", "pool", "default", "backend", a.url(), "code", "200"));
        assertEquals(b.requests() - missing, scrape.count("fulcrum_requests_total", "pool", "default", "backend", b.url(), "code", "200"));
        assertEquals(missing, scrape.count("fulcrum_requests_total", "pool", "default", "backend", b.url(), "code", "404"));
        for (TestBackend backend : List.of(a, b)) {
            assertEquals(backend.requests(), scrape.count("fulcrum_request_duration_seconds_count", "pool", "default", "backend", backend.url()));
            assertEquals(backend.requests(), scrape.count("fulcrum_request_duration_seconds_bucket", "pool", "default", "backend", backend.url(), "le", "+Inf"));
        }
        assertEquals(0, scrape.count("fulcrum_requests_total", "pool", "default", "backend", "none", "code", "503"));
    }

    @Test
    void inFlightGaugeEqualsTheRequestsHeldAtTheBackendThenZero(Vertx vertx) {
        List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
        TestBackend holding = TestBackend.start(vertx, "holding", held::add);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(holding));
        Http http = new Http(vertx, fulcrum.port());
        List<Future<Http.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            replies.add(http.get("/held"));
        }
        Await.until("5 requests wait at the backend", WAIT, () -> held.size() == 5);
        assertEquals(5, Scrape.of(vertx, fulcrum.adminPort()).count("fulcrum_backend_in_flight", "pool", "default", "backend", holding.url()));

        held.forEach(request -> vertx.runOnContext(v -> request.response().end("done")));
        replies.forEach(reply -> reply.await());
        Scrape after = Await.value("the slots are given back", WAIT, () -> Scrape.of(vertx, fulcrum.adminPort()),
                scrape -> scrape.count("fulcrum_backend_in_flight", "pool", "default", "backend", holding.url()) == 0);
        assertEquals(5, after.count("fulcrum_requests_total", "pool", "default", "backend", holding.url(), "code", "200"));
    }

    @Test
    void fulcrumsOwnAnswersCarryBackendNone(Vertx vertx) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(500);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 3; i++) {
            assertEquals(503, http.get("/").await().status());
        }
        assertEquals(400, RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status());
        String hugeHeader = "x".repeat(20_000);
        assertEquals(431, RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + hugeHeader + "\r\n\r\n").status());

        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(3, scrape.count("fulcrum_requests_total", "pool", "default", "backend", "none", "code", "503"));
        // Refused before any route or pool was chosen.
        assertEquals(1, scrape.count("fulcrum_requests_total", "pool", "none", "backend", "none", "code", "400"));
        assertEquals(1, scrape.count("fulcrum_requests_total", "pool", "none", "backend", "none", "code", "431"));
        assertEquals(3, scrape.count("fulcrum_request_duration_seconds_count", "pool", "default", "backend", "none"));
        assertEquals(2, scrape.count("fulcrum_request_duration_seconds_count", "pool", "none", "backend", "none"));
        assertEquals(0, scrape.count("fulcrum_requests_total", "pool", "default", "backend", down.url(), "code", "503"));
    }

    @Test
    void aFailedBackendsGatewayErrorAndTheRetryThatLeftItAreItsOwn(Vertx vertx) {
        TestBackend dropping = TestBackend.start(vertx, "dropping", req -> req.connection().close());
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(dropping).put("consecutiveFailures", 100));
        Http http = new Http(vertx, fulcrum.port());

        assertEquals(502, http.get("/").await().status());

        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(1, scrape.count("fulcrum_requests_total", "pool", "default", "backend", dropping.url(), "code", "502"));
        // The one backend is tried again (its connection broke, and nothing else is healthy): one retry left it.
        assertEquals(1, scrape.count("fulcrum_retries_total", "pool", "default", "backend", dropping.url()));
        assertEquals(0, scrape.count("fulcrum_requests_total", "pool", "default", "backend", "none", "code", "502"));
    }

    @Test
    void upFollowsTheChecksAndEachProbeIsCounted(Vertx vertx) {
        TestBackend flaky = TestBackend.start(vertx, "flaky");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(flaky)));
        int admin = fulcrum.adminPort();
        assertEquals(1, Scrape.of(vertx, admin).count("fulcrum_backend_up", "pool", "default", "backend", flaky.url()));

        flaky.probeStatus(500);
        Scrape down = Await.value("the backend is reported down", WAIT, () -> Scrape.of(vertx, admin),
                scrape -> scrape.count("fulcrum_backend_up", "pool", "default", "backend", flaky.url()) == 0);
        assertEquals(true, down.count("fulcrum_backend_health_checks_total", "pool", "default", "backend", flaky.url(), "result", "failure") >= 1);

        flaky.probeStatus(200);
        Scrape up = Await.value("the backend is reported up again", WAIT, () -> Scrape.of(vertx, admin),
                scrape -> scrape.count("fulcrum_backend_up", "pool", "default", "backend", flaky.url()) == 1);
        double probes = up.count("fulcrum_backend_health_checks_total", "pool", "default", "backend", flaky.url(), "result", "success")
                + up.count("fulcrum_backend_health_checks_total", "pool", "default", "backend", flaky.url(), "result", "failure");
        int made = flaky.probes();
        // A probe is counted once its result is in: the ones still on their way (one per round, on a loaded machine
        // a second one timed out and resent) are made but not counted yet.
        assertTrue(probes <= made && probes >= made - 2, probes + " counted, " + made + " made");
    }

    @Test
    void aRefusingBackendsPassiveEjectionIsCounted(Vertx vertx) {
        TestBackend healthy = TestBackend.start(vertx, "healthy");
        TestBackend dying = TestBackend.start(vertx, "dying");
        // Round robin, so that the dying backend is certain to be asked within the first two requests.
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(healthy, dying).put("algorithm", "round-robin"));
        dying.stop();
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 4; i++) {
            assertEquals(200, http.get("/").await().status());
        }
        // The proxy reports the refusal to the health checker, which ejects: counted a moment after the response.
        Scrape scrape = Await.value("the ejection is counted", WAIT, () -> Scrape.of(vertx, fulcrum.adminPort()),
                counted -> counted.count("fulcrum_backend_ejections_total", "pool", "default", "backend", dying.url()) > 0);
        assertEquals(1, scrape.count("fulcrum_backend_ejections_total", "pool", "default", "backend", dying.url()));
        // Each request that met the refusal before the proxies heard of the ejection was retried: at least the first.
        double retries = scrape.count("fulcrum_retries_total", "pool", "default", "backend", dying.url());
        assertTrue(retries >= 1 && retries <= 4, retries + " retries");
        assertEquals(0, scrape.count("fulcrum_backend_ejections_total", "pool", "default", "backend", healthy.url()));
    }
}
