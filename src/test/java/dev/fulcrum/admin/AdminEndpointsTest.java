package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@ExtendWith(VertxExtension.class)
class AdminEndpointsTest {

    @Test
    void livenessAnswersUp(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));

        Http.Reply reply = new Http(vertx, fulcrum.adminPort()).get("/health/live").await();

        assertEquals(200, reply.status());
        assertEquals("UP", new JsonObject(reply.body()).getString("status"));
    }

    @Test
    void livenessSays503WhileEveryProxyEventLoopIsWedged(Vertx vertx) throws Exception {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        CountDownLatch release = new CountDownLatch(1);
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loop.execute(() -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            // Not through the test's Vert.x, whose event loops are the ones wedged.
            HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + fulcrum.adminPort() + "/health/live"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(503, reply.statusCode(), reply.body());
            assertEquals("DOWN", new JsonObject(reply.body()).getString("status"));
        } finally {
            release.countDown();
        }
        assertEquals(200, new Http(vertx, fulcrum.adminPort()).get("/health/live").await().status());
    }

    @Test
    void readinessListsEveryBackendAndFollowsTheirHealth(Vertx vertx) {
        TestBackend up = TestBackend.start(vertx, "up");
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(500);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(up, down)));
        Http admin = new Http(vertx, fulcrum.adminPort());

        Http.Reply ready = admin.get("/health/ready").await();

        assertEquals(200, ready.status());
        JsonObject body = new JsonObject(ready.body());
        assertEquals("UP", body.getString("status"));
        JsonObject data = body.getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(1, data.getInteger("healthy"));
        JsonArray backends = data.getJsonArray("backends");
        assertEquals(up.url(), backends.getJsonObject(0).getString("url"));
        assertEquals("HEALTHY", backends.getJsonObject(0).getString("state"));
        assertNull(backends.getJsonObject(0).getString("lastFailure"));
        assertEquals("UNHEALTHY", backends.getJsonObject(1).getString("state"));
        assertEquals("HTTP 500 from GET / (expected 200-499)", backends.getJsonObject(1).getString("lastFailure"));

        up.probeStatus(503);
        Await.until("no backend is healthy", Duration.ofSeconds(5),
                () -> fulcrum.backends().all().stream().noneMatch(b -> b.health() == HealthState.HEALTHY));
        Http.Reply notReady = admin.get("/health/ready").await();
        assertEquals(503, notReady.status());
        assertEquals("DOWN", new JsonObject(notReady.body()).getString("status"));
    }

    /** The text the serving config was parsed from, as {@code fulcrum check --diff} reads it: a refused edit is not it. */
    @Test
    void configServesTheRunningConfigAndFollowsLiveReloads(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(a);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http admin = new Http(vertx, fulcrum.adminPort());
        String started = Files.readString(file.path());

        assertEquals(new Http.Reply(200, started), admin.get("/config").await());

        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add(a.url()).add(b.url())));
        Await.until("the edit applied", Duration.ofSeconds(5), () -> fulcrum.status().generation() == 2);
        String reloaded = Files.readString(file.path());
        assertEquals(new Http.Reply(200, reloaded), admin.get("/config").await());

        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add("ftp://a:21")));
        Await.until("the edit is refused", Duration.ofSeconds(5), () -> fulcrum.status().lastError() != null);
        assertEquals(new Http.Reply(200, reloaded), admin.get("/config").await());
    }
}
