package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Least-busy through the proxy: equal backends share the load, overlapping requests too; slow or light ones less. */
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

    /**
     * Three equal backends, one event loop, and clients that always have two requests in flight at once (two
     * users clicking in step). Every backend is idle or busy alike, so each should get about a third.
     */
    @Test
    void leastBusyTiesAmongEqualBackendsShareTheLoadWhenTwoRequestsOverlap(Vertx vertx) {
        List<TestBackend> backends = List.of(slowBackend(vertx, "a", 25), slowBackend(vertx, "b", 25),
                slowBackend(vertx, "c", 25));
        Fulcrum fulcrum = Balancer.startOnOneEventLoop(vertx, Balancer.config(backends.toArray(TestBackend[]::new)));
        Http http = new Http(vertx, fulcrum.port());

        int rounds = 90;
        for (int round = 0; round < rounds; round++) {
            Future.all(http.get("/"), http.get("/")).await();
        }

        Map<String, Integer> served = new HashMap<>();
        backends.forEach(b -> served.put(b.name(), b.requests()));
        assertEquals(2 * rounds, served.values().stream().mapToInt(Integer::intValue).sum());
        for (TestBackend backend : backends) {
            // A fair share is 60 of 180; a rotation that favours some positions gives 30 / 60 / 90.
            assertTrue(backend.requests() >= 45 && backend.requests() <= 75,
                    "equal idle backends should share overlapping requests about evenly, got " + served);
        }
    }

    /** Weight 3 against weight 1, both equally slow, eight requests always in flight: about 3 to 1. */
    @Test
    void leastBusyWithWeightsSplitsConcurrentLoadByWeight(Vertx vertx) {
        TestBackend heavy = slowBackend(vertx, "heavy", 40);
        TestBackend light = slowBackend(vertx, "light", 40);
        JsonObject config = Balancer.config(heavy, light).put("servers", new JsonArray()
                .add(new JsonObject().put("url", heavy.url()).put("weight", 3))
                .add(new JsonObject().put("url", light.url()).put("weight", 1)));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(sequence(http, 20));
        }
        Future.all(clients).await();

        clients.forEach(client -> assertEquals(20, client.result()));
        int total = heavy.requests() + light.requests();
        assertEquals(160, total);
        double heavyShare = heavy.requests() / (double) total;
        assertTrue(heavyShare >= 0.62 && heavyShare <= 0.88,
                "weight 3 of 4 should carry about 75 %, got heavy=" + heavy.requests() + " light=" + light.requests());
        for (Backend backend : fulcrum.backends().all()) {
            Await.until(backend + " has nothing in flight", Duration.ofSeconds(5), () -> backend.inFlight() == 0);
        }
    }

    /** Sends {@code count} requests one after the other; completes with the number answered 200. */
    static Future<Integer> sequence(Http http, int count) {
        Future<Integer> chain = Future.succeededFuture(0);
        for (int i = 0; i < count; i++) {
            chain = chain.compose(ok -> http.get("/").map(reply -> reply.status() == 200 ? ok + 1 : ok));
        }
        return chain;
    }

    private static TestBackend slowBackend(Vertx vertx, String name, long millis) {
        return TestBackend.start(vertx, name, req -> vertx.setTimer(millis, t -> req.response().end(name)));
    }
}
