package dev.fulcrum.health;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends dying, flapping or silent under traffic: the healthy take it (a silent one's requests 504); none, a 503. */
@ExtendWith(VertxExtension.class)
class FailoverTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void firstRequestRightAfterStartSucceeds(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "ready");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(200, reply.status());
        assertEquals("ready", reply.body());
    }

    @Test
    void killingABackendUnderLoadFailsNoClientRequest(Vertx vertx) {
        List<TestBackend> backends = List.of(
                TestBackend.start(vertx, "a"), TestBackend.start(vertx, "b"), TestBackend.start(vertx, "victim"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(backends.toArray(TestBackend[]::new))));
        Backend victim = fulcrum.backends().find("default", backends.get(2).url()).orElseThrow();
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 4);

        Await.until("the victim serves traffic", WAIT, () -> backends.get(2).requests() > 50);
        backends.get(2).stop();
        int servedAfterKill = backends.get(0).requests() + backends.get(1).requests();
        Await.until("traffic flows on without it", WAIT,
                () -> backends.get(0).requests() + backends.get(1).requests() > servedAfterKill + 200);

        traffic.stopAndAssertAllOk();
        Await.until("the victim has nothing in flight", WAIT, () -> victim.inFlight() == 0);
        assertEquals(HealthState.UNHEALTHY, victim.health());
    }

    @Test
    void allBackendsDownAnswers503AtOnceThenRecovers(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(a, b)));
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());
        int portOfA = a.port();

        a.stop();
        b.stop();
        Await.until("both are out", WAIT,
                () -> fulcrum.backends().all().stream().allMatch(x -> x.health() == HealthState.UNHEALTHY));
        // The proxies hear of the change a moment after the backends' states change (a health event).
        Await.until("the proxies have no backend left", WAIT, () -> http.get("/").await().status() == 503);
        for (int i = 0; i < 20; i++) {
            long started = System.nanoTime();
            Http.Reply reply = http.get("/").await();
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(503, reply.status());
            assertTrue(millis < 100, "503 took " + millis + " ms");
        }
        assertEquals(503, admin.get("/health/ready").await().status());

        TestBackend.startOn(vertx, portOfA, "a-again", req -> req.response().end("a-again"));
        Await.until("traffic resumes", WAIT, () -> http.get("/").await().status() == 200);
        assertEquals("a-again", http.get("/").await().body());
        assertEquals(200, admin.get("/health/ready").await().status());
    }

    @Test
    void backendThatNeverAnswersGets504WhileOthersFlow(Vertx vertx) {
        TestBackend silent = TestBackend.start(vertx, "silent", req -> { });
        TestBackend fast = TestBackend.start(vertx, "fast");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(silent, fast).put("requestTimeout", "300ms"));
        Http http = new Http(vertx, fulcrum.port());
        List<Long> timeoutMillis = new CopyOnWriteArrayList<>();
        List<String> timeoutBodies = new CopyOnWriteArrayList<>();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();

        List<Future<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            clients.add(timedLoop(http, stop, statuses, timeoutMillis, timeoutBodies));
        }
        Await.until("a request has timed out on the silent backend", WAIT, () -> !timeoutMillis.isEmpty());
        stop.set(true);
        Future.all(clients).await();

        assertEquals("backend did not answer in time\n", timeoutBodies.get(0));
        assertTrue(timeoutMillis.get(0) >= 300, "504 after " + timeoutMillis.get(0) + " ms");
        assertTrue(statuses.getOrDefault(200, 0) > 10, "requests flowed meanwhile: " + statuses);
        assertEquals(Set.of(200, 504), statuses.keySet());
    }

    @Test
    void flappingBackendCausesNoClientErrorWhileAnotherIsHealthy(Vertx vertx) {
        TestBackend steady = TestBackend.start(vertx, "steady");
        TestBackend[] flappy = {TestBackend.start(vertx, "flappy")};
        int flappyPort = flappy[0].port();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(steady, flappy[0])));
        Backend flappyState = fulcrum.backends().find("default", flappy[0].url()).orElseThrow();
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 4);
        Await.until("traffic flows", WAIT, () -> flappy[0].requests() > 10);

        // Even cycles wait for each transition to be seen; odd ones flap as fast as the server can stop and start.
        for (int cycle = 0; cycle < 6; cycle++) {
            flappy[0].stop();
            if (cycle % 2 == 0) {
                Await.until("flappy is seen down", WAIT, () -> flappyState.health() == HealthState.UNHEALTHY);
            }
            flappy[0] = TestBackend.startOn(vertx, flappyPort, "flappy", req -> req.response().end("flappy"));
            if (cycle % 2 == 0) {
                Await.until("flappy is back and serving", WAIT, () -> flappy[0].requests() > 5);
            }
        }
        traffic.stopAndAssertAllOk();
    }

    private static Future<Void> timedLoop(Http http, AtomicBoolean stop, Map<Integer, Integer> statuses,
                                          List<Long> timeoutMillis, List<String> timeoutBodies) {
        if (stop.get()) {
            return Future.succeededFuture();
        }
        long started = System.nanoTime();
        return http.get("/").compose(reply -> {
            statuses.merge(reply.status(), 1, Integer::sum);
            if (reply.status() == 504) {
                timeoutMillis.add((System.nanoTime() - started) / 1_000_000);
                timeoutBodies.add(reply.body());
            }
            return timedLoop(http, stop, statuses, timeoutMillis, timeoutBodies);
        });
    }
}
