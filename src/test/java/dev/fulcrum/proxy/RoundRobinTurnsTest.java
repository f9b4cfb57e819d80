package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weighted round robin gives each backend exactly its turns, after it comes back and across an algorithm switch. */
@ExtendWith(VertxExtension.class)
class RoundRobinTurnsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * Smooth weighted round robin on one event loop is exact: weights 3, 1, 2 give a c a b c a. A backend that
     * leaves and comes back gets its turns again.
     */
    @Test
    void roundRobinIsExactWithWeightsAndABackendThatComesBackGetsItsTurnsAgain(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        TestBackend c = TestBackend.start(vertx, "c");
        JsonObject config = Balancer.fastHealth(Balancer.config(a, b, c)).put("algorithm", "round-robin")
                .put("servers", new JsonArray()
                        .add(new JsonObject().put("url", a.url()).put("weight", 3))
                        .add(new JsonObject().put("url", b.url()).put("weight", 1))
                        .add(new JsonObject().put("url", c.url()).put("weight", 2)));
        Fulcrum fulcrum = Balancer.startOnOneEventLoop(vertx, config);
        Backend cState = fulcrum.backends().find("default", c.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());

        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            first.append(http.get("/").await().body());
        }
        assertEquals("acabca", first.toString(), "smooth, never in bursts");
        assertEquals(Map.of("a", 30, "b", 10, "c", 20), picks(http, 60));

        c.probeStatus(500);
        Await.until("c is out", WAIT, () -> cState.health() == HealthState.UNHEALTHY);
        // The proxy hears of it a moment later (a health event); until then six picks in a row include c twice.
        Await.until("the proxy routes around c", WAIT, () -> !picks(http, 6).containsKey("c"));
        Map<String, Integer> withoutC = picks(http, 40);
        assertEquals(Map.of("a", 30, "b", 10), withoutC);

        c.probeStatus(200);
        Await.until("c is back", WAIT, () -> cState.health() == HealthState.HEALTHY);
        Map<String, Integer> withC = picks(http, 60);
        assertTrue(Math.abs(withC.getOrDefault("c", 0) - 20) <= 2, "c gets its share again: " + withC);
        assertTrue(Math.abs(withC.getOrDefault("a", 0) - 30) <= 2, "a keeps its share: " + withC);
    }

    @Test
    void algorithmSwitchedBackAndForthKeepsExactWeightedTurns(Vertx vertx, @TempDir Path dir) {
        TestBackend heavy = TestBackend.start(vertx, "heavy");
        TestBackend light = TestBackend.start(vertx, "light");
        JsonObject roundRobin = Balancer.config(heavy, light).put("algorithm", "round-robin").put("servers", new JsonArray()
                .add(new JsonObject().put("url", heavy.url()).put("weight", 3))
                .add(new JsonObject().put("url", light.url()).put("weight", 1)));
        ConfigFile file = ConfigFile.plain(dir, roundRobin);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);

        for (int round = 0; round < 2; round++) {
            file.renameReplace(roundRobin.copy().put("algorithm", "least-busy"));
            int leastBusy = 2 + 2 * round;
            Await.until("least-busy applied", WAIT, () -> fulcrum.status().generation() == leastBusy);
            file.renameReplace(roundRobin);
            Await.until("round-robin applied again", WAIT, () -> fulcrum.status().generation() == leastBusy + 1);
        }
        traffic.stopAndAssertAllOk();

        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            picks.merge(http.get("/").await().body(), 1, Integer::sum);
        }
        assertEquals(Map.of("heavy", 300, "light", 100), picks);
    }

    private static Map<String, Integer> picks(Http http, int count) {
        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < count; i++) {
            Http.Reply reply = http.get("/").await();
            assertEquals(200, reply.status());
            picks.merge(reply.body(), 1, Integer::sum);
        }
        return picks;
    }
}
