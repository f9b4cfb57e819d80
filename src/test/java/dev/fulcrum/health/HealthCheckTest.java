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

/** Active checks: what a probe asks, what counts as its answer, the runs in a row that change a state, the events. */
@ExtendWith(VertxExtension.class)
class HealthCheckTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void backendAnswering500IsTakenOutAndComesBackAfterThresholds(Vertx vertx) {
        TestBackend flaky = TestBackend.start(vertx, "flaky");
        TestBackend steady = TestBackend.start(vertx, "steady");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(flaky, steady)));
        Backend flakyState = fulcrum.backends().find("default", flaky.url()).orElseThrow();
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
        Backend hangingState = fulcrum.backends().find("default", hanging.url()).orElseThrow();

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

    /**
     * Thresholds of 3 through real probes: S | F F S F F F -> out on the sixth failure in total but the third in a
     * row; then S S F S S S -> back on the third success in a row.
     */
    @Test
    void healthThresholdsCountOnlyRunsInARowThroughRealProbes(Vertx vertx) {
        boolean[] script = {true, false, false, true, false, false, false, true, true, false, true, true, true};
        AtomicInteger answered = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "scripted");
        backend.probeHandler(req -> {
            int index = answered.getAndIncrement();
            boolean ok = index >= script.length || script[index];
            req.response().setStatusCode(ok ? 200 : 500).end();
        });
        List<String> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS, message -> {
            HealthEvent event = HealthEvent.fromJson(message.body());
            changes.add(event.state() + "@" + answered.get());
        });
        JsonObject config = Balancer.config(backend).put("healthCheckInterval", "20ms").put("healthCheck", new JsonObject()
                .put("timeout", "500ms").put("healthyThreshold", 3).put("unhealthyThreshold", 3));
        Balancer.start(vertx, config);

        Await.until("the script has run, and three probes more", WAIT, () -> answered.get() >= script.length + 3);

        assertEquals(List.of("HEALTHY@1", "UNHEALTHY@7", "HEALTHY@13"), changes);
    }

    /** Probes go to the server URL's path prefix plus the check path, query included; status lists and ranges. */
    @Test
    void probeUsesThePathPrefixAndItsQueryAndExpectedStatusListsAndRanges(Vertx vertx) {
        AtomicInteger probeStatus = new AtomicInteger(204);
        List<String> probeUris = new CopyOnWriteArrayList<>();
        TestBackend backend = TestBackend.start(vertx, "b").probeHandler(req -> {
            probeUris.add(req.uri());
            req.response().setStatusCode(probeStatus.get()).end();
        });
        JsonObject config = Balancer.config(backend.url() + "/api/").put("healthCheckInterval", "20ms")
                .put("healthCheck", new JsonObject().put("timeout", "500ms").put("path", "/healthz?deep=1")
                        .put("expectedStatus", "200, 204,300-302").put("healthyThreshold", 1).put("unhealthyThreshold", 1));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Backend state = fulcrum.backends().all().get(0);

        assertEquals(HealthState.HEALTHY, state.health(), "204 is listed");
        assertEquals("/api/healthz?deep=1", probeUris.get(0));
        probeStatus.set(299);
        Await.until("299 is not listed", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertEquals("HTTP 299 from GET /api/healthz?deep=1 (expected 200, 204,300-302)", state.lastFailure());
        probeStatus.set(301);
        Await.until("301 is in 300-302", WAIT, () -> state.health() == HealthState.HEALTHY);
        probeStatus.set(303);
        Await.until("303 is past 300-302", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertTrue(probeUris.stream().allMatch("/api/healthz?deep=1"::equals), probeUris.toString());
    }

    /**
     * A probe whose status line arrives but whose body never ends is a probe with no answer: it fails at its
     * timeout, and the next one starts only after it (never two at once).
     */
    @Test
    void probeWhoseBodyNeverEndsFailsAtItsTimeoutAndProbesNeverOverlap(Vertx vertx) {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger maxOpen = new AtomicInteger();
        TestBackend endless = TestBackend.start(vertx, "endless").probeHandler(req -> {
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            req.connection().closeHandler(v -> open.decrementAndGet());
            req.response().setChunked(true).write("still going");
        });
        TestBackend steady = TestBackend.start(vertx, "steady");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(endless, steady)
                .put("healthCheckInterval", "20ms").put("healthCheck", new JsonObject().put("timeout", "150ms")));
        Backend state = fulcrum.backends().find("default", endless.url()).orElseThrow();

        assertEquals(HealthState.UNHEALTHY, state.health());
        assertEquals("no answer within 150ms", state.lastFailure());
        Await.until("five endless probes", WAIT, () -> endless.probes() >= 5);
        assertEquals(1, maxOpen.get(), "probes to one backend overlapped");
        assertEquals(200, new Http(vertx, fulcrum.port()).get("/").await().status());
    }
}
