package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Each pool checks and reaches its backends with its own settings, a field it leaves out being the top level's; the
 * same URL in two pools is two backends; a reload keeps a backend's state by pool and URL.
 */
@ExtendWith(VertxExtension.class)
class PoolSettingsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static JsonObject routedToSlowUnder(String prefix, JsonObject pools) {
        JsonObject config = Balancer.fastHealth(Balancer.config(new String[0]));
        config.remove("servers");
        return config.put("pools", pools).put("routes", new JsonArray()
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", prefix)).put("pool", "slow"))
                .add(new JsonObject().put("pool", "fast")));
    }

    @Test
    void eachPoolProbesItsOwnPathAndTimesOutWithItsOwnRequestTimeout(Vertx vertx) {
        AtomicReference<String> probedPath = new AtomicReference<>();
        // Answers /slow after a second: past the slow pool's own timeout, within the top level's.
        TestBackend slow = TestBackend.start(vertx, "slow", request -> vertx.setTimer(1_000,
                id -> request.response().end("slow"))).probeHandler(request -> {
                    probedPath.set(request.path());
                    request.response().end();
                });
        TestBackend fast = TestBackend.start(vertx, "fast", request -> vertx.setTimer(1_000,
                id -> request.response().end("fast")));
        JsonObject config = routedToSlowUnder("/slow", new JsonObject()
                .put("slow", new JsonObject().put("servers", new JsonArray().add(slow.url()))
                        .put("requestTimeout", "200ms").put("healthCheck", new JsonObject().put("path", "/ping")))
                .put("fast", new JsonObject().put("servers", new JsonArray().add(fast.url()))));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        assertEquals("/ping", probedPath.get());
        assertEquals(504, http.get("/slow/report").await().status(), "the slow pool's 200ms");
        assertEquals("fast", http.get("/other").await().body(), "the top level's 60s");
    }

    @Test
    void theSameUrlInTwoPoolsIsTwoBackendsAndAReloadKeepsEachByPoolAndUrl(Vertx vertx, @TempDir Path dir) {
        TestBackend shared = TestBackend.start(vertx, "shared");
        JsonObject pool = new JsonObject().put("servers", new JsonArray().add(shared.url()));
        JsonObject config = routedToSlowUnder("/s", new JsonObject().put("slow", pool).put("fast", pool.copy()));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend inSlow = fulcrum.backends().find("slow", shared.url()).orElseThrow();
        Backend inFast = fulcrum.backends().find("fast", shared.url()).orElseThrow();
        assertNotSame(inSlow, inFast);
        Http http = new Http(vertx, fulcrum.port());
        assertEquals("shared", http.get("/s").await().body());

        file.renameReplace(config.copy().put("healthCheckInterval", "30ms"));
        Await.until("the edit is applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertSame(inSlow, fulcrum.backends().find("slow", shared.url()).orElseThrow(), "kept by (pool, URL)");
        assertSame(inFast, fulcrum.backends().find("fast", shared.url()).orElseThrow());
        assertEquals(HealthState.HEALTHY, inSlow.health());
    }
}
