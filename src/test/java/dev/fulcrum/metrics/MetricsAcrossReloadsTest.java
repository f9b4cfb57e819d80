package dev.fulcrum.metrics;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reload series follow applied and refused edits; a backend's series outlive a reload, a removed one's go. */
@ExtendWith(VertxExtension.class)
class MetricsAcrossReloadsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void reloadSeriesFollowAnAppliedAndARefusedEdit(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        JsonObject config = Balancer.config(a);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int admin = fulcrum.adminPort();
        Scrape before = Scrape.of(vertx, admin);
        assertEquals(1, before.count("fulcrum_config_generation"));
        assertEquals(1, before.count("fulcrum_config_last_reload_successful"));
        double startedAt = before.count("fulcrum_config_last_reload_success_timestamp_seconds");

        file.renameReplace(config.copy().put("requestTimeout", "30s"));
        // Each gauge reads the reload status as the scrape reaches it: wait for a scrape after the edit in all of them.
        Scrape applied = Await.value("the edit is applied", WAIT, () -> Scrape.of(vertx, admin),
                scrape -> scrape.count("fulcrum_config_generation") == 2
                        && scrape.count("fulcrum_config_reloads_total", "result", "applied") == 1
                        && scrape.count("fulcrum_config_last_reload_success_timestamp_seconds") > startedAt);
        assertEquals(0, applied.count("fulcrum_config_reloads_total", "result", "refused"));
        assertEquals(1, applied.count("fulcrum_config_last_reload_successful"));

        file.renameReplace("{\"servers\": [\"not a url\"]");
        Scrape refused = Await.value("the edit is refused", WAIT, () -> Scrape.of(vertx, admin),
                scrape -> scrape.count("fulcrum_config_reloads_total", "result", "refused") == 1
                        && scrape.count("fulcrum_config_last_reload_successful") == 0);
        assertEquals(2, refused.count("fulcrum_config_generation"));
        assertEquals(applied.count("fulcrum_config_last_reload_success_timestamp_seconds"),
                refused.count("fulcrum_config_last_reload_success_timestamp_seconds"));
    }

    @Test
    void countersOfAKeptBackendSurviveAReloadAndARemovedOnesSeriesGoOnceDrained(Vertx vertx, @TempDir Path dir) {
        List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
        TestBackend kept = TestBackend.start(vertx, "kept");
        TestBackend removed = TestBackend.start(vertx, "removed", request -> {
            if (request.path().equals("/hold")) {
                held.add(request);
            } else {
                request.response().end("removed");
            }
        });
        JsonObject config = Balancer.config(kept, removed).put("algorithm", "round-robin");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int admin = fulcrum.adminPort();
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 10; i++) {
            http.get("/").await();
        }
        Future<Http.Reply> draining = null;
        while (draining == null) {
            Future<Http.Reply> reply = http.get("/hold");
            if (Await.value("the request is answered or held", WAIT, () -> reply.isComplete() || !held.isEmpty(), ok -> ok)
                    && !held.isEmpty()) {
                draining = reply;
            } else {
                reply.await();
            }
        }
        double keptBefore = Scrape.of(vertx, admin).count("fulcrum_requests_total", "pool", "default", "backend", kept.url(), "code", "200");
        assertTrue(keptBefore >= 5);

        file.renameReplace(config.copy().put("servers", new JsonArray().add(kept.url())));
        Await.until("the edit is applied", WAIT, () -> fulcrum.status().generation() == 2);
        http.get("/").await();
        Scrape whileDraining = Scrape.of(vertx, admin);
        assertEquals(keptBefore + 1, whileDraining.count("fulcrum_requests_total", "pool", "default", "backend", kept.url(), "code", "200"));
        assertEquals(1, whileDraining.count("fulcrum_backend_in_flight", "pool", "default", "backend", removed.url()),
                "a removed backend still draining is still shown");

        vertx.runOnContext(v -> held.get(0).response().end("late"));
        assertEquals(200, draining.await().status());
        Scrape drained = Await.value("the removed backend's series go", WAIT, () -> Scrape.of(vertx, admin),
                scrape -> !scrape.text().contains(removed.url()));
        assertFalse(drained.has("fulcrum_request_duration_seconds_count", "backend", removed.url()));
        assertEquals(keptBefore + 1, drained.count("fulcrum_requests_total", "pool", "default", "backend", kept.url(), "code", "200"));
    }
}
