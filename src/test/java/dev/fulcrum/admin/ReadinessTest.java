package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /health/ready} is UP while a backend is healthy, DOWN once none is; a refused edit shows there, no more. */
@ExtendWith(VertxExtension.class)
class ReadinessTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * Readiness goes UP -> DOWN when the only backend is ejected and back UP when it returns, with the JSON the
     * README shows; liveness stays UP throughout; unknown paths are 404 and other methods are not answered as GET.
     */
    @Test
    void readinessFollowsEjectionAndRecoveryWhileLivenessStaysUpAndOtherPathsAndMethodsAreRefused(Vertx vertx) {
        TestBackend only = TestBackend.start(vertx, "only");
        int port = only.port();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(only)));
        Backend state = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());

        Http.Reply up = admin.get("/health/ready").await();
        assertEquals(200, up.status());
        JsonObject upCheck = new JsonObject(up.body()).getJsonArray("checks").getJsonObject(0);
        assertEquals("backends", upCheck.getString("id"));
        assertEquals("UP", upCheck.getString("status"));
        JsonObject upBackend = upCheck.getJsonObject("data").getJsonArray("backends").getJsonObject(0);
        assertEquals(only.url(), upBackend.getString("url"));
        assertEquals("HEALTHY", upBackend.getString("state"));
        assertEquals(0, upBackend.getInteger("inFlight"));
        assertTrue(upBackend.containsKey("lastFailure"), "lastFailure is listed even when null: " + upBackend);

        assertEquals(404, admin.get("/health").await().status());
        assertEquals(404, admin.get("/nope").await().status());
        int postStatus = admin.send(HttpMethod.POST, "/health/ready").await().status();
        assertTrue(postStatus == 404 || postStatus == 405, "POST /health/ready answered " + postStatus);

        only.stop();
        http.get("/").await();
        Await.until("the only backend is out", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        Http.Reply down = admin.get("/health/ready").await();
        assertEquals(503, down.status());
        JsonObject downBody = new JsonObject(down.body());
        assertEquals("DOWN", downBody.getString("status"));
        JsonObject downData = downBody.getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(0, downData.getInteger("healthy"));
        JsonObject downBackend = downData.getJsonArray("backends").getJsonObject(0);
        assertEquals("UNHEALTHY", downBackend.getString("state"));
        assertTrue(downBackend.getString("lastFailure").contains("connection refused"), downBackend.toString());
        Http.Reply live = admin.get("/health/live").await();
        assertEquals(200, live.status(), "liveness does not depend on backends");
        assertEquals("UP", new JsonObject(live.body()).getString("status"));

        TestBackend.startOn(vertx, port, "only-again", req -> req.response().end("only-again"));
        Await.until("readiness is UP again", WAIT, () -> admin.get("/health/ready").await().status() == 200);
        // Readiness reads the shared state; each proxy hears of the readmission on the event bus a moment later.
        Await.until("the proxies route to it again", WAIT, () -> http.get("/").await().body().equals("only-again"));
    }

    /** README: a refused edit leaves readiness UP (the balancer still serves) and shows the refusal. */
    @Test
    void refusedEditKeepsReadinessUpWithTheError(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        ConfigFile file = ConfigFile.plain(dir, Balancer.config(backend));
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace("{\"servers\": []}");
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        Http.Reply ready = admin.get("/health/ready").await();
        assertEquals(200, ready.status());
        JsonObject data = new JsonObject(ready.body()).getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(fulcrum.status().lastError(), data.getJsonObject("config").getString("lastError"));
    }
}
