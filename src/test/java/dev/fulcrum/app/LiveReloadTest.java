package dev.fulcrum.app;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Edits of the config file under traffic: each kind of change applies, and not one request fails. */
@ExtendWith(VertxExtension.class)
class LiveReloadTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void addedServerIsProbedAndGetsTrafficOnceHealthy(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend added = TestBackend.start(vertx, "added");
        JsonObject config = Balancer.fastHealth(Balancer.config(a));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 4);

        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add(a.url()).add(added.url())));

        Await.until("the added server gets traffic", WAIT, () -> added.requests() > 20);
        assertTrue(added.probes() > 0);
        traffic.stopAndAssertAllOk();
        assertEquals(2, fulcrum.status().generation());
    }

    @Test
    void removedServerDrainsItsRequestsAndGetsNoNewOnes(Vertx vertx, @TempDir Path dir) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(1000, t -> req.response().end("slow")));
        TestBackend fast = TestBackend.start(vertx, "fast");
        JsonObject config = Balancer.config(slow);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend slowState = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> inFlight = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inFlight.add(http.get("/"));
        }
        Await.until("5 requests are in flight to the slow server", WAIT, () -> slowState.inFlight() == 5);
        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add(fast.url())));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        Traffic traffic = Traffic.start(http, 2);
        Await.until("the fast server is probed and serves", WAIT, () -> fast.requests() > 20);

        for (Future<Http.Reply> reply : inFlight) {
            assertEquals(new Http.Reply(200, "slow"), reply.await());
        }
        traffic.stopAndAssertAllOk();
        assertEquals(5, slow.requests(), "no new request reached the removed server");
        assertEquals(0, slowState.inFlight());
    }

    @Test
    void unchangedServerKeepsItsStateCountersAndConnections(Vertx vertx, @TempDir Path dir) {
        TestBackend kept = TestBackend.start(vertx, "kept");
        TestBackend other = TestBackend.start(vertx, "other");
        JsonObject config = Balancer.config(kept);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend before = fulcrum.backends().all().get(0);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);
        Await.until("traffic flows", WAIT, () -> kept.requests() > 50);
        int connectionsBefore = kept.connections();

        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add(kept.url()).add(other.url()))
                .put("requestTimeout", "30s"));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        int servedAfterReload = kept.requests();
        Await.until("traffic flows on", WAIT, () -> kept.requests() > servedAfterReload + 100);

        traffic.stopAndAssertAllOk();
        assertSame(before, fulcrum.backends().find("default", kept.url()).orElseThrow(), "the same live state, counters included");
        assertEquals(HealthState.HEALTHY, before.health());
        assertEquals(connectionsBefore, kept.connections(), "its pooled connections were kept");
    }

    @Test
    void weightsAndAlgorithmApplyToNewRequests(Vertx vertx, @TempDir Path dir) {
        TestBackend heavy = TestBackend.start(vertx, "heavy");
        TestBackend light = TestBackend.start(vertx, "light");
        JsonObject config = Balancer.config(heavy, light);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);

        file.rewriteInPlace(config.copy().put("algorithm", "round-robin").put("servers", new JsonArray()
                .add(new JsonObject().put("url", heavy.url()).put("weight", 3))
                .add(new JsonObject().put("url", light.url()).put("weight", 1))));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        traffic.stopAndAssertAllOk();

        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            picks.merge(http.get("/").await().body(), 1, Integer::sum);
        }
        assertEquals(Map.of("heavy", 300, "light", 100), picks);
    }

    @Test
    void timeoutsAndHealthSettingsApplyToNewRequestsAndProbes(Vertx vertx, @TempDir Path dir) {
        TestBackend silent = TestBackend.start(vertx, "silent", req -> { });
        JsonObject config = Balancer.config(silent).put("healthCheckInterval", "1h");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        int probesAtStart = silent.probes();

        file.rewriteInPlace(config.copy().put("requestTimeout", "200ms").put("healthCheckInterval", "20ms"));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        long started = System.nanoTime();
        Http.Reply reply = http.get("/").await();
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(504, reply.status());
        assertTrue(millis >= 200 && millis < 2_000, "timed out after " + millis + " ms");
        Await.until("the new interval rescheduled the hour-long probe timer", WAIT,
                () -> silent.probes() > probesAtStart + 10);
    }

    @Test
    void addedServerThatIsDownCompletesTheReloadAndJoinsOnceItIsUp(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend a = TestBackend.start(vertx, "a");
        int downPort = Ports.free(1)[0];
        JsonObject config = Balancer.fastHealth(Balancer.config(a));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 3);

        file.renameReplace(config.copy().put("servers", new JsonArray().add(a.url()).add("http://127.0.0.1:" + downPort)));
        Await.until("the reload completed", WAIT, () -> fulcrum.status().generation() == 2);
        Backend added = fulcrum.backends().find("default", "http://127.0.0.1:" + downPort).orElseThrow();
        assertEquals(HealthState.UNHEALTHY, added.health());
        assertEquals("connection refused", added.lastFailure());

        TestBackend late = TestBackend.startOn(vertx, downPort, "late", req -> req.response().end("late"));
        Await.until("the late server is healthy", WAIT, () -> added.health() == HealthState.HEALTHY);
        Await.until("and gets traffic", WAIT, () -> late.requests() > 20);
        traffic.stopAndAssertAllOk();
    }

    @Test
    void expectedStatusAndThresholdEditsApplyToTheNextProbes(Vertx vertx, @TempDir Path dir) {
        TestBackend picky = TestBackend.start(vertx, "picky").probeStatus(404);
        TestBackend steady = TestBackend.start(vertx, "steady");
        JsonObject config = Balancer.fastHealth(Balancer.config(picky, steady));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend pickyState = fulcrum.backends().find("default", picky.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(http, 2);
        assertEquals(HealthState.HEALTHY, pickyState.health(), "404 is within the default 200-499");

        file.renameReplace(config.copy().put("healthCheck", new JsonObject().put("timeout", "500ms")
                .put("expectedStatus", "200-299").put("unhealthyThreshold", 3)));
        Await.until("picky is taken out per the new expectedStatus", WAIT, () -> pickyState.health() == HealthState.UNHEALTHY);
        assertEquals("HTTP 404 from GET / (expected 200-299)", pickyState.lastFailure());
        // Requests already routed when the health event arrived may still reach picky; then none does.
        Await.until("20 requests in a row skip picky", WAIT, () -> {
            int before = picky.requests();
            for (int i = 0; i < 20; i++) {
                if (!http.get("/").await().body().equals("steady")) {
                    return false;
                }
            }
            return picky.requests() == before;
        });
        int served = picky.requests();

        file.renameReplace(config.copy().put("healthCheck", new JsonObject().put("timeout", "500ms")
                .put("expectedStatus", "200,404").put("healthyThreshold", 1)));
        Await.until("picky is back per the new expectedStatus", WAIT, () -> pickyState.health() == HealthState.HEALTHY);
        Await.until("and gets traffic", WAIT, () -> picky.requests() > served + 10);
        traffic.stopAndAssertAllOk();
    }
}
