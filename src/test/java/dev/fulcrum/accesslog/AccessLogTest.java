package dev.fulcrum.accesslog;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogFile;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access log through the real proxy: lines that parse and match the requests, both formats, live edits, reopen. */
@ExtendWith(VertxExtension.class)
class AccessLogTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void eachResponseIsOneJsonLineThatMatchesIt(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "a", req -> req.response().end("hello"));
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("accessLog", new JsonObject().put("path", log.toString())));
        Http http = new Http(vertx, fulcrum.port());
        String[] id = new String[1];
        http.on(client -> client.request(HttpMethod.GET, fulcrum.port(), "127.0.0.1", "/path?q=1")
                .compose(request -> request.putHeader("User-Agent", "test-agent/1").putHeader("Referer", "http://r/").send())
                .compose(response -> {
                    id[0] = response.getHeader("X-Request-Id");
                    return response.body();
                })).await();

        JsonObject line = new JsonObject(LogFile.lines(log, 1).get(0));
        assertEquals(id[0], line.getString("requestId"));
        assertEquals("127.0.0.1", line.getString("client"));
        assertEquals("GET", line.getString("method"));
        assertEquals("/path?q=1", line.getString("uri"));
        assertEquals("HTTP/1.1", line.getString("protocol"));
        assertEquals(200, line.getValue("status"));
        assertEquals(5, ((Number) line.getValue("bytesSent")).intValue());
        assertTrue(line.getValue("durationMs") instanceof Number);
        assertTrue(line.getValue("backendDurationMs") instanceof Number);
        assertTrue(line.getDouble("backendDurationMs") <= line.getDouble("durationMs"));
        assertEquals(backend.url(), line.getString("backend"));
        assertEquals("default", line.getString("pool"));
        assertTrue(line.containsKey("route"));
        assertNull(line.getValue("route"), "a config without routes");
        assertEquals("test-agent/1", line.getString("userAgent"));
        assertEquals("http://r/", line.getString("referer"));
        OffsetDateTime time = OffsetDateTime.parse(line.getString("time"));
        assertTrue(Math.abs(time.toInstant().toEpochMilli() - System.currentTimeMillis()) < 60_000);
        assertTrue(line.getString("time").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line.getString("time"));
    }

    @Test
    void fulcrumsOwnAnswerIsLoggedWithNoBackend(Vertx vertx, @TempDir Path dir) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(500);
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down).put("accessLog", new JsonObject().put("path", log.toString())));
        assertEquals(503, new Http(vertx, fulcrum.port()).get("/").await().status());

        JsonObject line = new JsonObject(LogFile.lines(log, 1).get(0));
        assertEquals(503, line.getValue("status"));
        assertTrue(line.containsKey("backend"));
        assertNull(line.getValue("backend"));
        assertNull(line.getValue("backendDurationMs"));
        assertNull(line.getValue("userAgent"));
    }

    @Test
    void eachLineNamesTheRouteAndPoolTheRequestTook(Vertx vertx, @TempDir Path dir) {
        TestBackend api = TestBackend.start(vertx, "api");
        Path log = dir.resolve("access.log");
        JsonObject config = Balancer.config(api).put("accessLog", new JsonObject().put("path", log.toString()))
                .put("pools", new JsonObject().put("api", new JsonObject().put("servers", new JsonArray().add(api.url()))))
                .put("routes", new JsonArray()
                        .add(new JsonObject().put("match", new JsonObject().put("path", "/old"))
                                .put("redirect", new JsonObject().put("host", "new.test")))
                        .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/api")).put("pool", "api"))
                        .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/site")).put("pool", "default")));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());
        for (String uri : List.of("/api/x", "/old", "/nowhere", "/site")) {
            http.get(uri).await();
        }

        List<JsonObject> lines = LogFile.lines(log, 4).stream().map(JsonObject::new).toList();
        assertEquals(List.of("/api/x 200 1 api", "/old 301 0 null", "/nowhere 404 null null", "/site 200 2 default"),
                lines.stream().map(line -> line.getString("uri") + " " + line.getValue("status") + " "
                        + line.getValue("route") + " " + line.getValue("pool")).toList());
        assertEquals(api.url(), lines.get(3).getString("backend"), "the same URL in pool default");
    }

    @Test
    void combinedIsNginxsFormatWithItsEscapes(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "a", req -> req.response().end("hello"));
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("accessLog", new JsonObject().put("path", log.toString()).put("format", "combined")));
        new Http(vertx, fulcrum.port()).on(client -> client.request(HttpMethod.GET, fulcrum.port(), "127.0.0.1", "/a\"b")
                .compose(request -> request.putHeader("User-Agent", "curl/8").send())
                .compose(response -> response.body())).await();

        String line = LogFile.lines(log, 1).get(0);
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] "
                + "\"GET /a\\\\x22b HTTP/1\\.1\" 200 5 \"-\" \"curl/8\""), line);
    }

    @Test
    void anEditTurnsTheLogOnMovesItAndTurnsItOff(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "a");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Path first = dir.resolve("first.log");
        Path second = dir.resolve("second.log");

        file.renameReplace(config.copy().put("accessLog", new JsonObject().put("path", first.toString())));
        Await.until("the edit applies", WAIT, () -> fulcrum.status().generation() == 2);
        http.get("/one").await();
        assertTrue(LogFile.lines(first, 1).get(0).contains("\"/one\""));

        file.renameReplace(config.copy().put("accessLog", new JsonObject().put("path", second.toString())));
        Await.until("the second edit applies", WAIT, () -> fulcrum.status().generation() == 3);
        http.get("/two").await();
        assertTrue(LogFile.lines(second, 1).get(0).contains("\"/two\""));
        assertEquals(1, LogFile.lines(first, 1).size());

        file.renameReplace(config);
        Await.until("the third edit applies", WAIT, () -> fulcrum.status().generation() == 4);
        http.get("/three").await();
        http.get("/four").await();
        assertEquals(1, LogFile.lines(second, 1).size(), "nothing logged once the log is off");
    }

    @Test
    void reopeningAfterLogrotateMovedTheFileWritesANewOne(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "a");
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("accessLog", new JsonObject().put("path", log.toString())));
        Http http = new Http(vertx, fulcrum.port());
        http.get("/before").await();
        LogFile.lines(log, 1);
        Path rotated = dir.resolve("access.log.1");
        Files.move(log, rotated);

        fulcrum.reopenAccessLog();
        Await.until("the log is reopened", WAIT, () -> Files.exists(log));
        http.get("/after").await();

        assertTrue(LogFile.lines(log, 1).get(0).contains("\"/after\""));
        assertEquals(1, LogFile.lines(rotated, 1).size());
        assertEquals(0, Scrape.of(vertx, fulcrum.adminPort()).count("fulcrum_access_log_dropped_total"));
    }
}
