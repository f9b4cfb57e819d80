package dev.fulcrum.health;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class HealthCheckTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void backendAnswering500IsTakenOutAndComesBackAfterThresholds(Vertx vertx) {
        TestBackend flaky = TestBackend.start(vertx, "flaky");
        TestBackend steady = TestBackend.start(vertx, "steady");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(flaky, steady)));
        Backend flakyState = fulcrum.backends().find(flaky.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        AtomicInteger failedProbes = new AtomicInteger();
        AtomicInteger passedProbes = new AtomicInteger();
        List<Integer> probesAtChange = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS,
                msg -> probesAtChange.add(failedProbes.get() + passedProbes.get()));

        flaky.probeHandler(req -> {
            failedProbes.incrementAndGet();
            req.response().setStatusCode(500).end();
        });
        Await.until("flaky is reported unhealthy", WAIT, () -> probesAtChange.size() == 1);
        assertEquals(HealthState.UNHEALTHY, flakyState.health());
        assertTrue(probesAtChange.get(0) >= 2, "it took the unhealthy threshold of two failed probes");
        assertTrue(flakyState.lastFailure().startsWith("HTTP 500 from GET /"), flakyState.lastFailure());

        int servedBefore = flaky.requests();
        for (int i = 0; i < 30; i++) {
            assertEquals("steady", http.get("/").await().body());
        }
        assertEquals(servedBefore, flaky.requests());

        flaky.probeHandler(req -> {
            passedProbes.incrementAndGet();
            req.response().end();
        });
        Await.until("flaky is reported healthy again", WAIT, () -> probesAtChange.size() == 2);
        assertEquals(HealthState.HEALTHY, flakyState.health());
        assertTrue(probesAtChange.get(1) - failedProbes.get() >= 2, "it took the healthy threshold of two passed probes");
        Await.until("flaky gets traffic again", WAIT, () -> http.get("/").await().body().equals("flaky"));
    }

    @Test
    void hangingProbeFailsAfterItsTimeoutAndProbesDoNotPileUp(Vertx vertx) {
        TestBackend hanging = TestBackend.start(vertx, "hanging").probeHandler(req -> { });
        TestBackend steady = TestBackend.start(vertx, "steady");
        long started = System.nanoTime();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(hanging, steady)
                .put("healthCheckInterval", "20ms").put("healthCheck", new JsonObject().put("timeout", "100ms")));
        Backend hangingState = fulcrum.backends().find(hanging.url()).orElseThrow();

        assertEquals(HealthState.UNHEALTHY, hangingState.health(), "the first round waited for the probe's timeout");
        assertEquals("no answer within 100ms", hangingState.lastFailure());
        Await.until("ten probes have hung", WAIT, () -> hanging.probes() >= 10);
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        // One probe at a time, each ending at its 100 ms timeout, then ~20 ms until the next: never one per 20 ms.
        assertTrue(elapsedMillis >= 9 * 100, "10 probes took " + elapsedMillis + " ms");
        assertTrue(steady.probes() > hanging.probes() * 3, "the steady backend kept its own pace");
    }

    @Test
    void eventBusCarriesExactlyTheStateChanges(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b");
        List<HealthEvent> events = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS, msg -> events.add(HealthEvent.fromJson(msg.body())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(backend)));
        Backend state = fulcrum.backends().all().get(0);

        Await.until("the first change arrived", WAIT, () -> events.size() == 1);
        backend.probeStatus(503);
        Await.until("it went down", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        backend.probeStatus(200);
        Await.until("it came back", WAIT, () -> state.health() == HealthState.HEALTHY);
        int probes = backend.probes();
        Await.until("ten more probes ran", WAIT, () -> backend.probes() >= probes + 10);

        assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY),
                events.stream().map(HealthEvent::state).toList());
        events.forEach(event -> assertEquals(backend.url(), event.backend()));
        assertTrue(events.get(1).reason().contains("HTTP 503"), events.get(1).reason());
    }
}
