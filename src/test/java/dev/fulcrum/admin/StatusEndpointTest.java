package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class StatusEndpointTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void statusShowsEachBackendsTrafficFromItsMetersWithUnhealthyBackendsFirst(Vertx vertx) {
        TestBackend ok = TestBackend.start(vertx, "ok");
        TestBackend failing = TestBackend.start(vertx, "failing", req -> req.response().setStatusCode(500).end());
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(500);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(ok, failing, down)));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 40; i++) {
            http.get("/").await();
        }
        Http admin = new Http(vertx, fulcrum.adminPort());
        double expectedErrorPercent = 100.0 * failing.requests() / 40;

        // Sampled once a second: the window holds the 40 responses once a reading after them was taken.
        JsonObject status = Await.value("the last minute holds the 40 responses", WAIT,
                () -> new JsonObject(admin.get("/status").await().body()),
                report -> Double.valueOf(expectedErrorPercent).equals(report.getJsonObject("totals").getDouble("errorPercent")));

        JsonArray backends = status.getJsonArray("backends");
        JsonObject first = backends.getJsonObject(0);
        assertEquals(down.url(), first.getString("url"));
        assertEquals("UNHEALTHY", first.getString("state"));
        assertEquals("HTTP 500 from GET / (expected 200-499)", first.getString("reason"));
        assertEquals("check", first.getString("changedBy"));
        assertNotNull(first.getString("since"));
        assertNull(first.getDouble("p50Ms"), "no response, no percentile");
        JsonObject healthy = row(backends, ok.url());
        assertEquals("HEALTHY", healthy.getString("state"));
        assertEquals(0.0, healthy.getDouble("errorPercent"));
        assertTrue(healthy.getDouble("requestsPerSecond") > 0, healthy.encode());
        assertTrue(healthy.getDouble("p99Ms") > 0, healthy.encode());
        assertFalse(healthy.getJsonArray("requestsPerSecondHistory").isEmpty());
        assertEquals(100.0, row(backends, failing.url()).getDouble("errorPercent"));
        assertEquals(2, status.getJsonObject("totals").getInteger("healthy"));
        assertEquals("serving", status.getString("state"));
        assertEquals(1, status.getJsonObject("config").getInteger("generation"));
        assertNull(status.getJsonObject("config").getJsonObject("lastReload"));
        assertTrue(status.getJsonArray("events").stream().map(JsonObject.class::cast)
                .anyMatch(event -> down.url().equals(event.getString("backend")) && "UNHEALTHY".equals(event.getString("state"))));
    }

    @Test
    void reloadsAppliedAndRefusedAreInTheTimelineNewestFirst(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        JsonObject config = Balancer.config(a);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace(config.copy().put("requestTimeout", "30s"));
        Await.until("the edit applies", WAIT, () -> fulcrum.status().generation() == 2);
        file.renameReplace("{\"servers\": []}");
        Await.until("the next edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        JsonObject status = new JsonObject(admin.get("/status").await().body());
        JsonArray events = status.getJsonArray("events");
        assertEquals("reload-refused", events.getJsonObject(0).getString("kind"));
        String refusal = fulcrum.status().lastError();
        assertTrue(refusal.startsWith("servers: at least one backend URL is required"), refusal);
        assertEquals(refusal, events.getJsonObject(0).getString("message"));
        assertEquals("reload-applied", events.getJsonObject(1).getString("kind"));
        assertEquals(2, events.getJsonObject(1).getInteger("generation"));
        assertEquals("requestTimeout 1m -> 30s", events.getJsonObject(1).getString("message"));
        JsonObject lastReload = status.getJsonObject("config").getJsonObject("lastReload");
        assertEquals("refused", lastReload.getString("result"));
        assertEquals(refusal, lastReload.getString("message"));
    }

    @Test
    void theRootIsOneSelfContainedPage(Vertx vertx) throws Exception {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));

        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + fulcrum.adminPort() + "/")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("content-type").orElseThrow());
        assertTrue(page.headers().firstValue("content-security-policy").orElseThrow().startsWith("default-src 'none'"));
        assertTrue(page.body().contains("fetch('/status'"), "polls /status");
        assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "fetches nothing from elsewhere");
    }

    private static JsonObject row(JsonArray backends, String url) {
        return backends.stream().map(JsonObject.class::cast).filter(row -> url.equals(row.getString("url")))
                .findFirst().orElseThrow(() -> new AssertionError("no row for " + url + " in " + backends.encode()));
    }
}
