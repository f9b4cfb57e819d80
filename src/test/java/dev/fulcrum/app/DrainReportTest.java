package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a drain reports: requests (WebSockets too) that finish before shutdownTimeout count as drained, those cut
 * at it as cut off, and a drain with nothing in flight ends at once.
 */
@ExtendWith(VertxExtension.class)
class DrainReportTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void shutdownWithNoHealthyBackendCompletesAtOnce(Vertx vertx) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(503);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(503, http.get("/").await().status());
        assertEquals(503, new Http(vertx, fulcrum.adminPort()).get("/health/ready").await().status());

        long started = System.nanoTime();
        assertEquals(new Drained(0, 0), fulcrum.shutdown().await());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2));
        assertTrue(Ports.refuses(fulcrum.port()));
    }

    /**
     * One request ends within shutdownTimeout, one never would: the first is delivered, the second cut off at the
     * timeout, and the drain reports one of each. README: the process exits "logging how many requests it drained".
     */
    @Test
    void drainReportsTheRequestCutOffAtShutdownTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            if (req.path().equals("/quick")) {
                vertx.setTimer(200, t -> req.response().end("quick"));
            } // "/never" is never answered
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownTimeout", "600ms"));
        Future<Http.Reply> quick = new Http(vertx, fulcrum.port()).get("/quick");
        Future<Http.Reply> never = new Http(vertx, fulcrum.port()).get("/never");
        Await.until("both requests reached the backend", WAIT, () -> backend.requests() == 2);

        long started = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertEquals(new Http.Reply(200, "quick"), quick.await());
        assertTrue(never.transform(done -> Future.succeededFuture(done.failed())).await(), "the endless request was cut off");
        assertTrue(millis >= 500 && millis < 3_000, "shutdown took " + millis + " ms");
        assertEquals(new Drained(1, 1), drained);
    }
}
