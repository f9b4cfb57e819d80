package dev.fulcrum.app;

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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invalid edits are refused loudly and change nothing; the next valid edit applies normally. */
@ExtendWith(VertxExtension.class)
class ReloadRefusalTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "invalid JSON      | {\"servers\": [\"http://127.0.0.1:1\",]  | invalid JSON at line 1, column",
            "unknown field     | {\"servers\": [\"http://127.0.0.1:1\"], \"timeOut\": \"1s\"} | timeOut: unknown field",
            "bad URL           | {\"servers\": [\"htp://127.0.0.1:1\"]} | servers[0]: \"htp://127.0.0.1:1\" is not a valid server URL",
            "empty server list | {\"servers\": []} | servers: at least one backend URL is required"})
    void invalidEditIsRefusedAndTheOldConfigServes(String kind, String badText, String expectedError, Vertx vertx,
                                                   @TempDir Path dir) {
        TestBackend before = TestBackend.start(vertx, "before");
        TestBackend after = TestBackend.start(vertx, "after");
        JsonObject config = Balancer.config(before);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());
        Traffic traffic = Traffic.start(http, 2);

        // Written atomically: an in-place rewrite may first be seen empty, a refusal of its own.
        file.renameReplace(badText);
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        assertTrue(fulcrum.status().lastError().contains(expectedError), fulcrum.status().lastError());
        assertEquals(1, fulcrum.status().generation());
        assertEquals("before", http.get("/").await().body());
        JsonObject reported = new JsonObject(admin.get("/health/ready").await().body())
                .getJsonArray("checks").getJsonObject(0).getJsonObject("data").getJsonObject("config");
        assertTrue(reported.getString("lastError").contains(expectedError), reported.encode());

        file.renameReplace(config.copy().put("servers", new JsonArray().add(after.url())));
        Await.until("the next valid edit applies", WAIT, () -> fulcrum.status().generation() == 2);
        assertNull(fulcrum.status().lastError());
        // Each proxy verticle switches to the new snapshot on its own event loop, a moment after it is applied.
        Await.until("requests go to the new server", WAIT, () -> "after".equals(http.get("/").await().body()));
        traffic.stopAndAssertAllOk();
    }
}
