package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class BalancingTest {

    @Test
    void equalBackendsShareTheLoad(Vertx vertx) {
        List<TestBackend> backends = List.of(
                TestBackend.start(vertx, "a"), TestBackend.start(vertx, "b"), TestBackend.start(vertx, "c"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backends.toArray(TestBackend[]::new)));
        Http http = new Http(vertx, fulcrum.port());

        for (int i = 0; i < 300; i++) {
            assertEquals(200, http.get("/").await().status());
        }

        for (TestBackend backend : backends) {
            assertTrue(backend.requests() >= 60, () -> backend.name() + " got " + backend.requests() + " of 300");
        }
    }

    @Test
    void slowBackendGetsFewerRequests(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("slow")));
        TestBackend fastA = TestBackend.start(vertx, "fast-a");
        TestBackend fastB = TestBackend.start(vertx, "fast-b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow, fastA, fastB));
        Http http = new Http(vertx, fulcrum.port());

        // 60 requests from 12 concurrent clients. (A burst in which all 60 arrive before any backend has
        // answered cannot be balanced by in-flight counts: every count is equal until the first completion.)
        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 12; c++) {
            clients.add(sequence(http, 5));
        }
        Future.all(clients).await();

        clients.forEach(client -> assertEquals(5, client.result()));
        assertEquals(60, slow.requests() + fastA.requests() + fastB.requests());
        assertTrue(slow.requests() <= 10, () -> "the slow backend got " + slow.requests() + " of 60");
    }

    /** Sends {@code count} requests one after the other; completes with the number answered 200. */
    static Future<Integer> sequence(Http http, int count) {
        Future<Integer> chain = Future.succeededFuture(0);
        for (int i = 0; i < count; i++) {
            chain = chain.compose(ok -> http.get("/").map(reply -> reply.status() == 200 ? ok + 1 : ok));
        }
        return chain;
    }
}
