package dev.fulcrum.metrics;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
class RequestMetricsTest {

    @Test
    void eachBackendsCountersRiseByExactlyWhatItAnswered(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(a, b));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 40; i++) {
            assertEquals(200, http.get("/n" + i).await().status());
        }
        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        System.out.println(scrape.text());
        for (TestBackend backend : new TestBackend[] {a, b}) {
            assertEquals(backend.requests(), scrape.count("fulcrum_requests_total", "backend", backend.url(), "code", "200"));
            assertEquals(backend.requests(), scrape.count("fulcrum_request_duration_seconds_count", "backend", backend.url()));
        }
        assertEquals(40, a.requests() + b.requests());
    }
}
