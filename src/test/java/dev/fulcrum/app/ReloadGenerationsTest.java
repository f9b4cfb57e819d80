package dev.fulcrum.app;

import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Reloads;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which edits make a generation: a reverted refusal none, a round trip two, of edits queued behind one the last. */
@ExtendWith(VertxExtension.class)
class ReloadGenerationsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void revertingARefusedEditClearsTheErrorWithoutANewGenerationAndARoundTripCountsTwice(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace("{\"servers\": [\"http://127.0.0.1:1\"], \"algorithm\": \"fastest\"}");
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        file.renameReplace(config);
        Await.until("the revert clears the error", WAIT, () -> fulcrum.status().lastError() == null);
        assertEquals(1, fulcrum.status().generation(), "the original text is no new config");
        JsonObject reported = Reloads.reportedConfig(admin.get("/health/ready").await());
        assertNull(reported.getValue("lastError"));
        assertEquals(1, reported.getInteger("generation"));

        file.renameReplace(config.copy().put("servers", new JsonArray().add(second.url())));
        Await.until("edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertEquals("second", http.get("/").await().body());
        file.renameReplace(config);
        Await.until("revert applied", WAIT, () -> fulcrum.status().generation() == 3);
        assertEquals("first", http.get("/").await().body());
        assertEquals(3, Reloads.reportedConfig(admin.get("/health/ready").await()).getInteger("generation"));
    }

    /** While an edit waits for a new server's first probe, later edits queue: the last one wins, the middle one is skipped. */
    @Test
    void editsQueuedBehindASlowApplyEndOnTheLastOne(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend hanging = TestBackend.start(vertx, "hanging").probeHandler(req -> { });
        JsonObject config = Balancer.config(a).put("healthCheck", new JsonObject().put("timeout", "1s"));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);
        JsonObject withHanging = config.copy().put("servers", new JsonArray().add(a.url()).add(hanging.url()));

        file.renameReplace(withHanging);
        Await.until("the new server's first probe is in flight", WAIT, () -> hanging.probes() == 1);
        assertEquals(1, fulcrum.status().generation(), "the reload waits for the first probe");
        file.renameReplace(withHanging.copy().put("requestTimeout", "11s"));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // several 20 ms scans see the middle edit
        file.renameReplace(withHanging.copy().put("requestTimeout", "13s"));

        Await.until("the last edit is in force", WAIT, () -> fulcrum.config().requestTimeout().toSeconds() == 13);
        assertEquals(3, fulcrum.status().generation(), "the first and the last edit applied, not the middle one");
        assertEquals(HealthState.UNHEALTHY, fulcrum.backends().find("default", hanging.url()).orElseThrow().health());
        traffic.stopAndAssertAllOk();
    }
}
